/** The error a call rejects with; a call that succeeds fails the test, since the contract expects a refusal. */
export async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('the call succeeded, but the contract expects it to fail');
}
