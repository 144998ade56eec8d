import { isUtf8 } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AppError } from "@/src/errors/app-error.js";

/**
 * Deepest nesting of arrays and objects in a GraphQL request (the body, and so its variables).
 * Far above what any input type needs; far below what overflows the stack of the libraries that
 * walk variables recursively (type-graphql's argument conversion failed at a few thousand).
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Brackets outside strings, in one pass and without parsing: whether JSON text nests deeper than
 * `limit`. Works on the text or on its UTF-8 bytes (every byte of a multi-byte character is >= 0x80,
 * so none can pass for a quote, a backslash or a bracket).
 */
export function jsonNestingExceeds(body: string | Uint8Array, limit: number): boolean {
  const bytes = typeof body === "string" ? undefined : body;
  const text = typeof body === "string" ? body : "";
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const char = bytes ? bytes[index] : text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1;
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (char === 0x7d || char === 0x5d) depth -= 1;
  }
  return false;
}

/** The same bound for values already parsed (variables of an in-process call), without recursion. */
export function valueNestingExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [current, depth] = next;
    if (current === null || typeof current !== "object") continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

const isUtf8Charset = (encoding: string | null) => encoding === null || /^utf-?8$/i.test(encoding);

const notUtf8 = () =>
  new AppError("BAD_REQUEST", "The request body is not valid UTF-8; nothing was read from it");

/**
 * body-parser's `verify` hook: it sees the raw bytes before they are decoded, where invalid UTF-8
 * would silently become U+FFFD and change the client's data. Bodies declared in another charset
 * are decoded by that charset and left alone.
 */
export function refuseInvalidUtf8(
  _req: IncomingMessage,
  _res: ServerResponse,
  body: Buffer,
  encoding: string | null,
): void {
  if (isUtf8Charset(encoding) && !isUtf8(body)) throw notUtf8();
}

/**
 * The `verify` hook of a JSON body: UTF-8 only (RFC 8259 section 8.1), valid, and nested at most
 * `maxDepth` levels, all checked on the bytes before anything is parsed (and before authentication).
 */
export function jsonBodyCheck(maxDepth: number) {
  return (_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string | null): void => {
    if (!isUtf8Charset(encoding)) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", "Send JSON as UTF-8 (RFC 8259)");
    }
    if (!isUtf8(body)) throw notUtf8();
    if (jsonNestingExceeds(body, maxDepth)) {
      throw new AppError("BAD_REQUEST", `JSON values nest deeper than ${maxDepth} levels`);
    }
  };
}
