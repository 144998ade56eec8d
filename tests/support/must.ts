/**
 * Narrows a value a spec expects to be there: a missing one fails with the name of what was
 * missing, not with a TypeError some lines later.
 */
export function must<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be present, got ${value}`);
  return value;
}
