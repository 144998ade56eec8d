import type { ApolloServer } from "@apollo/server";
import type { DocumentNode, GraphQLFormattedError } from "graphql";
import type { Actor } from "@/src/auth/actor.js";
import type { Services } from "@/src/services/services.js";
import { createContext, type GraphQLContext } from "./context.js";

export type GraphQLRequest = {
  query: string | DocumentNode;
  variables?: Record<string, unknown>;
  operationName?: string;
};

export type GraphQLOutcome = { data: Record<string, unknown> | null; errors: GraphQLFormattedError[] };

/**
 * Runs an operation in-process through the same Apollo pipeline as POST /graphql (validation,
 * depth and cost limits, error masking) as the given actor. The legacy REST layer and user
 * functions use this: no HTTP hop, one set of rules.
 */
export type GraphQLExecutor = (
  request: GraphQLRequest,
  actor: Actor,
  requestId: string,
) => Promise<GraphQLOutcome>;

export function createExecutor(apollo: ApolloServer<GraphQLContext>, services: Services): GraphQLExecutor {
  return async (request, actor, requestId) => {
    const response = await apollo.executeOperation(request, {
      contextValue: createContext(services, actor, requestId),
    });
    if (response.body.kind !== "single") throw new Error("incremental delivery is not supported in-process");
    const { data, errors } = response.body.singleResult;
    return {
      data: (data as Record<string, unknown> | null | undefined) ?? null,
      errors: errors ? [...errors] : [],
    };
  };
}
