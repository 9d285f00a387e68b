import { describe, expect, it } from 'vitest';
import { clientAddressKey, createFailureLimiter, createSignInGuard, DEFAULT_SIGN_IN_LIMITS } from './sign-in-limit.ts';

const MINUTE = 60_000;

describe('failures per key in a sliding window', () => {
  it('limits a key after its failures fill the window, says when to retry, and frees it as the oldest failure leaves', () => {
    let t = 1_000_000;
    const limiter = createFailureLimiter({ maxFailures: 3, windowMs: 15 * MINUTE, now: () => t });
    expect(limiter.fail('alice')).toEqual({ limited: false });
    t += 5 * MINUTE;
    expect(limiter.fail('alice')).toEqual({ limited: false });
    expect(limiter.check('alice')).toEqual({ limited: false });
    t += 1 * MINUTE;
    // The third failure fills the window: limited until the first one is 15 minutes old, 9 minutes from now.
    expect(limiter.fail('alice')).toEqual({ limited: true, retryAfterSeconds: 9 * 60, firstLimit: true });
    expect(limiter.check('alice')).toEqual({ limited: true, retryAfterSeconds: 9 * 60 });
    t += 8 * MINUTE + 59_500;
    expect(limiter.check('alice')).toEqual({ limited: true, retryAfterSeconds: 1 });
    t += 500;
    expect(limiter.check('alice')).toEqual({ limited: false });
    // One attempt more, then limited again until the second failure leaves the window; the limit is not news any more.
    expect(limiter.fail('alice')).toEqual({ limited: true, retryAfterSeconds: 5 * 60, firstLimit: false });
    expect(limiter.check('bob')).toEqual({ limited: false });
  });

  it('tells of a limit once per key and window', () => {
    let t = 0;
    const limiter = createFailureLimiter({ maxFailures: 1, windowMs: 10_000, now: () => t });
    expect(limiter.fail('a')).toMatchObject({ limited: true, firstLimit: true });
    t += 5_000;
    expect(limiter.fail('a')).toMatchObject({ limited: true, firstLimit: false });
    expect(limiter.fail('b')).toMatchObject({ limited: true, firstLimit: true });
    t += 5_000;
    expect(limiter.fail('a')).toMatchObject({ limited: true, firstLimit: true });
  });

  it('forgets a key on reset', () => {
    const limiter = createFailureLimiter({ maxFailures: 2, windowMs: 60_000, now: () => 0 });
    limiter.fail('alice');
    limiter.fail('alice');
    expect(limiter.check('alice').limited).toBe(true);
    limiter.reset('alice');
    expect(limiter.check('alice')).toEqual({ limited: false });
    expect(limiter.trackedKeys()).toBe(0);
  });

  it('forgets keys whose failures left the window, and past the cap the key whose last failure is oldest', () => {
    let t = 0;
    const limiter = createFailureLimiter({ maxFailures: 2, windowMs: 60_000, maxKeys: 3, now: () => t });
    for (const key of ['a', 'b', 'c']) {
      limiter.fail(key);
      t += 1_000;
    }
    limiter.fail('a');
    expect(limiter.trackedKeys()).toBe(3);
    // b is the key whose last failure is oldest: a new key takes its place; a, failed again since, stays limited.
    limiter.fail('d');
    expect(limiter.trackedKeys()).toBe(3);
    expect(limiter.check('a')).toMatchObject({ limited: true });
    limiter.fail('b');
    expect(limiter.check('b')).toEqual({ limited: false });
    for (let i = 0; i < 10_000; i++) limiter.fail(`spray-${i}`);
    expect(limiter.trackedKeys()).toBe(3);

    t += 61_000;
    limiter.check('anything');
    expect(limiter.trackedKeys()).toBe(0);
  });

  it('keeps no more failures per key than it limits at, even when attempts race past one check', () => {
    let t = 0;
    const limiter = createFailureLimiter({ maxFailures: 2, windowMs: 60_000, now: () => t });
    for (const at of [0, 10_000, 20_000, 30_000]) {
      t = at;
      limiter.fail('racing');
    }
    // The two newest are kept: free once the 20 s failure is a minute old.
    expect(limiter.check('racing')).toEqual({ limited: true, retryAfterSeconds: 50 });
  });

  it('refuses limits it cannot keep', () => {
    expect(() => createFailureLimiter({ maxFailures: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => createFailureLimiter({ maxFailures: 1.5, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => createFailureLimiter({ maxFailures: 1, windowMs: 0 })).toThrow(RangeError);
    expect(() => createFailureLimiter({ maxFailures: 1, windowMs: 1_000, maxKeys: 0 })).toThrow(RangeError);
  });
});

describe('sign-in limits per operator name and per address', () => {
  it('defaults to 5 failures per name and 20 per address in 15 minutes', () => {
    expect(DEFAULT_SIGN_IN_LIMITS).toEqual({ perOperator: 5, perAddress: 20, windowSeconds: 900 });
    expect(createSignInGuard().limits).toEqual(DEFAULT_SIGN_IN_LIMITS);
  });

  it('limits a name after 5 failures while other names from the same address go on, up to the address limit', () => {
    let t = 0;
    const guard = createSignInGuard({ now: () => t });
    const from = (address: string, operator: string) => ({ address, operator });
    for (let i = 1; i <= 4; i++) expect(guard.failed(from('198.51.100.1', 'alice'))).toEqual([]);
    expect(guard.failed(from('198.51.100.1', 'alice'))).toEqual([{ scope: 'operator', retryAfterSeconds: 900 }]);
    expect(guard.check(from('192.0.2.7', 'alice'))).toEqual({ scope: 'operator', retryAfterSeconds: 900 });
    expect(guard.check(from('192.0.2.7', 'bob'))).toBeUndefined();

    t += 60_000;
    for (const name of ['bob', 'carol', 'dave', 'frank']) for (let i = 0; i < 4; i++) guard.failed(from('192.0.2.7', name));
    for (let i = 0; i < 3; i++) guard.failed(from('192.0.2.7', 'erin'));
    expect(guard.check(from('192.0.2.7', 'erin'))).toBeUndefined();
    // The 20th failure from the address limits every name tried from it; of two limits, the longer is told.
    expect(guard.failed(from('192.0.2.7', 'erin'))).toEqual([{ scope: 'address', retryAfterSeconds: 900 }]);
    expect(guard.check(from('192.0.2.7', 'erin'))).toEqual({ scope: 'address', retryAfterSeconds: 900 });
    expect(guard.check(from('192.0.2.7', 'alice'))).toEqual({ scope: 'address', retryAfterSeconds: 900 });
    expect(guard.check(from('198.51.100.1', 'alice'))).toEqual({ scope: 'operator', retryAfterSeconds: 840 });
    t = 900_000;
    expect(guard.check(from('198.51.100.1', 'alice'))).toBeUndefined();
    expect(guard.check(from('192.0.2.7', 'alice'))).toEqual({ scope: 'address', retryAfterSeconds: 60 });
  });

  it('forgets a name’s failures when it signs in, not its address’s', () => {
    const guard = createSignInGuard({ perOperator: 2, perAddress: 3, now: () => 0 });
    guard.failed({ address: 'a', operator: 'alice' });
    guard.failed({ address: 'a', operator: 'alice' });
    expect(guard.check({ address: 'b', operator: 'alice' })?.scope).toBe('operator');
    guard.succeeded('alice');
    expect(guard.check({ address: 'b', operator: 'alice' })).toBeUndefined();
    guard.failed({ address: 'a' });
    expect(guard.check({ address: 'a', operator: 'alice' })).toEqual({ scope: 'address', retryAfterSeconds: 900 });
  });
});

describe('client address keys', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:192.0.2.7', '192.0.2.7'],
    ['2001:db8:0:1:2:3:4:5', '2001:db8:0:1::/64'],
    ['2001:0db8:0000:0001:ffff::1', '2001:db8:0:1::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.7', '64:ff9b:0:0::/64'],
    ['not-an-address', 'not-an-address'],
  ])('%s is counted as %s', (address, key) => {
    expect(clientAddressKey(address)).toBe(key);
  });
});
