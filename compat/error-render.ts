import { type ErrorFormat, renderError } from "@/src/errors/error-render.js";
import type { FieldSpelling, PublicError } from "@/src/errors/public-error.js";
import type { RestResponse } from "@/src/http/rest-port.js";
import { type ErrorStyle, pathToRest, type RestDialect, V1_JSON } from "./dialect.js";

/** The error document of each REST family (rendered by src/errors/error-render.ts). */
const ERROR_FORMATS: Record<ErrorStyle, ErrorFormat> = {
  json: "problem+json",
  xml: "xml",
  v2: "problem+json-v2",
};

const BODY_VARIABLE = "input.";

/**
 * A GraphQL field path as a path in the request body. The body of every REST route is its
 * operation's `$input`: a variable error names it (`input.contact.jobTitle`), the services name
 * fields within it already (`contact.email`).
 */
export const bodyFieldPath = (path: string): string =>
  path.startsWith(BODY_VARIABLE) ? path.slice(BODY_VARIABLE.length) : path;

/** A family's spelling of a GraphQL field path in the body: `answers.0.question-id` (v1), as is (v2). */
export const restFieldSpelling =
  (dialect: RestDialect): FieldSpelling =>
  (path) =>
    pathToRest(dialect, bodyFieldPath(path));

/** REST v1's spelling (JSON and XML alike): kebab-case. */
export const restFieldName: FieldSpelling = restFieldSpelling(V1_JSON);

/** An error as a REST family answers it: its error document, status and Retry-After. */
export function errorResponse(style: ErrorStyle, error: PublicError): RestResponse {
  const { status, headers, type, body } = renderError(error, ERROR_FORMATS[style]);
  const lowerCase = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return { status, headers: { ...lowerCase, "content-type": type }, body };
}
