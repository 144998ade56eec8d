import { ApolloServerErrorCode } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "pino";
import { databaseUnavailable, isDatabaseUnavailable } from "@/src/db/database-health.js";
import { SQL_STATE, sqlState } from "@/src/db/sql-state.js";
import { AppError, type FieldError, invalidInputMessage } from "./app-error.js";
import { ERROR_CODES, type ErrorCode, isErrorCode } from "./error-code.js";
import { libraryHttpError } from "./library-error.js";

/** An error as every surface renders it: safe to send, with the code, status and field errors. */
export type PublicError = {
  code: ErrorCode;
  status: number;
  message: string;
  reason?: string;
  errors: FieldError[];
  retryAfter?: number;
  details?: Record<string, string | number | boolean>;
};

const MASKED_MESSAGE =
  "Internal server error; the request id in X-Request-Id identifies it in the server log";

// Apollo's own codes that are not ours: all three are about the request, not our failure.
const APOLLO_CODES: Readonly<Record<string, ErrorCode>> = {
  [ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE]: "BAD_REQUEST",
  [ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND]: "BAD_REQUEST",
  [ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED]: "BAD_REQUEST",
};

const publicError = (code: ErrorCode, message: string, rest: Partial<PublicError> = {}): PublicError => ({
  code,
  status: ERROR_CODES[code].status,
  message,
  errors: [],
  ...rest,
});

/**
 * Maps anything thrown to a PublicError: our AppErrors, GraphQL's and Apollo's errors (by their
 * code), the HTTP libraries' errors. Anything else (bugs, SQL failures) is logged with the request
 * id and masked: internals never reach a client.
 */
export function toPublicError(error: unknown, log?: Logger): PublicError {
  if (error instanceof AppError) {
    return publicError(error.code, error.message, {
      reason: error.reason,
      errors: error.errors,
      retryAfter: error.retryAfter,
      details: error.details,
    });
  }
  if (error instanceof GraphQLError) {
    // Our errors carry the details; otherwise a GraphQL error's own code (Apollo's parse and
    // validation errors wrap a code-less original) decides before the original does.
    if (error.originalError instanceof AppError) return toPublicError(error.originalError, log);
    const given = error.extensions.code;
    const code = isErrorCode(given) ? given : typeof given === "string" ? APOLLO_CODES[given] : undefined;
    if (code) {
      const reason = typeof error.extensions.reason === "string" ? error.extensions.reason : undefined;
      return publicError(code, error.message, { reason });
    }
    if (error.originalError) return toPublicError(error.originalError, log);
  }
  const library = libraryHttpError(error);
  if (library) return toPublicError(library, log);
  if (sqlState(error) === SQL_STATE.CHARACTER_NOT_IN_REPERTOIRE) {
    // Arguments and text fields are checked for NUL first (src/graphql/argument-guard.ts and the
    // services): this is a safety net, and it cannot know which field held the NUL.
    return publicError("BAD_USER_INPUT", "A value holds a NUL character, which no field accepts");
  }
  if (isDatabaseUnavailable(error)) {
    // The database went away mid-request: the same 503 the breaker gives (database-health.ts).
    log?.warn({ err: error }, "database unreachable");
    return toPublicError(databaseUnavailable(), log);
  }
  log?.error({ err: error }, "internal error");
  return publicError("INTERNAL_SERVER_ERROR", MASKED_MESSAGE);
}

/** How a surface spells a GraphQL field path (`answers.0.questionId`): kebab-case for REST v1. */
export type FieldSpelling = (graphqlPath: string) => string;

const isFieldError = (value: unknown): value is FieldError =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as FieldError).field === "string" &&
  typeof (value as FieldError).message === "string";

/**
 * An error of a GraphQL result (as formatted for clients) back as a PublicError, read from its
 * `extensions` alone: the code, reason, field errors and Retry-After. Field paths are re-spelt for
 * the surface, and so is the message that sums them up.
 */
export function fromGraphQLError(
  error: GraphQLFormattedError,
  spelling: FieldSpelling = String,
): PublicError {
  const extensions = error.extensions ?? {};
  // Formatted errors always carry one of our codes; anything else would be a bug, so it is masked.
  if (!isErrorCode(extensions.code)) return publicError("INTERNAL_SERVER_ERROR", MASKED_MESSAGE);
  const code = extensions.code;
  const listed = Array.isArray(extensions.errors) ? extensions.errors.filter(isFieldError) : [];
  const errors = listed.map((item) => ({ field: spelling(item.field), message: item.message }));
  return publicError(
    code,
    code === "BAD_USER_INPUT" && errors.length > 0 ? invalidInputMessage(errors) : error.message,
    {
      reason: typeof extensions.reason === "string" ? extensions.reason : undefined,
      errors,
      retryAfter: typeof extensions.retryAfter === "number" ? extensions.retryAfter : undefined,
    },
  );
}
