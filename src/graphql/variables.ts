import {
  coerceInputValue,
  type GraphQLSchema,
  isInputType,
  isNonNullType,
  type OperationDefinitionNode,
  typeFromAST,
} from "graphql";
import type { FieldError } from "@/src/errors/app-error.js";

/**
 * Coerces an operation's variables as GraphQL execution will, but keeps where each failure is:
 * graphql-js only puts the path into its message. Each error names the variable and the path in
 * it (`input.contact.jobTitle`, `inputs.3.name`), so clients and the REST layer read fields from
 * `extensions.errors` instead of parsing messages.
 */
export function variableErrors(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Readonly<Record<string, unknown>>,
): FieldError[] {
  const errors: FieldError[] = [];
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    // Not an input type: validation (VariablesAreInputTypesRule) has refused the document already.
    if (!type || !isInputType(type)) continue;
    if (!Object.hasOwn(inputs, name)) {
      if (!definition.defaultValue && isNonNullType(type)) {
        errors.push({ field: name, message: `is required (${type.toString()})` });
      }
      continue;
    }
    const value = inputs[name];
    if (value === null && isNonNullType(type)) {
      errors.push({ field: name, message: `must not be null (${type.toString()})` });
      continue;
    }
    coerceInputValue(value, type, (path, _invalid, error) => {
      errors.push({ field: [name, ...path].join("."), message: error.message });
    });
  }
  return errors;
}
