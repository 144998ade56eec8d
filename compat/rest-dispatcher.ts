import type { GraphQLSchema } from "graphql";
import { requireOrganisation } from "@/src/auth/actor.js";
import { AppError } from "@/src/errors/app-error.js";
import { fromGraphQLError, toPublicError } from "@/src/errors/public-error.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
import type { RestCaller, RestPort, RestRequest, RestResponse } from "@/src/http/rest-port.js";
import { type CompiledRoute, compileRoutes } from "./compiled-route.js";
import type { RestDialect } from "./dialect.js";
import { errorResponse, restFieldSpelling } from "./error-render.js";
import { plural } from "./kebab-case.js";
import { type Json, openApiDocument } from "./openapi.js";
import { bodyInput, type QueryValues, queryVariables } from "./request-input.js";
import { toRest } from "./rest-model.js";
import { BODY_TYPES, FAMILIES } from "./route-table.js";
import { renderXml } from "./xml-render.js";

export type CompiledFamily = { dialect: RestDialect; routes: CompiledRoute[] };

export type RestDispatcherDeps = {
  graphql: GraphQLExecutor;
  schema: GraphQLSchema;
  /** Largest request body (BODY_LIMIT_BYTES); HTTP readers stop earlier, in-process callers here. */
  bodyLimitBytes: number;
};

// Only a path of this origin is one of ours: `//host/...` would parse as another.
const ORIGIN = "http://in-process";

const CONTENT_TYPES = { json: "application/json; charset=utf-8", xml: "application/xml; charset=utf-8" };

/** Whether a Content-Type header names one of `accepted` (`application/*+json` matches any `+json`). */
function mediaTypeMatches(header: string | undefined, accepted: readonly string[]): boolean {
  const [type, subtype] = (header ?? "").split(";")[0].trim().toLowerCase().split("/");
  if (!type || !subtype) return false;
  return accepted.some((pattern) => {
    const [patternType, patternSubtype] = pattern.split("/") as [string, string];
    if (patternType !== type) return false;
    return patternSubtype.startsWith("*+")
      ? subtype.endsWith(patternSubtype.slice(1))
      : patternSubtype === subtype;
  });
}

