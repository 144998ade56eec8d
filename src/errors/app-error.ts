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
  readonly reason?: ErrorReason;
  readonly errors: FieldError[];
  readonly retryAfter?: number;
  readonly details?: Record<string, string | number | boolean>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message);
    this.code = code;
    this.reason = options.reason;
    this.errors = options.errors ?? [];
    this.retryAfter = options.retryAfter;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export const notFound = (what: string) => new AppError("NOT_FOUND", `${what} not found`);

export const forbidden = (reason: ErrorReason, message: string) =>
  new AppError("FORBIDDEN", message, { reason });

export const unauthenticated = (reason: ErrorReason, message: string) =>
  new AppError("UNAUTHENTICATED", message, { reason });

export function invalidInput(errors: FieldError[]): AppError {
  const fields = errors.map((error) => error.field).join(", ");
  return new AppError("BAD_USER_INPUT", `Invalid input: ${fields}`, { errors });
}

export const conflict = (message: string) => new AppError("CONFLICT", message);
