import type { ApolloServerPlugin } from "@apollo/server";
import {
  type ASTVisitor,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type TypeNode,
  type ValidationContext,
} from "graphql";
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from "graphql-query-complexity";
import { AppError, invalidInput } from "@/src/errors/app-error.js";
import { MAX_JSON_DEPTH, valueNestingExceeds } from "@/src/http/body-checks.js";
import type { GraphQLContext } from "./context.js";
import { variableErrors } from "./variables.js";

/**
 * Most tokens a document may have: the parser stops there (a GRAPHQL_PARSE_FAILED naming the limit),
 * so a huge document costs little. The playground's full introspection query has under 200; a
 * document that sends 1,000 records inline instead of as variables needs about 40,000.
 */
export const MAX_DOCUMENT_TOKENS = 50_000;

/**
 * Most selections an operation may have once every fragment spread is expanded: fragments that
 * spread others twice, a few levels deep, are otherwise an exponential amount of work.
 */
export const MAX_SELECTIONS = 10_000;

/** `__schema` answers with the whole schema: once per operation is all a client needs. */
const MAX_SCHEMA_INTROSPECTIONS = 1;

export type ShapeLimits = { maxDepth: number; maxAliases: number };

type Shape = { depth: number; aliases: number; schemas: number; selections: number };
const EMPTY: Shape = { depth: 0, aliases: 0, schemas: 0, selections: 0 };

const refusal = (message: string, reason: "QUERY_TOO_DEEP" | "QUERY_TOO_COMPLEX") =>
  new GraphQLError(message, { extensions: { reason } });

/**
 * Refuses, before anything runs, operations nested deeper than `maxDepth` fields, with more than
 * `maxAliases` aliases, more than one `__schema` or more than MAX_SELECTIONS selections. Fragments
 * are followed and each is measured once (a fragment cycle, which GraphQL validation reports
 * itself, is measured as empty). Introspection fields count one level: below them the depth is the
 * spec's (the full introspection query nests type references 15 deep), and graphql-js's
 * MaxIntrospectionDepthRule bounds their recursion; their aliases and selections count like any.
 */
export function queryShapeLimit(limits: ShapeLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const measured = new Map<string, Shape>();
    const fragmentShape = (name: string): Shape => {
      const known = measured.get(name);
      if (known) return known;
      measured.set(name, EMPTY);
      const fragment = fragments.get(name);
      const shape = fragment ? shapeOf(fragment.selectionSet) : EMPTY;
      measured.set(name, shape);
      return shape;
    };
    const shapeOf = (set: SelectionSetNode): Shape => {
      const total = { ...EMPTY };
      for (const selection of set.selections) {
        let inner: Shape;
        if (selection.kind === Kind.FIELD) {
          inner = selection.selectionSet ? shapeOf(selection.selectionSet) : EMPTY;
          const introspection = selection.name.value.startsWith("__");
          total.depth = Math.max(total.depth, introspection ? 1 : 1 + inner.depth);
          if (selection.alias) total.aliases += 1;
          if (selection.name.value === "__schema") total.schemas += 1;
        } else {
          inner =
            selection.kind === Kind.INLINE_FRAGMENT
              ? shapeOf(selection.selectionSet)
              : fragmentShape(selection.name.value);
          total.depth = Math.max(total.depth, inner.depth);
        }
        total.aliases += inner.aliases;
        total.schemas += inner.schemas;
        total.selections += 1 + inner.selections;
      }
      return total;
    };
    return {
      OperationDefinition(node) {
        const shape = shapeOf(node.selectionSet);
        const { maxDepth, maxAliases } = limits;
        if (shape.depth > maxDepth) {
          context.reportError(
            refusal(`Query depth ${shape.depth} exceeds the limit of ${maxDepth}`, "QUERY_TOO_DEEP"),
          );
        }
        if (shape.aliases > maxAliases) {
          context.reportError(refusal(`Query has more than ${maxAliases} aliases`, "QUERY_TOO_COMPLEX"));
        }
        if (shape.schemas > MAX_SCHEMA_INTROSPECTIONS) {
          context.reportError(refusal("Query asks for __schema more than once", "QUERY_TOO_COMPLEX"));
        }
        if (shape.selections > MAX_SELECTIONS) {
          context.reportError(
            refusal(
              `Query has more than ${MAX_SELECTIONS} selections once fragments are expanded`,
              "QUERY_TOO_COMPLEX",
            ),
          );
        }
      },
    };
  };
}

/** Costs known per document (Apollo keeps one parsed document per query text), then per variables shape. */
const costs = new WeakMap<DocumentNode, Map<string, number>>();
const COST_SHAPES_PER_DOCUMENT = 64;
const COST_SCALARS = new Set(["Int", "Float", "Boolean"]);

const namedType = (type: TypeNode): string =>
  type.kind === Kind.NAMED_TYPE ? type.name.value : namedType(type.type);

/**
 * What of the variables a cost depends on: the page sizes (`first`, an Int) and the @skip/@include
 * conditions (Booleans) the estimators read; text, ids and inputs never change a cost.
 */
function costShape(operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): string {
  let shape = operation.name?.value ?? "";
  for (const definition of operation.variableDefinitions ?? []) {
    if (!COST_SCALARS.has(namedType(definition.type))) continue;
    shape += `|${String(variables[definition.variable.name.value])}`;
  }
  return shape;
}

function cachedCost(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
  compute: () => number,
): number {
  let known = costs.get(document);
  if (!known) {
    known = new Map();
    costs.set(document, known);
  }
  const shape = costShape(operation, variables);
  const cost = known.get(shape);
  if (cost !== undefined) return cost;
  const computed = compute();
  if (known.size >= COST_SHAPES_PER_DOCUMENT) known.clear();
  known.set(shape, computed);
  return computed;
}

/**
 * Checks what depends on the variables, once the operation is known and before any resolver runs:
 * their nesting (400), that they fit their types (422 naming each failing path, `input.contact.email`),
 * and the operation's cost with them (400 QUERY_TOO_COMPLEX), computed once per document and
 * variables shape.
 */
export function operationLimits(schema: GraphQLSchema, maxCost: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          if (!operation) return;
          const variables = request.variables ?? {};
          if (valueNestingExceeds(variables, MAX_JSON_DEPTH)) {
            throw new AppError("BAD_REQUEST", `Variables nest deeper than ${MAX_JSON_DEPTH} levels`);
          }
          const errors = variableErrors(schema, operation, variables);
          if (errors.length > 0) throw invalidInput(errors);
          // Every selected field counts, introspection and aliases included; a page costs its size
          // times its fields (src/graphql/resolvers/cost.ts). queryShapeLimit has bounded the
          // selections, so the library's own node limit is never what refuses.
          const cost = cachedCost(document, operation, variables, () =>
            getComplexity({
              schema,
              query: document,
              operationName: operation.name?.value,
              variables,
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
              maxQueryNodes: MAX_SELECTIONS + 1,
            }),
          );
          if (cost > maxCost) {
            throw new AppError(
              "GRAPHQL_VALIDATION_FAILED",
              `Query cost ${cost} exceeds the limit of ${maxCost}`,
              {
                reason: "QUERY_TOO_COMPLEX",
              },
            );
          }
        },
      };
    },
  };
}
