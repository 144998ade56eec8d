import type { ApolloServerPlugin } from "@apollo/server";
import {
  type DocumentNode,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNullableType,
  isInputObjectType,
  isListType,
  isScalarType,
  type OperationDefinitionNode,
  typeFromAST,
  visit,
} from "graphql";
import { AppError, type FieldError, invalidInput } from "@/src/errors/app-error.js";
import { MAX_ID_LENGTH } from "@/src/services/ids.js";
import type { GraphQLContext } from "./context.js";

const isId = (type: GraphQLNamedType | GraphQLInputType) => isScalarType(type) && type.name === "ID";
const isText = (type: GraphQLNamedType | GraphQLInputType) =>
  isScalarType(type) && (type.name === "ID" || type.name === "String");

/** PostgreSQL text cannot hold U+0000: no argument may carry one to the database. */
const holdsNul = (value: string) => value.includes("\u0000");
const impossibleId = (value: string) => value.length > MAX_ID_LENGTH || holdsNul(value);

/** Whether a value, raw as the client sent it, holds an impossible id or a NUL anywhere its type has text. */
function suspicious(value: unknown, type: GraphQLInputType): boolean {
  if (value === null || value === undefined) return false;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    return (Array.isArray(value) ? value : [value]).some((item) => suspicious(item, nullable.ofType));
  }
  if (isInputObjectType(nullable)) {
    if (typeof value !== "object") return false;
    const fields = nullable.getFields();
    return Object.entries(value).some(([name, item]) => fields[name] && suspicious(item, fields[name].type));
  }
  if (typeof value !== "string") return false;
  return isId(nullable) ? impossibleId(value) : isText(nullable) && holdsNul(value);
}

const literalsChecked = new WeakMap<DocumentNode, boolean>();

/** Whether a document has a string literal that could be an impossible id or hold a NUL (cached per document). */
function documentSuspicious(document: DocumentNode): boolean {
  const known = literalsChecked.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    StringValue(node) {
      if (impossibleId(node.value)) found = true;
    },
  });
  literalsChecked.set(document, found);
  return found;
}

function variablesSuspicious(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
): boolean {
  return (operation.variableDefinitions ?? []).some((definition) => {
    const type = typeFromAST(schema, definition.type);
    return (
      type !== undefined && suspicious(variables[definition.variable.name.value], type as GraphQLInputType)
    );
  });
}

function collectNul(value: unknown, type: GraphQLInputType, path: (string | number)[], errors: FieldError[]) {
  if (value === null || value === undefined) return;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    if (!Array.isArray(value)) return;
    for (const [index, item] of value.entries()) collectNul(item, nullable.ofType, [...path, index], errors);
  } else if (isInputObjectType(nullable)) {
    for (const [name, field] of Object.entries(nullable.getFields())) {
      collectNul((value as Record<string, unknown>)[name], field.type, [...path, name], errors);
    }
  } else if (typeof value === "string" && isText(nullable) && holdsNul(value)) {
    errors.push({ field: path.join("."), message: "must not contain NUL characters" });
  }
}

/**
 * A field's arguments, before its resolver runs. An ID argument names the record the field reads
 * or changes: one no record can have (longer than any id, or holding a NUL) is NOT_FOUND, as an
 * unknown id is, without asking the database. Text holding a NUL anywhere else (filters, inputs) is
 * a 422 naming it, the `input` argument's fields by their path in it as the services name them.
 */
function checkArguments(field: GraphQLField<unknown, unknown> | undefined, args: Record<string, unknown>) {
  if (!field || field.args.length === 0) return;
  const errors: FieldError[] = [];
  for (const argument of field.args) {
    const value = args[argument.name];
    if (typeof value === "string" && isId(getNullableType(argument.type))) {
      if (impossibleId(value)) throw new AppError("NOT_FOUND", `No record has the ${argument.name} given`);
      continue;
    }
    collectNul(value, argument.type, argument.name === "input" ? [] : [argument.name], errors);
  }
  if (errors.length > 0) throw invalidInput(errors);
}

const armedContexts = new WeakSet<GraphQLContext>();

/** Whether an operation's fields must run with the guard's hook (graphql-js runs it, not a compiled function). */
export const needsFieldHooks = (context: GraphQLContext) => armedContexts.has(context);

/**
 * Applies checkArguments to every field of an operation that sends an impossible id or a NUL. The
 * check needs a hook on every resolved field, so it is armed only for those operations.
 */
export function argumentGuard(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let armed = false;
      return {
        async didResolveOperation({ request, document, operation, schema, contextValue }) {
          armed =
            operation !== undefined &&
            (documentSuspicious(document) || variablesSuspicious(schema, operation, request.variables ?? {}));
          if (armed) armedContexts.add(contextValue);
        },
        async executionDidStart() {
          if (!armed) return;
          return {
            willResolveField({ args, info }) {
              checkArguments(info.parentType.getFields()[info.fieldName], args);
            },
          };
        },
      };
    },
  };
}
