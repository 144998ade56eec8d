import {
  type DocumentNode,
  type FieldNode,
  GraphQLError,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  typeFromAST,
  validate,
} from "graphql";
import { type RestDialect, recordName } from "./dialect.js";
import { OPERATIONS } from "./operations.js";
import { type OutputShape, outputShape, xmlListItems } from "./rest-model.js";
import type { CompatRoute, RestFamily } from "./route-table.js";

/** A route of a family as the dispatcher runs it: its document, the schema's types for it, its path pattern. */
export type CompiledRoute = CompatRoute & {
  dialect: RestDialect;
  /** The document as Apollo receives it; its own parse/validation cache keys on this text. */
  query: string;
  document: DocumentNode;
  /** The record type (Visitor) and its name in the family (`visitor`); lists are its plural. */
  record: GraphQLObjectType;
  element: string;
  /** One record as the document selects it, and what the route answers: that or a list of it. */
  recordShape: OutputShape;
  resultShape: OutputShape;
  list: boolean;
  input?: { type: GraphQLInputObjectType; xmlListItems: ReadonlySet<string> };
  filter?: GraphQLInputObjectType;
  /** Matches the path below the family's prefix; its groups are `pathParams`, in order. */
  pattern: RegExp;
  pathParams: string[];
};

function variableType(schema: GraphQLSchema, operation: OperationDefinitionNode, name: string) {
  const definition = operation.variableDefinitions?.find((variable) => variable.variable.name.value === name);
  const type = definition ? getNamedType(typeFromAST(schema, definition.type)) : undefined;
  return isInputObjectType(type) ? type : undefined;
}

/** The selection of one field below `node`, by name. */
function selected(
  node: OperationDefinitionNode | FieldNode | undefined,
  name: string,
): FieldNode | undefined {
  return node?.selectionSet?.selections.find(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === name,
  );
}

/** `/visitors/:eventId` as a pattern: literal segments case-insensitive (as Express routes), one trailing slash allowed. */
function pathPattern(path: string): { pattern: RegExp; pathParams: string[] } {
  const pathParams: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      if (!segment.startsWith(":")) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      pathParams.push(segment.slice(1));
      return "([^/]+)";
    })
    .join("/");
  return { pattern: new RegExp(`^${source}/?$`, "i"), pathParams };
}

/**
 * The shape of a result whose object field `name` is answered in its place, the field's siblings
 * after its own fields; the record is that field's type (a webhook, not the created-webhook wrapper).
 */
function spreadShape(
  shape: Extract<OutputShape, { kind: "object" }>,
  name: string,
): { record: GraphQLObjectType; shape: OutputShape } | undefined {
  const inner = shape.fields.find((field) => field.key === name);
  if (inner?.shape.kind !== "object") return undefined;
  const siblings = shape.fields.filter((field) => field !== inner);
  return {
    record: inner.shape.type,
    shape: { kind: "object", type: shape.type, fields: [...inner.shape.fields, ...siblings] },
  };
}

/**
 * Parses and validates every route's document of a family once, and reads from the schema what
 * REST needs to know about it. An invalid document is a programming error: this throws, naming it.
 */
export function compileRoutes(schema: GraphQLSchema, family: RestFamily): CompiledRoute[] {
  const { dialect } = family;
  return family.routes.map((route) => {
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
    const node = selected(operation, route.result);
    if (!field || !node)
      throw new GraphQLError(`REST operation ${route.operation} has no field ${route.result}`);
    let resultShape: OutputShape;
    let recordShape: OutputShape;
    if (route.connection) {
      const edges = getNamedType(field.type);
      const edge = isObjectType(edges) ? edges.getFields().edges : undefined;
      const nodeField = edge && getNamedType(edge.type);
      const recordField = isObjectType(nodeField) ? nodeField.getFields().node : undefined;
      const recordNode = selected(selected(node, "edges"), "node");
      if (!recordField || !recordNode)
        throw new GraphQLError(`REST operation ${route.operation} selects no nodes`);
      recordShape = outputShape(recordField.type, recordNode.selectionSet);
      resultShape = { kind: "list", item: recordShape };
    } else {
      resultShape = outputShape(field.type, node.selectionSet);
      recordShape = resultShape.kind === "list" ? resultShape.item : resultShape;
    }
    if (recordShape.kind !== "object") {
      throw new GraphQLError(`REST operation ${route.operation} has no record type`);
    }
    let record = recordShape.type;
    if (route.spread) {
      const spread = spreadShape(recordShape, route.spread);
      if (!spread)
        throw new GraphQLError(`REST operation ${route.operation} selects no object ${route.spread}`);
      ({ record, shape: resultShape } = spread);
      recordShape = resultShape;
    }
    const element = recordName(dialect, record.name);
    const inputType = route.body ? variableType(schema, operation, "input") : undefined;
    return {
      ...route,
      dialect,
      query: print(document),
      document,
      record,
      element,
      recordShape,
      resultShape,
      list: resultShape.kind === "list",
      input: inputType && {
        type: inputType,
        xmlListItems: dialect.format === "xml" ? xmlListItems(element, inputType) : new Set<string>(),
      },
      filter: route.params ? variableType(schema, operation, "filter") : undefined,
      ...pathPattern(route.path),
    };
  });
}
