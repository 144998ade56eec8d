import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import {
  type DocumentNode,
  type ExecutionResult,
  execute,
  GraphQLError,
  type GraphQLSchema,
  printSchema,
} from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import type { GraphQLContext } from "./context.js";

/** Compiled operations kept: a deployment's clients send a few dozen distinct documents. */
export const COMPILED_CACHE_SIZE = 1_000;

export type ExecutionCounts = {
  /** Operations run by a compiled function (graphql-jit). */
  compiled: number;
  /** Operations run by graphql-js: not compilable, or with per-field hooks armed. */
  fallback: number;
  /** Compilations done (a cache miss); a repeated document is not compiled again. */
  compilations: number;
};

type Gateway = ApolloServerOptionsWithGateway<GraphQLContext>["gateway"];
type ExecuteRequest = {
  document: DocumentNode;
  /** Identifies the document's text (Apollo's sha-256 of it). */
  queryHash?: string;
  operationName?: string | null;
  variables?: Record<string, unknown>;
  contextValue: GraphQLContext;
};

/**
 * Runs validated operations as functions compiled by graphql-jit, cached per document and
 * operation name in a bounded LRU; graphql-js runs what graphql-jit cannot compile and the operations
 * whose per-field hooks are armed (`needsFieldHooks`). Apollo reaches it through its gateway
 * interface, its supported hook for a custom executor: parsing, validation, plugins, error
 * formatting and HTTP stay Apollo's.
 *
 * Apollo wraps the resolvers of the schema it serves when a plugin uses willResolveField; the
 * compiled functions use a second build of the same schema, so they never capture those wrappers.
 */
export class CompiledExecution {
  readonly counts: ExecutionCounts = { compiled: 0, fallback: 0, compilations: 0 };
  // `null`: graphql-jit could not compile this operation; it runs on graphql-js.
  private readonly cache = new Map<string, CompiledQuery | null>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly compileSchema: GraphQLSchema,
    private readonly needsFieldHooks: (context: GraphQLContext) => boolean,
    private readonly maxEntries = COMPILED_CACHE_SIZE,
  ) {}

  /** The gateway Apollo Server is given instead of a schema. */
  gateway(): NonNullable<Gateway> {
    const schema = this.schema;
    const executor: GatewayExecutor = (request) =>
      this.execute({
        document: request.document,
        queryHash: request.queryHash,
        // The client's: when it names no operation of the document, execution must say so.
        operationName: request.request.operationName,
        variables: request.request.variables,
        contextValue: request.context as GraphQLContext,
      });
    return {
      load: async () => ({ executor }),
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
        return () => {};
      },
      stop: async () => {},
    };
  }

  async execute(request: ExecuteRequest): Promise<ExecutionResult> {
    const { document, contextValue, variables } = request;
    const operationName = request.operationName ?? undefined;
    const compiled = this.needsFieldHooks(contextValue)
      ? null
      : this.compiled(document, request.queryHash, operationName);
    if (!compiled) {
      this.counts.fallback++;
      return execute({
        schema: this.schema,
        document,
        contextValue,
        variableValues: variables,
        operationName,
      });
    }
    this.counts.compiled++;
    const result = await compiled.query(undefined, contextValue, variables ?? {});
    return result.errors ? { ...result, errors: result.errors.map(upstreamError) } : result;
  }

  private compiled(document: DocumentNode, queryHash: string | undefined, operationName?: string) {
    // Without a hash (never from Apollo) the document is not cached: it may be one of a kind.
    if (queryHash === undefined) return this.compile(document, operationName);
    const key = `${operationName ?? ""}:${queryHash}`;
    const known = this.cache.get(key);
    if (known !== undefined) {
      // Least recently used first: a hit moves to the end.
      this.cache.delete(key);
      this.cache.set(key, known);
      return known;
    }
    const compiled = this.compile(document, operationName);
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, compiled);
    return compiled;
  }

  private compile(document: DocumentNode, operationName?: string): CompiledQuery | null {
    this.counts.compilations++;
    try {
      const compiled = compileQuery(this.compileSchema, document, operationName);
      return isCompiledQuery(compiled) ? compiled : null;
    } catch {
      return null;
    }
  }
}

type GatewayExecutor = Awaited<ReturnType<NonNullable<Gateway>["load"]>>["executor"];

/**
 * graphql-jit's errors derive from graphql-js's but leave `extensions` undefined, which Apollo's
 * error formatting reads: the same error as graphql-js makes it (message, path, locations, original).
 */
function upstreamError(error: GraphQLError): GraphQLError {
  if (error.extensions !== undefined) return error;
  const upstream = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
  });
  return error.locations ? Object.assign(upstream, { locations: error.locations }) : upstream;
}
