/**
 * What kind of failure an error is; the CLI maps it to an exit code
 * (input 2, verification 3, operational 1).
 */
export type ErrorCategory = 'input' | 'verification' | 'operational';

export const ERROR_CATEGORIES: readonly ErrorCategory[] = ['input', 'verification', 'operational'];

/** Where in an input file a problem sits (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export interface FalcoAirgapErrorOptions {
  code: string;
  category: ErrorCategory;
  /** What the user should do next. */
  hint?: string | undefined;
  position?: SourcePosition | undefined;
  cause?: unknown;
}

/** Base of every error the falco-airgap libraries throw: a stable code, a category and a hint. */
export class FalcoAirgapError extends Error {
  override name = 'FalcoAirgapError';
  readonly code: string;
  readonly category: ErrorCategory;
  readonly hint: string | undefined;
  readonly position: SourcePosition | undefined;

  constructor(message: string, options: FalcoAirgapErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.category = options.category;
    this.hint = options.hint;
    this.position = options.position;
  }
}

export function isFalcoAirgapError(value: unknown): value is FalcoAirgapError {
  return value instanceof FalcoAirgapError;
}

export function formatPosition(position: SourcePosition): string {
  return `${position.file}:${position.line}:${position.column}`;
}

type CodeGroups = { readonly [C in ErrorCategory]?: Readonly<Record<string, string>> };
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type Flatten<T> = { [K in keyof T]: T[K] };
/** The merged `Name → CODE` table of every category group. */
export type ErrorCodeTable<G extends CodeGroups> = Flatten<UnionToIntersection<NonNullable<G[keyof G]>>>;

export interface ErrorCodes<G extends CodeGroups> {
  /** `Name → CODE` across all categories, e.g. `ExtractErrorCode.DigestMismatch`. */
  readonly codes: ErrorCodeTable<G>;
  /** The category of a code of this table (it decides the exit code). */
  categoryOf(code: string): ErrorCategory;
}

/**
 * Declares a package's error codes grouped by category, so the code → category table is written once:
 * `defineErrorCodes({ input: { BadName: 'X_BAD_NAME' }, operational: { ... } })`.
 * A code listed twice, or under two categories, is a programming error and throws at load time.
 */
export function defineErrorCodes<const G extends CodeGroups>(groups: G): ErrorCodes<G> {
  const codes: Record<string, string> = {};
  const categories = new Map<string, ErrorCategory>();
  for (const category of ERROR_CATEGORIES) {
    for (const [name, code] of Object.entries(groups[category] ?? {})) {
      if (name in codes || categories.has(code)) throw new TypeError(`error code ${name} (${code}) is declared twice`);
      codes[name] = code;
      categories.set(code, category);
    }
  }
  Object.freeze(codes);
  return {
    codes: codes as ErrorCodeTable<G>,
    categoryOf(code: string): ErrorCategory {
      const category = categories.get(code);
      if (category === undefined) throw new TypeError(`unknown error code ${code}`);
      return category;
    },
  };
}
