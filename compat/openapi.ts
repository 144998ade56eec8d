import {
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
} from "graphql";
import { ERROR_CODES, type ErrorCode } from "@/src/errors/error-code.js";
import type { CompiledRoute } from "./compiled-route.js";
import { type ErrorStyle, type RestDialect, type RestFormat, recordName } from "./dialect.js";
import { plural, singular } from "./kebab-case.js";
import { MAX_LIMIT } from "./request-input.js";
import type { OutputShape } from "./rest-model.js";
import { BODY_TYPES, type QueryParam } from "./route-table.js";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it) or any other OpenAPI object: plain JSON. */
export type Json = { [key: string]: unknown };

const SCALARS: Record<string, Json> = {
  String: { type: "string" },
  ID: { type: "string" },
  Boolean: { type: "boolean" },
  Int: { type: "integer" },
  Float: { type: "number" },
  DateTimeISO: { type: "string", format: "date-time", description: "ISO-8601, UTC" },
  Revision: { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
};

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/**
 * Builds component schemas from the GraphQL types, in one spelling (the families of one document
 * share it), each once. XML hints are added when the document describes XML too.
 */
class Schemas {
  readonly components: Record<string, Json> = {};

  constructor(
    private readonly dialect: RestDialect,
    private readonly xml: boolean,
  ) {}

  private leaf(type: GraphQLNamedType, accepted: boolean): Json {
    if (!isEnumType(type)) return SCALARS[type.name] ?? { type: "string" };
    const values = type.getValues().map((value) => this.dialect.enumToRest(value.name));
    // What a family accepts on input may be more than it sends (v2 takes upper case too).
    const inputs = accepted
      ? type.getValues().flatMap((value) => {
          const spellings = [value.name, this.dialect.enumToRest(value.name)];
          return spellings.filter((raw) => this.dialect.enumFromRest(raw, type) === value.name);
        })
      : values;
    return { type: "string", enum: [...new Set([...values, ...inputs])] };
  }

  private wrapList(name: string, item: Json): Json {
    if (!this.xml) return { type: "array", items: item };
    return { type: "array", items: { ...item, xml: { name: singular(name) } }, xml: { wrapped: true } };
  }

  /** What a route answers, as its document's selection shows it: only selected fields. */
  output(shape: OutputShape, name: string): Json {
    if (shape.kind === "list") return this.wrapList(name, this.output(shape.item, singular(name)));
    if (shape.kind === "leaf") return this.leaf(shape.type, false);
    const { type } = shape;
    if (!this.components[type.name]) {
      // A placeholder first: a type that reaches itself again (a cycle) gets a $ref, not endless recursion.
      this.components[type.name] = {};
      const properties: Record<string, Json> = {};
      const required: string[] = [];
      for (const { key, field, shape: fieldShape } of shape.fields) {
        const restKey = this.dialect.fieldToRest(key);
        properties[restKey] = {
          ...this.output(fieldShape, restKey),
          ...(field.description && { description: field.description }),
        };
        if (isNonNullType(field.type)) required.push(restKey);
      }
      this.components[type.name] = {
        type: "object",
        ...(type.description && { description: type.description }),
        properties,
        required,
        ...(this.xml && { xml: { name: recordName(this.dialect, type.name) } }),
      };
    }
    return ref(type.name);
  }

  /** An input type: every field it accepts; null clears a value on update. */
  input(type: GraphQLInputType, name: string): Json {
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) return this.wrapList(name, this.input(nullable.ofType, singular(name)));
    if (!isInputObjectType(nullable)) return this.leaf(nullable, true);
    if (!this.components[nullable.name]) {
      // The placeholder is not dead: it stops the recursion when an input type contains itself.
      this.components[nullable.name] = {};
      this.components[nullable.name] = this.inputObject(nullable);
    }
    return ref(nullable.name);
  }

  private inputObject(type: GraphQLInputObjectType): Json {
    const properties: Record<string, Json> = {};
    const required: string[] = [];
    for (const field of Object.values(type.getFields())) {
      const key = this.dialect.fieldToRest(field.name);
      const schema = this.input(field.type, key);
      properties[key] = isNonNullType(field.type)
        ? schema
        : { oneOf: [schema, { type: "null" }], ...(field.description && { description: field.description }) };
      if (isNonNullType(field.type) && field.defaultValue === undefined) required.push(key);
    }
    return {
      type: "object",
      ...(type.description && { description: type.description }),
      properties,
      required,
      additionalProperties: false,
    };
  }
}

