import "reflect-metadata";
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { ApiKeyResolver } from "./resolvers/api-key.resolver.js";
import { EventResolver } from "./resolvers/event.resolver.js";
import { FunctionResolver } from "./resolvers/function.resolver.js";
import { IdentityResolver } from "./resolvers/identity.resolver.js";
import { PartnerResolver } from "./resolvers/partner.resolver.js";
import { QuestionResolver } from "./resolvers/question.resolver.js";
import { RegistrationTypeResolver } from "./resolvers/registration-type.resolver.js";
import { VisitorResolver } from "./resolvers/visitor.resolver.js";
import { WebhookResolver } from "./resolvers/webhook.resolver.js";

export const RESOLVERS = [
  IdentityResolver,
  EventResolver,
  RegistrationTypeResolver,
  QuestionResolver,
  VisitorResolver,
  PartnerResolver,
  ApiKeyResolver,
  FunctionResolver,
  WebhookResolver,
] as const;

let built: Promise<GraphQLSchema> | undefined;

/** The executable schema; built once per process (type-graphql metadata is global anyway). */
export function graphqlSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: RESOLVERS, validate: false });
  return built;
}

let forCompiling: Promise<GraphQLSchema> | undefined;

/**
 * A second build of the same schema, for graphql-jit (src/graphql/compiled-execution.ts): Apollo
 * wraps the resolvers of the schema it serves for plugins' field hooks, and compiled functions must
 * not capture those wrappers.
 */
export function compilationSchema(): Promise<GraphQLSchema> {
  forCompiling ??= buildSchema({ resolvers: RESOLVERS, validate: false });
  return forCompiling;
}

/** The SDL committed as schema/schema.graphql: sorted, so it only changes when the API does. */
export async function printContract(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await graphqlSchema()))}\n`;
}
