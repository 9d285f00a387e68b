/** `T` with every key that may hold `undefined` made optional instead, as exact optional property types want. */
export type DefinedFields<T extends object> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** A copy of `fields` without the keys whose value is `undefined`, for inputs (SDK configs, Docker options) that refuse them. */
export function definedFields<T extends object>(fields: T): DefinedFields<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as DefinedFields<T>;
}
