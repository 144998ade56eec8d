import type { Response } from "express";
import type { GraphQLFormattedError } from "graphql";
import { type FieldError, invalidInput } from "@/src/errors/app-error.js";
import type { PublicError } from "@/src/errors/error-body.js";
import { ERROR_CODES, isErrorCode } from "@/src/errors/error-code.js";
import { pathToKebab } from "./kebab-case.js";
import type { RestFormat } from "./route-table.js";
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
function coercionField(message: string): FieldError[] {
  const at = /at "[^".]+\.([^"]+)"/.exec(message)?.[1];
  return [{ field: at ? pathToKebab(at) : "body", message }];
}

/** The first error of a failed in-process GraphQL call, as the one shape every surface renders. */
export function fromGraphQLError(error: GraphQLFormattedError): PublicError {
  const extensions = error.extensions ?? {};
  const code = isErrorCode(extensions.code) ? extensions.code : "INTERNAL_SERVER_ERROR";
  // GraphQL names input fields in its own spelling (`answers.0.questionId`): REST shows kebab-case,
  // in the field list and in the message that sums it up.
  const listed = Array.isArray(extensions.errors) ? extensions.errors.filter(isFieldError) : [];
  const errors =
    code === "BAD_USER_INPUT" && listed.length === 0
      ? coercionField(error.message)
      : listed.map((item) => ({ field: pathToKebab(item.field), message: item.message }));
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

/**
 * SPEC section 5's error documents: problem+json `{status, title, errorCode, errors: [{field,
 * error}]}` or XML `<error>` with the same content, plus the message (`detail`) and, for
 * authentication and authorisation refusals, the reason.
 */
export function sendError(res: Response, format: RestFormat, error: PublicError): void {
  const title = ERROR_CODES[error.code].title;
  if (error.retryAfter !== undefined) res.set("Retry-After", String(error.retryAfter));
  res.status(error.status);
  if (format === "json") {
    res.type("application/problem+json").send(
      JSON.stringify({
        status: error.status,
        title,
        errorCode: error.code,
        detail: error.message,
        ...(error.reason && { reason: error.reason }),
        errors: error.errors.map((item) => ({ field: item.field, error: item.message })),
      }),
    );
    return;
  }
  res.type("application/xml; charset=utf-8").send(
    renderXml("error", {
      status: error.status,
      title,
      "error-code": error.code,
      detail: error.message,
      ...(error.reason && { reason: error.reason }),
      errors: error.errors,
    }),
  );
}
