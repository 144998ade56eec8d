import { ERROR_CODES, type ErrorCode, type ErrorReason } from "./error-code.js";

/** One failing input field: `field` is a dotted path in the caller's input (`contact.email`, `inputs.3.name`). */
export type FieldError = { field: string; message: string };

export type AppErrorOptions = {
  reason?: ErrorReason;
  errors?: FieldError[];
  /** Seconds, for RATE_LIMITED. */
  retryAfter?: number;
  /** Extra, safe details for the client (e.g. the run id of a failed function). */
  details?: Record<string, string | number | boolean>;
};

/** An error whose message is meant for the client. Anything else is masked as INTERNAL_SERVER_ERROR. */
export class AppError extends Error {
  override name = "AppError";
  readonly code: ErrorCode;
  /** A field rather than a getter: body-parser's http-errors assigns `status` on errors thrown in `verify`. */
  readonly status: number;
  readonly reason?: ErrorReason;
  readonly errors: FieldError[];
  readonly retryAfter?: number;
  readonly details?: Record<string, string | number | boolean>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message);
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.reason = options.reason;
    this.errors = options.errors ?? [];
    this.retryAfter = options.retryAfter;
    this.details = options.details;
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);

export const forbidden = (reason: ErrorReason, message: string) =>
  new AppError("FORBIDDEN", message, { reason });

export const unauthenticated = (reason: ErrorReason, message: string) =>
  new AppError("UNAUTHENTICATED", message, { reason });

/** The message of a BAD_USER_INPUT error: the failing fields, in the spelling of the surface. */
export const invalidInputMessage = (errors: readonly FieldError[]): string =>
  `Invalid input: ${errors.map((error) => error.field).join(", ")}`;

export function invalidInput(errors: FieldError[]): AppError {
  return new AppError("BAD_USER_INPUT", invalidInputMessage(errors), { errors });
}

export const conflict = (message: string) => new AppError("CONFLICT", message);
