import {
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { ERROR_CODES, type ErrorCode } from "@/src/errors/error-code.js";
import { enumToRest, plural, singular, toKebab, typeElement } from "./kebab-case.js";
import { MAX_LIMIT } from "./request-input.js";
import {
  BODY_TYPES,
  type CompiledRoute,
  type ListParam,
  REST_FORMATS,
  type RestFormat,
} from "./route-table.js";

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it) or any other OpenAPI object: plain JSON. */
type Json = { [key: string]: unknown };

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

/** Builds component schemas from the GraphQL types, in REST spelling, each once. */
class Schemas {
  readonly components: Record<string, Json> = {};

  private leaf(type: GraphQLNamedType): Json {
    if (isEnumType(type)) {
      return { type: "string", enum: type.getValues().map((value) => enumToRest(value.name)) };
    }
    return SCALARS[type.name] ?? { type: "string" };
  }

  private wrapList(name: string, item: Json): Json {
    return { type: "array", items: { ...item, xml: { name: singular(name) } }, xml: { wrapped: true } };
  }

  /** A result type as the selection of the route's document shows it: only selected fields. */
  output(type: GraphQLOutputType, selection: SelectionSetNode | undefined, name: string): Json {
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable))
      return this.wrapList(name, this.output(nullable.ofType, selection, singular(name)));
    const named = getNamedType(nullable);
    if (!isObjectType(named) || !selection) return this.leaf(named);
    if (!this.components[named.name]) {
      this.components[named.name] = {};
      const fields = named.getFields();
      const properties: Record<string, Json> = {};
      const required: string[] = [];
      for (const node of selection.selections) {
        if (node.kind !== Kind.FIELD) continue;
        const field = fields[node.name.value]!;
        const key = toKebab(field.name);
        properties[key] = {
          ...this.output(field.type, node.selectionSet, key),
          ...(field.description && { description: field.description }),
        };
        if (isNonNullType(field.type)) required.push(key);
      }
      this.components[named.name] = {
        type: "object",
        ...(named.description && { description: named.description }),
        properties,
        required,
        xml: { name: typeElement(named.name) },
      };
    }
    return ref(named.name);
  }

  /** An input type: every field it accepts; null clears a value on update. */
  input(type: GraphQLInputType, name: string): Json {
    const nullable = isNonNullType(type) ? type.ofType : type;
    if (isListType(nullable)) return this.wrapList(name, this.input(nullable.ofType, singular(name)));
    if (!isInputObjectType(nullable)) return this.leaf(nullable);
    if (!this.components[nullable.name]) {
      this.components[nullable.name] = {};
      this.components[nullable.name] = this.inputObject(nullable);
    }
    return ref(nullable.name);
  }

  private inputObject(type: GraphQLInputObjectType): Json {
    const properties: Record<string, Json> = {};
    const required: string[] = [];
    for (const field of Object.values(type.getFields())) {
      const key = toKebab(field.name);
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

const LIST_PARAMETERS: Record<ListParam, Json> = {
  fromRevision: {
    description: "Inclusive: the highest revision already seen + 1",
    schema: { type: "integer", minimum: 0 },
  },
  limit: {
    description: "Page size",
    schema: { type: "integer", minimum: 1, maximum: MAX_LIMIT, default: MAX_LIMIT },
  },
  registrationStates: {
    description:
      "Comma-separated registration states (REST spelling, e.g. `registered,pending-confirmation`)",
    schema: { type: "string" },
  },
  registrationTypes: { description: "Comma-separated registration type ids", schema: { type: "string" } },
  showDeleted: { description: "Include tombstones", schema: { type: "boolean", default: true } },
};

const MEDIA: Record<RestFormat, { body: string; error: string }> = {
  json: { body: "application/json", error: "application/problem+json" },
  xml: { body: "application/xml", error: "application/xml" },
};

const ERROR_SCHEMAS: Record<RestFormat, Json> = {
  json: {
    type: "object",
    description: "RFC 9457 problem details",
    properties: {
      status: { type: "integer" },
      title: { type: "string" },
      errorCode: { type: "string", enum: Object.keys(ERROR_CODES) },
      detail: { type: "string" },
      reason: { type: "string", description: "Why authentication or authorisation failed" },
      errors: {
        type: "array",
        items: {
          type: "object",
          properties: { field: { type: "string" }, error: { type: "string" } },
          required: ["field", "error"],
        },
      },
    },
    required: ["status", "title", "errorCode", "errors"],
  },
  xml: {
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
};

function errorResponses(route: CompiledRoute, format: RestFormat): Record<string, Json> {
  const codes: ErrorCode[] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "RATE_LIMITED",
    "INTERNAL_SERVER_ERROR",
  ];
  if (route.input) codes.push("BAD_REQUEST", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE");
  if (route.input || route.listParams) codes.push("BAD_USER_INPUT");
  const schema = ref(format === "json" ? "Problem" : "XmlError");
  const responses: Record<string, Json> = {};
  for (const code of codes) {
    responses[String(ERROR_CODES[code].status)] = {
      description: ERROR_CODES[code].title,
      content: { [MEDIA[format].error]: { schema } },
      ...(code === "RATE_LIMITED" && {
        headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
      }),
    };
  }
  return responses;
}

function operationOf(route: CompiledRoute): OperationDefinitionNode {
  return route.document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  )!;
}

/** The selection of the route's result field, so the schema lists exactly the fields REST sends. */
function resultSelection(route: CompiledRoute): SelectionSetNode | undefined {
  const root = operationOf(route).selectionSet.selections.find((node) => node.kind === Kind.FIELD);
  let selection = root?.kind === Kind.FIELD ? root.selectionSet : undefined;
  if (route.connection) {
    for (const name of ["edges", "node"]) {
      const next = selection?.selections.find((node) => node.kind === Kind.FIELD && node.name.value === name);
      selection = next?.kind === Kind.FIELD ? next.selectionSet : undefined;
    }
  }
  return selection;
}

/**
 * The OpenAPI 3.1 description of every route in both formats, generated from the route table and
 * the GraphQL types, so it cannot drift from what the routes do.
 */
export function openApiDocument(routes: CompiledRoute[]): Json {
  const schemas = new Schemas();
  const paths: Record<string, Record<string, Json>> = {};
  for (const format of REST_FORMATS) {
    for (const route of routes) {
      const path = `/${format}${route.path.replace(/:(\w+)/g, "{$1}")}`;
      const parameters = [
        ...[...route.path.matchAll(/:(\w+)/g)].map((match) => ({
          name: match[1],
          in: "path",
          required: true,
          schema: { type: "string" },
        })),
        ...(route.listParams ?? []).map((name) => ({ name, in: "query", ...LIST_PARAMETERS[name] })),
      ];
      const record = schemas.output(route.record, resultSelection(route), route.element);
      const result = route.list
        ? {
            ...schemas.output(route.resultType, resultSelection(route), plural(route.element)),
            xml: { name: plural(route.element), wrapped: true },
          }
        : { ...record, xml: { name: route.element } };
      const body = route.input && {
        required: true,
        content: Object.fromEntries(
          BODY_TYPES[format]
            .filter((type) => !type.includes("*"))
            .map((type) => [
              type,
              {
                schema: { ...schemas.input(route.input!.type, route.element), xml: { name: route.element } },
              },
            ]),
        ),
      };
      const success: Json =
        route.status === 204
          ? { description: "Deleted" }
          : {
              description: route.status === 201 ? "Created" : "OK",
              content: { [MEDIA[format].body]: { schema: result } },
              ...(route.status === 201 && {
                headers: { Location: { description: "The new record's URL", schema: { type: "string" } } },
              }),
            };
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = {
        operationId: `${format}${route.operation.replace(/^Compat/, "")}`,
        summary: route.summary,
        tags: [`${format.toUpperCase()} ${plural(route.element)}`],
        parameters,
        ...(body && { requestBody: body }),
        responses: { [String(route.status)]: success, ...errorResponses(route, format) },
      };
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Visit API: legacy REST (JSON and XML)",
      version: "1.0",
      description:
        "Every route is one GraphQL operation run in-process. Field names are kebab-case in both formats; " +
        "XML lists are a plural element of singular ones, null fields are left out. In XML request bodies " +
        '`xsi:nil="true"` clears a field on update. Dates are ISO-8601 UTC.',
    },
    security: [{ basic: [] }, { bearer: [] }],
    paths,
    components: {
      schemas: { ...schemas.components, Problem: ERROR_SCHEMAS.json, XmlError: ERROR_SCHEMAS.xml },
      securitySchemes: {
        basic: { type: "http", scheme: "basic", description: "API key as user name, empty password" },
        bearer: { type: "http", scheme: "bearer", description: "API key or session token" },
      },
    },
  };
}
