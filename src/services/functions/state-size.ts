import type { JsonValue } from "./function-types.js";

/** SPEC 6: small JSON state per function, for sync cursors. */
export const STATE_LIMIT_BYTES = 64 * 1024;

/** A `state.set` that would take a function's state over its size limit. */
export class StateLimitError extends Error {
  override name = "StateLimitError";
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "", "utf8");

const refusal = (name: string, bytes: number, limitBytes: number) =>
  new StateLimitError(
    `state.set("${name}") refused: the function's state would be ${bytes} bytes, over the limit of ${limitBytes} bytes`,
  );

/** Refuses an entry that alone exceeds the limit, before any store is asked. */
export function checkStateEntry(name: string, value: JsonValue, limitBytes: number): void {
  const bytes = jsonBytes({ [name]: value });
  if (bytes > limitBytes) throw refusal(name, bytes, limitBytes);
}

/**
 * The state after `state.set(name, value)`, for stores that keep one JSON object per function; the
 * size counted is that object's JSON. Throws StateLimitError instead of going over the limit.
 */
export function setStateEntry(
  state: Readonly<Record<string, JsonValue>>,
  name: string,
  value: JsonValue,
  limitBytes: number,
): Record<string, JsonValue> {
  const next = { ...state, [name]: value };
  const bytes = jsonBytes(next);
  if (bytes > limitBytes) throw refusal(name, bytes, limitBytes);
  return next;
}