function queryParameter(name: QueryParam, route: CompiledRoute): Json {
  const { dialect } = route;
  const spelled = (value: string) => dialect.enumToRest(value);
  const groups = Object.keys(dialect.stateGroups).map(
    (group) => `\`${group}\` means ${dialect.stateGroups[group].map(spelled).join(", ")}`,
  );
  const parameters: Record<QueryParam, Json> = {
    fromRevision: {
      description: "Inclusive: the highest revision already seen + 1",
      schema: { type: "integer", minimum: 0 },
    },
    limit: {
      description: "Page size",
      schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: MAX_LIMIT },
    },
    registrationStates: {
      description: `Comma-separated registration states (e.g. \`${spelled("REGISTERED")},${spelled("PENDING_CONFIRMATION")}\`)${groups.length > 0 ? `; ${groups.join("; ")}` : ""}`,
      schema: { type: "string" },
    },
    registrationTypes: { description: "Comma-separated registration type ids", schema: { type: "string" } },
    registrationType: {
      description: "Comma-separated registration type ids (Visit's singular spelling of registrationTypes)",
      schema: { type: "string" },
    },
    contactReference: {
      description: "Only records whose contact has this reference",
      schema: { type: "string" },
    },
    showDeleted: { description: "Include tombstones", schema: { type: "boolean", default: true } },
    reference: { description: "Only records with exactly this reference", schema: { type: "string" } },
    webhookId: {
      description:
        "Only what this webhook's ping covers: its records changed after its delivered revision, up to the " +
        "revision the ping covers (the latest when none is in flight). Pull this, then answer the ping 2xx. " +
        "Another event's webhook is 404.",
      schema: { type: "string" },
    },
  };
  return { name, in: "query", ...parameters[name] };
}

const MEDIA: Record<RestFormat, { body: string; error: string }> = {
  json: { body: "application/json", error: "application/problem+json" },
  xml: { body: "application/xml", error: "application/xml" },
};

const fieldErrors = (v2: boolean): Json => ({
  type: "array",
  items: {
    type: "object",
    properties: {
      field: { type: "string", description: "The failing field or parameter, as a dotted path" },
      error: { type: "string" },
      ...(v2 && { description: { type: "string", description: "A sentence naming the field" } }),
    },
    required: ["field", "error", ...(v2 ? ["description"] : [])],
  },
});

const problem = (v2: boolean): Json => ({
  type: "object",
  description: "RFC 9457 problem details",
  properties: {
    status: { type: "integer" },
    title: { type: "string" },
    ...(v2 && { type: { type: "string", format: "uri", description: "Identifies the error code" } }),
    errorCode: { type: "string", enum: Object.keys(ERROR_CODES) },
    detail: { type: "string" },
    reason: { type: "string", description: "Why authentication or authorisation failed" },
    errors: fieldErrors(v2),
  },
  required: ["status", "title", ...(v2 ? ["type"] : []), "errorCode", "errors"],
});

const ERROR_SCHEMAS: Record<ErrorStyle, { name: string; schema: Json }> = {
  json: { name: "Problem", schema: problem(false) },
  v2: { name: "Problem", schema: problem(true) },
  xml: {
    name: "XmlError",
    schema: {
      type: "object",
      xml: { name: "error" },
      properties: {
        status: { type: "integer" },
        title: { type: "string" },
        "error-code": { type: "string", enum: Object.keys(ERROR_CODES) },
        detail: { type: "string" },
        reason: { type: "string" },
        errors: {
          type: "array",
          xml: { wrapped: true },
          items: {
            type: "object",
            xml: { name: "error" },
            properties: { field: { type: "string" }, message: { type: "string" } },
          },
        },
      },
      required: ["status", "title", "error-code"],
    },
  },
};

function errorResponses(route: CompiledRoute): Record<string, Json> {
  const { dialect } = route;
  const codes: ErrorCode[] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "RATE_LIMITED",
    "INTERNAL_SERVER_ERROR",
  ];
  if (route.input) codes.push("BAD_REQUEST", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE");
  // A strict family refuses unknown query parameters on every route.
  else if (dialect.strictQuery) codes.push("BAD_REQUEST");
  if (route.input || route.params) codes.push("BAD_USER_INPUT");
  const schema = ref(ERROR_SCHEMAS[dialect.errorStyle].name);
  const responses: Record<string, Json> = {};
  for (const code of codes) {
    responses[String(ERROR_CODES[code].status)] = {
      description: ERROR_CODES[code].title,
      content: { [MEDIA[dialect.format].error]: { schema } },
      ...(code === "RATE_LIMITED" && {
        headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
      }),
    };
  }
  return responses;
}

