import type { Response } from "express";
import { type ErrorFormat, sendError } from "@/src/errors/error-render.js";
import type { FieldSpelling, PublicError } from "@/src/errors/public-error.js";
import { pathToKebab } from "./kebab-case.js";
import type { RestFormat } from "./route-table.js";

/** The error document of each REST format (rendered by src/errors/error-render.ts). */
const ERROR_FORMATS: Record<RestFormat, ErrorFormat> = { json: "problem+json", xml: "xml" };

const BODY_VARIABLE = "input.";

/**
 * A GraphQL field path as a path in the request body. The body of every REST route is its
 * operation's `$input`: a variable error names it (`input.contact.jobTitle`), the services name
 * fields within it already (`contact.email`).
 */
export const bodyFieldPath = (path: string): string =>
  path.startsWith(BODY_VARIABLE) ? path.slice(BODY_VARIABLE.length) : path;

/** REST v1's spelling of a GraphQL field path: in the body, kebab-case (`answers.0.question-id`). */
export const restFieldName: FieldSpelling = (path) => pathToKebab(bodyFieldPath(path));

/**
 * SPEC section 5's error documents: problem+json `{status, title, errorCode, errors: [{field,
 * error}]}` or XML `<error>` with the same content, plus the message (`detail`) and, for
 * authentication and authorisation refusals, the reason.
 */
export function sendRestError(res: Response, format: RestFormat, error: PublicError): void {
  sendError(res, error, ERROR_FORMATS[format]);
}
