import { AppError } from "./app-error.js";
import { ERROR_CODES, type ErrorCode } from "./error-code.js";

/**
 * Maps errors of the HTTP libraries (body-parser's size, syntax and charset errors, and any
 * http-errors 4xx such as an aborted request) to our codes; undefined for anything else.
 */
export function libraryHttpError(error: unknown): AppError | undefined {
  const { type, status, expose, message } = (error ?? {}) as {
    type?: unknown;
    status?: unknown;
    expose?: unknown;
    message?: unknown;
  };
  if (type === "entity.too.large") return new AppError("PAYLOAD_TOO_LARGE", "The request body is too large");
  if (type === "entity.parse.failed")
    return new AppError("BAD_REQUEST", "The request body is not valid JSON");
  if (type === "charset.unsupported" || type === "encoding.unsupported") {
    return new AppError("UNSUPPORTED_MEDIA_TYPE", "Unsupported body encoding");
  }
  if (typeof status === "number" && status >= 400 && status < 500 && expose === true) {
    const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find(
      (candidate) => ERROR_CODES[candidate].status === status,
    );
    return new AppError(code ?? "BAD_REQUEST", typeof message === "string" ? message : "Bad request");
  }
  return undefined;
}
