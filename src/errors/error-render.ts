import type { Response } from "express";
import type { GraphQLFormattedError } from "graphql";
import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces.js";
import { ERROR_CODES, isErrorCode } from "./error-code.js";
import type { PublicError } from "./public-error.js";

/**
 * The one renderer of error bodies. Every surface takes a PublicError (src/errors/public-error.ts)
 * and answers it in its own shape: GraphQL's `errors` entry, RFC 9457 problem+json (REST JSON and
 * endpoint functions), Visit Create v2's problem+json (`/create/v2`), or the XML error document of
 * schema/error.xsd (REST XML).
 */
export type ErrorFormat = "graphql" | "problem+json" | "problem+json-v2" | "xml";

/** A GraphQL `errors` entry: the message, and the code, reason, field errors and details in `extensions`. */
export function graphqlError(
  error: PublicError,
  at: Pick<GraphQLFormattedError, "locations" | "path"> = {},
): GraphQLFormattedError {
  return {
    message: error.message,
    ...(at.locations && { locations: at.locations }),
    ...(at.path && { path: at.path }),
    extensions: {
      code: error.code,
      ...(error.reason && { reason: error.reason }),
      ...(error.errors.length > 0 && { errors: error.errors }),
      ...(error.retryAfter !== undefined && { retryAfter: error.retryAfter }),
      ...error.details,
    },
  };
}

export type ProblemDocument = {
  status: number;
  title: string;
  errorCode: string;
  detail: string;
  reason?: string;
  errors: { field: string; error: string }[];
  [detail: string]: unknown;
};

/** The problem `type` of an error code: a URN, since the codes are documented here, not at a URL. */
export const problemType = (code: string) =>
  `urn:visit-api:problem:${code.toLowerCase().replaceAll("_", "-")}`;

/**
 * SPEC section 5's problem+json: `{status, title, errorCode, detail, reason?, errors: [{field, error}]}`
 * and any details; section 9's (v2) adds the problem `type` and a `description` per field.
 */
export function problemDocument(error: PublicError, v2 = false): ProblemDocument {
  return {
    status: error.status,
    title: ERROR_CODES[error.code].title,
    ...(v2 && { type: problemType(error.code) }),
    errorCode: error.code,
    detail: error.message,
    ...(error.reason && { reason: error.reason }),
    errors: error.errors.map((item) => ({
      field: item.field,
      error: item.message,
      ...(v2 && { description: `${item.field} ${item.message}` }),
    })),
    ...error.details,
  };
}

function text(parent: XMLBuilder, name: string, value: string | number): void {
  // xmlbuilder2 leaves an `&` that starts something entity-like unescaped: escape every `&` first
  // (compat/xml-render.ts does the same for records).
  parent.ele(name).txt(String(value).replaceAll("&", "&amp;"));
}

/** The XML error document of schema/error.xsd (SPEC section 5), with the same content as problem+json. */
export function xmlErrorDocument(error: PublicError): string {
  // XML 1.0 cannot carry most control characters, not even escaped: they become U+FFFD.
  const document = create({ version: "1.0", encoding: "UTF-8", invalidCharReplacement: "\uFFFD" });
  const root = document.ele("error");
  text(root, "status", error.status);
  text(root, "title", ERROR_CODES[error.code].title);
  text(root, "error-code", error.code);
  text(root, "detail", error.message);
  if (error.reason) text(root, "reason", error.reason);
  const list = root.ele("errors");
  for (const item of error.errors) {
    const entry = list.ele("error");
    text(entry, "field", item.field);
    text(entry, "message", item.message);
  }
  // A literal CR would come back as LF (XML normalises line ends); as a reference it survives.
  return document.end({ prettyPrint: true }).replaceAll("\r", "&#xD;");
}

export type RenderedError = { status: number; headers: Record<string, string>; type: string; body: string };

export function renderError(error: PublicError, format: ErrorFormat): RenderedError {
  const headers: Record<string, string> =
    error.retryAfter !== undefined ? { "Retry-After": String(error.retryAfter) } : {};
  const rendered = (type: string, body: string) => ({ status: error.status, headers, type, body });
  if (format === "graphql") {
    return rendered("application/json; charset=utf-8", JSON.stringify({ errors: [graphqlError(error)] }));
  }
  if (format === "problem+json" || format === "problem+json-v2") {
    const document = problemDocument(error, format === "problem+json-v2");
    return rendered("application/problem+json; charset=utf-8", JSON.stringify(document));
  }
  return rendered("application/xml; charset=utf-8", xmlErrorDocument(error));
}

/** Answers an Express request with the error in the given format (status, Retry-After, body). */
export function sendError(res: Response, error: PublicError, format: ErrorFormat): void {
  const { status, headers, type, body } = renderError(error, format);
  res.status(status).set(headers).type(type).send(body);
}

/**
 * The HTTP status of a GraphQL result, over HTTP or in-process (for statistics): 200 when some data
 * came back; when the whole operation failed, the status of its first error, so plain HTTP clients
 * see what happened (401, 403, 404, 422, ...).
 */
export function operationStatus(result: {
  data?: unknown;
  errors?: readonly GraphQLFormattedError[];
}): number {
  const first = result.errors?.[0];
  if (result.data != null || !first) return 200;
  const code = first.extensions?.code;
  return isErrorCode(code) ? ERROR_CODES[code].status : 500;
}
