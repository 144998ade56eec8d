/** PostgreSQL error codes (SQLSTATE) the services react to. */
export const SQL_STATE = {
  UNIQUE_VIOLATION: "23505",
  // Text the database cannot store, such as a NUL character.
  CHARACTER_NOT_IN_REPERTOIRE: "22021",
} as const;

/** The SQLSTATE of a database error, also when wrapped (drizzle puts the driver's error in `cause`). */
export function sqlState(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
