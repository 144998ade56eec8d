import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema, separateOperations } from "graphql";
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from "graphql-query-complexity";
import type { Logger } from "pino";
import type { Env } from "@/src/config/env.js";
import { toPublicError } from "@/src/errors/error-body.js";
import { ERROR_CODES, isErrorCode } from "@/src/errors/error-code.js";
import type { GraphQLContext } from "./context.js";
import { depthLimit } from "./limits.js";

/** Refuses operations whose estimated cost is over the limit, before any resolver runs. */
function costLimit(schema: GraphQLSchema, maxCost: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operationName }) {
          const query = operationName ? (separateOperations(document)[operationName] ?? document) : document;
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query,
              variables: request.variables ?? {},
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // Variables that do not fit their types: the caller's input, not our failure.
            throw new GraphQLError(error instanceof Error ? error.message : "Invalid variables", {
              extensions: { code: "BAD_USER_INPUT" },
            });
          }
          if (cost > maxCost) {
            throw new GraphQLError(`Query cost ${cost} exceeds the limit of ${maxCost}`, {
              extensions: {
                code: "GRAPHQL_VALIDATION_FAILED",
                reason: "QUERY_TOO_COMPLEX",
                http: { status: 400 },
              },
            });
          }
        },
      };
    },
  };
}

/**
 * GraphQL answers 200 when some data came back; when the whole operation failed, the HTTP status
 * is that of its first error (401, 403, 404, 422, ...), so plain HTTP clients see what happened.
 */
const statusFromErrors: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== "single") return;
        const { data, errors } = response.body.singleResult;
        const code = errors?.[0]?.extensions?.code;
        if (data == null && isErrorCode(code)) response.http.status = ERROR_CODES[code].status;
      },
    };
  },
};

const APOLLO_SAFE_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
]);

export function createApolloServer(options: {
  schema: GraphQLSchema;
  env: Env;
  logger: Logger;
}): ApolloServer<GraphQLContext> {
  const { schema, env, logger } = options;
  return new ApolloServer<GraphQLContext>({
    schema,
    validationRules: [depthLimit(env.GRAPHQL_MAX_DEPTH)],
    introspection: true,
    // src/server/ owns SIGTERM: it drains HTTP and task runs (which use GraphQL in-process) first.
    stopOnTerminationSignals: false,
    // Apollo's landing page loads from CDNs; the playground is served from our own assets instead.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // We send no cache hints; the default plugin would still run a hook on every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      costLimit(schema, env.GRAPHQL_MAX_COST),
      statusFromErrors,
    ],
    includeStacktraceInErrorResponses: false,
    formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
      // Apollo's own parse, validation and variable errors are already safe and precise.
      if (APOLLO_SAFE_CODES.has(String(formatted.extensions?.code))) {
        const { stacktrace, ...extensions } = formatted.extensions ?? {};
        return { ...formatted, extensions };
      }
      const publicError = toPublicError(unwrapResolverError(error), logger);
      return {
        message: publicError.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: {
          code: publicError.code,
          ...(publicError.reason && { reason: publicError.reason }),
          ...(publicError.errors.length > 0 && { errors: publicError.errors }),
          ...(publicError.retryAfter !== undefined && { retryAfter: publicError.retryAfter }),
          ...publicError.details,
        },
      };
    },
  });
}
