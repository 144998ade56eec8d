import { GraphQLScalarType, Kind } from "graphql";

function toRevision(value: unknown): number {
  const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0) {
    throw new TypeError("Revision must be a non-negative integer below 2^53");
  }
  return number;
}

/**
 * A change-feed revision: 64-bit in the database, below 2^53 in practice (SPEC section 2), so it is
 * sent as a JSON number. Input accepts a number or a decimal string.
 */
export const RevisionScalar = new GraphQLScalarType({
  name: "Revision",
  description: "A change-feed revision: a non-negative integer below 2^53, sent as a JSON number.",
  serialize: toRevision,
  parseValue: toRevision,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.STRING) return toRevision(ast.value);
    throw new TypeError("Revision must be an integer literal");
  },
});

export { GraphQLJSON as JSONScalar } from "graphql-scalars";
