import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from "@apollo/server/plugin/disabled";
import type { GraphQLFormattedError, GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { Env } from "@/src/config/env.js";
import { graphqlError, operationStatus } from "@/src/errors/error-render.js";
import { toPublicError } from "@/src/errors/public-error.js";
import { argumentGuard } from "./argument-guard.js";
import type { CompiledExecution } from "./compiled-execution.js";
import type { GraphQLContext } from "./context.js";
import { MAX_DOCUMENT_TOKENS, operationLimits, queryShapeLimit } from "./limits.js";

/** When the whole operation failed, the HTTP status is that of its first error (src/errors/error-render.ts). */
const statusFromErrors: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single") return;
        const { data, errors } = response.body.singleResult;
        if (data == null && errors?.length) {
          response.http.status = operationStatus({ data, errors });
          // A 429 or 503 says when to come back, as on every other surface.
          const retryAfter = errors[0]?.extensions?.retryAfter;
          if (typeof retryAfter === "number") response.http.headers.set("retry-after", String(retryAfter));
        }
      },
    };
  },
};

export function createApolloServer(options: {
  schema: GraphQLSchema;
  execution: CompiledExecution;
  env: Env;
  logger: Logger;
}): ApolloServer<GraphQLContext> {
  const { schema, execution, env, logger } = options;
  return new ApolloServer<GraphQLContext>({
    // Serves `schema` and runs validated operations compiled (src/graphql/compiled-execution.ts).
    gateway: execution.gateway(),
    parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
    validationRules: [
      queryShapeLimit({ maxDepth: env.GRAPHQL_MAX_DEPTH, maxAliases: env.GRAPHQL_MAX_ALIASES }),
    ],
    introspection: true,
    // No automatic persisted queries: not part of the API, and a client that tries them is told so
    // (PersistedQueryNotSupported) and sends the query itself.
    persistedQueries: false,
    // src/server/ owns SIGTERM: it drains HTTP and task runs (which use GraphQL in-process) first.
    stopOnTerminationSignals: false,
    // Apollo's landing page loads from CDNs; the playground is served from our own assets instead.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // We send no cache hints; the default plugin would still run a hook on every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      // Not a federated subgraph and no Apollo Studio: neither needs a hook on every request.
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      operationLimits(schema, env.GRAPHQL_MAX_COST),
      argumentGuard(),
      statusFromErrors,
    ],
    includeStacktraceInErrorResponses: false,
    formatError: (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError =>
      graphqlError(toPublicError(unwrapResolverError(error), logger), formatted),
  });
}
