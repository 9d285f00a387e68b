import { addAbortSignal, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { EngineOperation, EngineProgressEvent, EngineProgressListener } from './container-engine.ts';
import { EngineError, EngineErrorCode } from './errors.ts';

/** One JSON line of the engine's pull, build or push stream. */
export interface ProgressMessage {
  stream?: string;
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

export interface ProgressOutcome {
  /** Every `aux` object the stream carried, in order (the built image id, the pushed digest). */
  aux: Record<string, unknown>[];
  /** The last lines of output, oldest first. */
  output: string[];
}

export interface FollowProgressOptions {
  operation: EngineOperation;
  /** What is pulled, built or pushed, for messages. */
  subject: string;
  onProgress?: EngineProgressListener | undefined;
  signal?: AbortSignal | undefined;
}

/** How many lines of output a failure carries. */
const OUTPUT_TAIL = 20;
const UNAUTHORIZED = /unauthorized|authentication required|denied|no basic auth credentials/i;

const FAILURE: Record<EngineOperation, { code: EngineErrorCode; hint: string }> = {
  pull: {
    code: EngineErrorCode.PullFailed,
    hint: 'check the reference and platform, and that the engine can reach the registry',
  },
  build: {
    code: EngineErrorCode.BuildFailed,
    hint: "read the build output (the error's output) and fix the Dockerfile, the build arguments or the context",
  },
  push: {
    code: EngineErrorCode.PushFailed,
    hint: 'check that the engine can reach the registry and holds the image under that name',
  },
};

/**
 * The error for a pull, build or push the engine reported as failed, inside its stream or as an
 * HTTP error; a refused login on pull or push becomes ENGINE_UNAUTHORIZED.
 */
export function operationFailure(
  operation: EngineOperation,
  subject: string,
  detail: string,
  extra: { output?: readonly string[]; statusCode?: number | undefined; cause?: unknown } = {},
): EngineError {
  const details = { output: extra.output, statusCode: extra.statusCode, cause: extra.cause };
  if (operation !== 'build' && UNAUTHORIZED.test(detail)) {
    return new EngineError(EngineErrorCode.Unauthorized, `the registry refused the engine's ${operation} of ${subject}: ${detail}`, {
      ...details,
      hint: `pass auth with credentials that may ${operation} this repository`,
    });
  }
  const verb = { pull: 'pulling', build: 'building', push: 'pushing' }[operation];
  return new EngineError(FAILURE[operation].code, `${verb} ${subject} failed: ${detail}`, { ...details, hint: FAILURE[operation].hint });
}

/**
 * Reads a pull, build or push stream to its end. The engine answers 200 and reports failures
 * inside the stream, so any `error`/`errorDetail` line rejects; so do a malformed line, a stream
 * error and an abort.
 */
export async function followProgress(stream: AsyncIterable<Buffer | string>, options: FollowProgressOptions): Promise<ProgressOutcome> {
  const { operation, subject, onProgress, signal } = options;
  if (signal && stream instanceof Readable) addAbortSignal(signal, stream);
  const aux: Record<string, unknown>[] = [];
  const output: string[] = [];
  const remember = (text: string) => {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      output.push(line.trimEnd());
      if (output.length > OUTPUT_TAIL) output.shift();
    }
  };
  const handle = (line: string) => {
    if (!line.trim()) return;
    let message: ProgressMessage;
    try {
      message = JSON.parse(line) as ProgressMessage;
    } catch (cause) {
      throw operationFailure(operation, subject, `the engine sent an unreadable progress line: ${line.slice(0, 200)}`, { output, cause });
    }
    if (message.error !== undefined || message.errorDetail !== undefined) {
      throw operationFailure(operation, subject, (message.errorDetail?.message ?? message.error ?? 'unknown error').trim(), { output: [...output] });
    }
    if (message.aux) aux.push(message.aux);
    const event = progressEvent(operation, message);
    if (event) {
      remember(event.type === 'layer' ? `${event.layer}: ${event.status}` : event.text);
      onProgress?.(event);
    }
  };

  const decoder = new StringDecoder('utf8');
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      handle(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  }
  handle(pending + decoder.end());
  return { aux, output };
}

function progressEvent(operation: EngineOperation, message: ProgressMessage): EngineProgressEvent | undefined {
  if (message.stream !== undefined) {
    const text = message.stream.replace(/\n$/, '');
    return text ? { type: 'output', operation, text } : undefined;
  }
  if (message.status === undefined) return undefined;
  if (message.id !== undefined) {
    return {
      type: 'layer',
      operation,
      layer: message.id,
      status: message.status,
      current: message.progressDetail?.current,
      total: message.progressDetail?.total,
    };
  }
  return { type: 'status', operation, text: message.status };
}