const INFO: Record<"v1" | "v2", Json> = {
  v1: {
    title: "Visit API: legacy REST (JSON and XML)",
    version: "1.0",
    description:
      "Every route is one GraphQL operation run in-process. Field names are kebab-case in both formats; " +
      "XML lists are a plural element of singular ones, null fields are left out. In XML request bodies " +
      '`xsi:nil="true"` clears a field on update. Dates are ISO-8601 UTC. Visit Create v2 is described at ' +
      "/create/v2/openapi.json.",
  },
  v2: {
    title: "Visit API: Visit Create v2 (JSON)",
    version: "2.0",
    description:
      "The Visit platform's current JSON API: switch a client's base URL to /create/v2 and nothing else. " +
      "Every route is one GraphQL operation run in-process. Field names are camelCase, enum values lower " +
      "camelCase (upper case accepted on input), dates ISO-8601 UTC, null fields left out. Lists are bare " +
      "arrays in revision order. A query parameter a route does not know is refused with 400.",
  },
};

/**
 * The OpenAPI 3.1 description of every route of some families (v1 JSON and XML in one document,
 * v2 in another), generated from the route tables and the GraphQL types, so it cannot drift from
 * what the routes do.
 */
export function openApiDocument(families: { dialect: RestDialect; routes: CompiledRoute[] }[]): Json {
  const [first] = families;
  if (!first) throw new Error("an OpenAPI document describes at least one family");
  const v2 = first.dialect.name === "v2";
  const schemas = new Schemas(
    first.dialect,
    families.some(({ dialect }) => dialect.format === "xml"),
  );
  const errorSchemas: Record<string, Json> = {};
  const paths: Record<string, Record<string, Json>> = {};
  for (const { dialect, routes } of families) {
    const { name: errorName, schema: errorSchema } = ERROR_SCHEMAS[dialect.errorStyle];
    errorSchemas[errorName] = errorSchema;
    for (const route of routes) {
      const path = `${dialect.prefix}${route.path.replace(/:(\w+)/g, "{$1}")}`;
      const parameters = [
        ...route.pathParams.map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
        ...(route.params ?? []).map((name) => queryParameter(name, route)),
      ];
      const listName = plural(route.element);
      const result = route.list
        ? {
            ...schemas.output(route.resultShape, listName),
            ...(dialect.format === "xml" && { xml: { name: listName, wrapped: true } }),
          }
        : {
            ...schemas.output(route.resultShape, route.element),
            ...(dialect.format === "xml" && { xml: { name: route.element } }),
          };
      const { input } = route;
      const body = input && {
        required: true,
        content: Object.fromEntries(
          BODY_TYPES[dialect.format]
            .filter((type) => !type.includes("*"))
            .map((type) => [
              type,
              {
                schema: {
                  ...schemas.input(input.type, route.element),
                  ...(dialect.format === "xml" && { xml: { name: route.element } }),
                },
              },
            ]),
        ),
      };
      const success: Json =
        route.status === 204
          ? { description: "Deleted" }
          : {
              description: route.status === 201 ? "Created" : "OK",
              content: { [MEDIA[dialect.format].body]: { schema: result } },
              ...(route.status === 201 && {
                headers: { Location: { description: "The new record's URL", schema: { type: "string" } } },
              }),
            };
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = {
        operationId: `${dialect.name}${route.operation.replace(/^(Compat|V2)/, "")}`,
        summary: route.summary,
        tags: [`${dialect.label} ${listName}`],
        parameters,
        ...(body && { requestBody: body }),
        responses: { [String(route.status)]: success, ...errorResponses(route) },
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: INFO[v2 ? "v2" : "v1"],
    security: [{ basic: [] }, { bearer: [] }],
    paths,
    components: {
      schemas: { ...schemas.components, ...errorSchemas },
      securitySchemes: {
        basic: { type: "http", scheme: "basic", description: "API key as user name, empty password" },
        bearer: { type: "http", scheme: "bearer", description: "API key or session token" },
      },
    },
  };
}
