/** Commander's argument parser for a flag that may be given several times. */
export const repeatable = (value: string, previous: string[]): string[] => [...previous, value];
