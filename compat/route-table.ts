import {
  type DocumentNode,
  GraphQLError,
  type GraphQLInputObjectType,
  GraphQLList,
  type GraphQLNamedType,
  GraphQLNonNull,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  typeFromAST,
  validate,
} from "graphql";
import { typeElement } from "./kebab-case.js";
import { OPERATIONS, type OperationName } from "./operations.js";
import { xmlListItems } from "./rest-model.js";

export const REST_FORMATS = ["json", "xml"] as const;
export type RestFormat = (typeof REST_FORMATS)[number];

/** The media types a request body of each format may declare. */
export const BODY_TYPES: Record<RestFormat, string[]> = {
  json: ["application/json", "application/*+json"],
  xml: ["application/xml", "text/xml", "application/*+xml"],
};

/** The list parameters of SPEC section 5, as clients spell them in the query string. */
const LIST_PARAMS = [
  "fromRevision",
  "limit",
  "registrationStates",
  "registrationTypes",
  "showDeleted",
] as const;
export type ListParam = (typeof LIST_PARAMS)[number];

export type CompatRoute = {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Under `/{format}`; each `:param` fills the operation's variable of that name. */
  path: string;
  summary: string;
  operation: OperationName;
  /** The root field of the result; a connection's nodes are the records. */
  result: string;
  connection?: true;
  listParams?: readonly ListParam[];
  /** The body is the operation's `$input`. */
  body?: true;
  status: 200 | 201 | 204;
};

const VISITOR_LIST_PARAMS = LIST_PARAMS;
// Partners have no registration state.
const PARTNER_LIST_PARAMS = LIST_PARAMS.filter((param) => param !== "registrationStates");

/** SPEC section 5, route by route. Everything else (OpenAPI, validation, rendering) derives from this. */
export const ROUTES: readonly CompatRoute[] = [
  {
    method: "GET",
    path: "/events",
    summary: "The events the caller may see",
    operation: "CompatEvents",
    result: "events",
    status: 200,
  },
  {
    method: "GET",
    path: "/events/:eventId",
    summary: "One event with its questions",
    operation: "CompatEvent",
    result: "event",
    status: 200,
  },
  {
    method: "GET",
    path: "/registration-types/:eventId",
    summary: "The event's registration types and the organisation-wide ones",
    operation: "CompatRegistrationTypes",
    result: "registrationTypes",
    status: 200,
  },
  {
    method: "GET",
    path: "/visitors/:eventId",
    summary: "The event's visitors in revision order (change feed, tombstones included by default)",
    operation: "CompatVisitors",
    result: "visitors",
    connection: true,
    listParams: VISITOR_LIST_PARAMS,
    status: 200,
  },
  {
    method: "POST",
    path: "/visitors/:eventId",
    summary: "Create a visitor",
    operation: "CompatCreateVisitor",
    result: "createVisitor",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/visitors/:eventId/:visitorId",
    summary: "A visitor, also when deleted",
    operation: "CompatVisitor",
    result: "visitor",
    status: 200,
  },
  {
    method: "PUT",
    path: "/visitors/:eventId/:visitorId",
    summary: "Update a visitor: fields left out keep their value",
    operation: "CompatUpdateVisitor",
    result: "updateVisitor",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/visitors/:eventId/:visitorId",
    summary: "Delete a visitor (it stays as a tombstone)",
    operation: "CompatDeleteVisitor",
    result: "deleteVisitor",
    status: 204,
  },
  {
    method: "GET",
    path: "/partners/:eventId",
    summary: "The event's partners in revision order (change feed, tombstones included by default)",
    operation: "CompatPartners",
    result: "partners",
    connection: true,
    listParams: PARTNER_LIST_PARAMS,
    status: 200,
  },
  {
    method: "POST",
    path: "/partners/:eventId",
    summary: "Create a partner",
    operation: "CompatCreatePartner",
    result: "createPartner",
    body: true,
    status: 201,
  },
  {
    method: "GET",
    path: "/partners/:eventId/:partnerId",
    summary: "A partner, also when deleted",
    operation: "CompatPartner",
    result: "partner",
    status: 200,
  },
  {
    method: "PUT",
    path: "/partners/:eventId/:partnerId",
    summary: "Update a partner: fields left out keep their value",
    operation: "CompatUpdatePartner",
    result: "updatePartner",
    body: true,
    status: 200,
  },
  {
    method: "DELETE",
    path: "/partners/:eventId/:partnerId",
    summary: "Delete a partner (it stays as a tombstone)",
    operation: "CompatDeletePartner",
    result: "deletePartner",
    status: 204,
  },
];

export type CompiledRoute = CompatRoute & {
  /** The document as Apollo receives it; its own parse/validation cache keys on this text. */
  query: string;
  document: DocumentNode;
  /** The record type (Visitor) and its element name (`visitor`); lists are its plural. */
  record: GraphQLObjectType;
  element: string;
  /** What the route answers: one record or a list of them. */
  resultType: GraphQLOutputType;
  list: boolean;
  input?: { type: GraphQLInputObjectType; xmlListItems: ReadonlySet<string> };
  filter?: GraphQLInputObjectType;
};

function variableType(schema: GraphQLSchema, operation: OperationDefinitionNode, name: string) {
  const definition = operation.variableDefinitions?.find((variable) => variable.variable.name.value === name);
  const type = definition ? getNamedType(typeFromAST(schema, definition.type)) : undefined;
  return isInputObjectType(type) ? type : undefined;
}

/**
 * Parses and validates every route's document once, and reads from the schema what REST needs to
 * know about it. An invalid document is a programming error: this throws, naming it.
 */
export function compileRoutes(schema: GraphQLSchema): CompiledRoute[] {
  return ROUTES.map((route) => {
    const document = parse(OPERATIONS[route.operation]);
    const errors = validate(schema, document);
    const operation = document.definitions.find(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === route.operation,
    );
    if (errors.length > 0 || !operation) {
      throw new GraphQLError(
        `REST operation ${route.operation} is invalid: ${errors.map((e) => e.message).join("; ")}`,
      );
    }
    const root = operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
    const field = root?.getFields()[route.result];
    if (!field) throw new GraphQLError(`REST operation ${route.operation} has no field ${route.result}`);
    let record: GraphQLNamedType | undefined = getNamedType(field.type);
    if (route.connection && isObjectType(record)) {
      const edge = getNamedType(record.getFields().edges?.type);
      record = isObjectType(edge) ? getNamedType(edge.getFields().node?.type) : undefined;
    }
    if (!isObjectType(record)) throw new GraphQLError(`REST operation ${route.operation} has no record type`);
    const element = typeElement(record.name);
    const inputType = route.body ? variableType(schema, operation, "input") : undefined;
    return {
      ...route,
      query: print(document),
      document,
      record,
      element,
      resultType: route.connection ? new GraphQLList(new GraphQLNonNull(record)) : field.type,
      list: route.connection === true || isListType(getNullableType(field.type)),
      input: inputType && { type: inputType, xmlListItems: xmlListItems(element, inputType) },
      filter: route.listParams ? variableType(schema, operation, "filter") : undefined,
    };
  });
}
