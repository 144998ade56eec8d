/**
 * The closed list of error codes. Every surface maps from here: GraphQL `extensions.code`,
 * the HTTP status, and the JSON/XML error bodies of the legacy layer.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { status: 400, title: "Bad request" },
  GRAPHQL_PARSE_FAILED: { status: 400, title: "GraphQL syntax error" },
  GRAPHQL_VALIDATION_FAILED: { status: 400, title: "GraphQL validation failed" },
  UNAUTHENTICATED: { status: 401, title: "Unauthenticated" },
  FORBIDDEN: { status: 403, title: "Forbidden" },
  NOT_FOUND: { status: 404, title: "Not found" },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed" },
  CONFLICT: { status: 409, title: "Conflict" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  BAD_USER_INPUT: { status: 422, title: "Validation failed" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL_SERVER_ERROR: { status: 500, title: "Internal server error" },
  BAD_GATEWAY: { status: 502, title: "Function failed" },
  SERVICE_UNAVAILABLE: { status: 503, title: "Service unavailable" },
  GATEWAY_TIMEOUT: { status: 504, title: "Function timed out" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Why an authentication or authorisation failed (SPEC section 3). */
export type ErrorReason =
  | "MISSING_CREDENTIALS"
  | "MALFORMED_CREDENTIALS"
  | "UNKNOWN_KEY"
  | "KEY_DISABLED"
  | "KEY_EXPIRED"
  | "IP_NOT_ALLOWED"
  | "INVALID_SESSION"
  | "SESSION_EXPIRED"
  | "INVALID_CREDENTIALS"
  | "USER_DEACTIVATED"
  | "EVENT_NOT_ALLOWED"
  | "READ_ONLY_KEY"
  | "MISSING_ROLE"
  | "OPERATOR_ONLY"
  | "NOT_FUNCTION_KEY"
  | "QUERY_TOO_DEEP"
  | "QUERY_TOO_COMPLEX";

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
