import type { GraphQLFormattedError } from "graphql";
import { type FieldError, invalidInput } from "@/src/errors/app-error.js";
import type { PublicError } from "@/src/errors/error-body.js";
import { ERROR_CODES, isErrorCode } from "@/src/errors/error-code.js";
import type { RestResponse } from "@/src/http/rest-port.js";
import type { ErrorStyle } from "./dialect.js";
import { pathToKebab } from "./kebab-case.js";
import { renderXml } from "./xml-render.js";

const isFieldError = (value: unknown): value is FieldError =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as FieldError).field === "string" &&
  typeof (value as FieldError).message === "string";

/**
 * Apollo reports a variable it cannot coerce as BAD_USER_INPUT without a field list; its message
 * names the place (`... at "input.contact"`). Inputs are checked before they get there, so this
 * is a safety net that still names the field.
 */
function coercionField(message: string, spellPath: (path: string) => string): FieldError[] {
  const at = /at "[^".]+\.([^"]+)"/.exec(message)?.[1];
  return [{ field: at ? spellPath(at) : "body", message }];
}

/**
 * The first error of a failed in-process GraphQL call, as the one shape every surface renders;
 * field paths in the REST family's spelling (`spellPath`: kebab-case for v1, as is for v2).
 */
export function fromGraphQLError(
  error: GraphQLFormattedError,
  spellPath: (path: string) => string = pathToKebab,
): PublicError {
  const extensions = error.extensions ?? {};
  const code = isErrorCode(extensions.code) ? extensions.code : "INTERNAL_SERVER_ERROR";
  // GraphQL names input fields in its own spelling (`answers.0.questionId`): v1 REST shows
  // kebab-case, in the field list and in the message that sums it up.
  const listed = Array.isArray(extensions.errors) ? extensions.errors.filter(isFieldError) : [];
  const errors =
    code === "BAD_USER_INPUT" && listed.length === 0
      ? coercionField(error.message, spellPath)
      : listed.map((item) => ({ field: spellPath(item.field), message: item.message }));
  return {
    code,
    status: ERROR_CODES[code].status,
    // Apollo has already masked internal errors: this message is safe to send.
    message: code === "BAD_USER_INPUT" ? invalidInput(errors).message : error.message,
    reason: typeof extensions.reason === "string" ? extensions.reason : undefined,
    errors,
    retryAfter: typeof extensions.retryAfter === "number" ? extensions.retryAfter : undefined,
  };
}

const problemType = (code: string) => `urn:visit-api:problem:${code.toLowerCase().replaceAll("_", "-")}`;

/**
 * The error documents: SPEC section 5's problem+json `{status, title, errorCode, errors: [{field,
 * error}]}` or XML `<error>` with the same content, and section 9's v2 problem+json, which adds
 * `type` and a `description` per field; each with the message (`detail`) and, for authentication
 * and authorisation refusals, the reason.
 */
export function errorResponse(style: ErrorStyle, error: PublicError): RestResponse {
  const title = ERROR_CODES[error.code].title;
  const headers: Record<string, string> = {};
  if (error.retryAfter !== undefined) headers["retry-after"] = String(error.retryAfter);
  if (style === "xml") {
    headers["content-type"] = "application/xml; charset=utf-8";
    const body = renderXml("error", {
      status: error.status,
      title,
      "error-code": error.code,
      detail: error.message,
      ...(error.reason && { reason: error.reason }),
      errors: error.errors,
    });
    return { status: error.status, headers, body };
  }
  headers["content-type"] = "application/problem+json; charset=utf-8";
  const v2 = style === "v2";
  const body = JSON.stringify({
    status: error.status,
    title,
    ...(v2 && { type: problemType(error.code) }),
    errorCode: error.code,
    detail: error.message,
    ...(error.reason && { reason: error.reason }),
    errors: error.errors.map((item) => ({
      field: item.field,
      error: item.message,
      ...(v2 && { description: `${item.field} ${item.message}` }),
    })),
  });
  return { status: error.status, headers, body };
}