function queryValues(url: URL): QueryValues {
  // No prototype: a parameter named __proto__ is just a name.
  const query: QueryValues = Object.create(null);
  for (const [name, value] of url.searchParams) {
    const existing = query[name];
    query[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/** A result with its object field `name` in its place (see CompatRoute.spread). */
function spread(result: Record<string, unknown>, name: string): Record<string, unknown> {
  const { [name]: inner, ...siblings } = result;
  return { ...(inner as Record<string, unknown>), ...siblings };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AppError("BAD_REQUEST", `Malformed path segment: ${segment}`);
  }
}

/**
 * The REST layer without HTTP: matches a request against the route tables of the families (v1
 * JSON, v1 XML, v2), authenticates the caller once the route is known, reads the query and body
 * into the route's variables, runs its GraphQL operation in-process and renders the result or the
 * error as the family does. The Express routers and the sandbox's `visit.fetch` both call it.
 */
export class RestDispatcher implements RestPort {
  readonly families: CompiledFamily[];
  /** OpenAPI 3.1 descriptions: v1 (JSON and XML) and v2, generated from the same tables. */
  readonly openApi: { v1: Json; v2: Json };

  constructor(private readonly deps: RestDispatcherDeps) {
    // An invalid route document is a programming error: this throws at start, naming it.
    this.families = FAMILIES.map((family) => ({
      dialect: family.dialect,
      routes: compileRoutes(deps.schema, family),
    }));
    this.openApi = {
      v1: openApiDocument(this.families.filter((family) => family.dialect.name !== "v2")),
      v2: openApiDocument(this.families.filter((family) => family.dialect.name === "v2")),
    };
  }

  /** The family a path belongs to (its prefix matched as Express mounts match: any case). */
  familyOf(pathname: string): CompiledFamily | undefined {
    const lower = pathname.toLowerCase();
    return this.families.find(
      ({ dialect }) => lower === dialect.prefix || lower.startsWith(`${dialect.prefix}/`),
    );
  }

  async dispatch(request: RestRequest, caller: RestCaller) {
    const url = new URL(request.url, ORIGIN);
    const family = url.origin === ORIGIN ? this.familyOf(url.pathname) : undefined;
    if (!family) return undefined;
    let response: RestResponse;
    try {
      response = await this.answer(family, url, request, caller);
    } catch (error) {
      response = this.failure(family.dialect, error, caller);
    }
    if (request.method === "HEAD") response = { ...response, body: "" };
    return { callType: family.dialect.callType, response };
  }

  private failure(
    dialect: RestDialect,
    error: unknown,
    caller: RestCaller,
    headers: Record<string, string> = {},
  ): RestResponse {
    const rendered = errorResponse(dialect.errorStyle, toPublicError(error, caller.log));
    return { ...rendered, headers: { ...rendered.headers, ...headers } };
  }

  private async answer(
    family: CompiledFamily,
    url: URL,
    request: RestRequest,
    caller: RestCaller,
  ): Promise<RestResponse> {
    const { dialect } = family;
    const path = url.pathname.slice(dialect.prefix.length);
    const candidates = family.routes.filter((route) => route.pattern.test(path));
    if (candidates.length === 0) {
      throw new AppError("NOT_FOUND", `No route for ${request.method} ${url.pathname}`);
    }
    const method = request.method === "HEAD" ? "GET" : request.method;
    const route = candidates.find((candidate) => candidate.method === method);
    if (!route) {
      const methods = candidates.map((candidate) => candidate.method);
      const allow = [...methods, ...(methods.includes("GET") ? ["HEAD"] : [])].join(", ");
      const refusal = new AppError(
        "METHOD_NOT_ALLOWED",
        `${request.method} is not allowed here; use ${allow}`,
      );
      return this.failure(dialect, refusal, caller, { allow });
    }

    // Credentials first: nobody gets a query or body read without them.
    const actor = requireOrganisation(await caller.authenticate());
    // Matches: the route was chosen because its pattern did.
    const match = route.pattern.exec(path);
    if (!match) throw new Error(`${route.method} ${route.pattern} does not match ${path}`);
    const segments = match.slice(1);
    const variables: Record<string, unknown> = Object.fromEntries(
      route.pathParams.map((name, index) => [name, decodeSegment(segments[index])]),
    );
    Object.assign(variables, queryVariables(route, queryValues(url)));
    if (route.input) variables.input = bodyInput(route, await this.readBody(route, request));

    const outcome = await this.deps.graphql(
      { query: route.query, variables, operationName: route.operation },
      actor,
      caller.requestId,
    );
    const failure = outcome.errors[0];
    if (failure) {
      // The error's code, reason and fields come from its extensions, never from its message.
      const error = fromGraphQLError(failure, restFieldSpelling(dialect));
      return errorResponse(dialect.errorStyle, error);
    }
    if (route.status === 204) return { status: 204, headers: {}, body: "" };

    const result = outcome.data?.[route.result] as Record<string, unknown> | undefined;
    if (result === undefined) throw new Error(`${route.operation} returned no ${route.result}`);
    const data = route.spread ? spread(result, route.spread) : result;
    const records = route.connection ? (data.edges as { node: unknown }[]).map((edge) => edge.node) : data;
    const rest = toRest(records, route.resultShape, dialect) ?? {};
    const headers: Record<string, string> = { "content-type": CONTENT_TYPES[dialect.format] };
    if (route.status === 201) {
      headers.location = `${url.pathname.replace(/\/$/, "")}/${encodeURIComponent(String(data.id))}`;
    }
    const body =
      dialect.format === "json"
        ? JSON.stringify(rest)
        : renderXml(route.list ? plural(route.element) : route.element, rest);
    return { status: route.status, headers, body };
  }

  /** 400 without a body, 415 for another media type, 413 over the limit; then the text. */
  private async readBody(route: CompiledRoute, request: RestRequest): Promise<string> {
    const { format } = route.dialect;
    const { headers } = request;
    const declared =
      headers["transfer-encoding"] !== undefined ||
      (headers["content-length"] !== undefined && headers["content-length"] !== "0");
    if (!declared) throw new AppError("BAD_REQUEST", `This route needs a ${format.toUpperCase()} body`);
    if (!mediaTypeMatches(headers["content-type"], BODY_TYPES[format])) {
      throw new AppError("UNSUPPORTED_MEDIA_TYPE", `Send the body as ${BODY_TYPES[format].join(" or ")}`);
    }
    const text = await request.body();
    if (Buffer.byteLength(text, "utf8") > this.deps.bodyLimitBytes) {
      throw new AppError("PAYLOAD_TOO_LARGE", "The request body is too large");
    }
    return text;
  }
}
