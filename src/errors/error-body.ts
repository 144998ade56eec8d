import { GraphQLError } from "graphql";
import type { Logger } from "pino";
import { SQL_STATE, sqlState } from "@/src/db/sql-state.js";
import { AppError } from "./app-error.js";
import { ERROR_CODES, type ErrorCode, isErrorCode } from "./error-code.js";

/** An error as every surface renders it: safe to send, with the code, status and field errors. */
export type PublicError = {
  code: ErrorCode;
  status: number;
  message: string;
  reason?: string;
  errors: { field: string; message: string }[];
  retryAfter?: number;
  details?: Record<string, string | number | boolean>;
};

/**
 * Maps anything thrown to a PublicError. Unknown errors (bugs, SQL failures) are logged with the
 * request id and masked: internals never reach a client.
 */
export function toPublicError(error: unknown, log?: Logger): PublicError {
  if (error instanceof GraphQLError) {
    // Our errors carry the details; otherwise a GraphQL error's own code (Apollo's parse and
    // validation errors wrap a code-less original) decides before the original does.
    if (error.originalError instanceof AppError) return toPublicError(error.originalError, log);
    const code = error.extensions.code;
    if (isErrorCode(code)) {
      const reason = typeof error.extensions.reason === "string" ? error.extensions.reason : undefined;
      return { code, status: ERROR_CODES[code].status, message: error.message, reason, errors: [] };
    }
    if (error.originalError) return toPublicError(error.originalError, log);
  }
  if (error instanceof AppError) {
    return {
      code: error.code,
      status: error.status,
      message: error.message,
      reason: error.reason,
      errors: error.errors,
      retryAfter: error.retryAfter,
      details: error.details,
    };
  }
  if (sqlState(error) === SQL_STATE.CHARACTER_NOT_IN_REPERTOIRE) {
    // Only a NUL reaches here (text fields are validated first): an id or filter holding one.
    return {
      code: "BAD_USER_INPUT",
      status: ERROR_CODES.BAD_USER_INPUT.status,
      message: "A value holds a NUL character, which no field accepts",
      errors: [{ field: "input", message: "must not contain NUL characters" }],
    };
  }
  log?.error({ err: error }, "internal error");
  return {
    code: "INTERNAL_SERVER_ERROR",
    status: 500,
    message: "Internal server error; the request id in X-Request-Id identifies it in the server log",
    errors: [],
  };
}
