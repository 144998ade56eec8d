import type { ApolloServer } from "@apollo/server";
import type { Logger } from "pino";
import { RestDispatcher } from "@/compat/rest-dispatcher.js";
import { FunctionRunner } from "@/jobs/function-runner.js";
import { runnerOptionsFromEnv } from "@/jobs/sandbox/sandbox-config.js";
import { SandboxRunner } from "@/jobs/sandbox/sandbox-runner.js";
import type { Env } from "@/src/config/env.js";
import type { Database } from "@/src/db/database.js";
import { createApolloServer } from "@/src/graphql/apollo.js";
import { needsFieldHooks } from "@/src/graphql/argument-guard.js";
import { CompiledExecution } from "@/src/graphql/compiled-execution.js";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { createExecutor, type GraphQLExecutor } from "@/src/graphql/executor.js";
import { compilationSchema, graphqlSchema } from "@/src/graphql/schema.js";
import { type OutboundPolicy, outboundAllowList, type ResolveHost } from "@/src/net/outbound-address.js";
import type { FunctionInvoker } from "@/src/services/functions/function-types.js";
import { createServices, type Services } from "@/src/services/services.js";
import { UsageRecorder } from "@/src/services/usage-recorder.js";
import { createInfrastructure, type Infrastructure } from "./infrastructure.js";

/**
 * What runs functions, with or without an HTTP server: services, usage statistics, the in-process
 * GraphQL executor (for visit.graphql), the REST dispatcher (for visit.fetch and the REST routers),
 * the sandbox and the function runner. The app builds its routes on it; the worker process
 * (worker-main.ts) uses it alone.
 */
export type Core = {
  infrastructure: Infrastructure;
  services: Services;
  /** Where outbound requests may go (functions' fetch, webhooks, the notification URL). */
  outbound: OutboundPolicy;
  usage: UsageRecorder;
  apollo: ApolloServer<GraphQLContext>;
  /** How Apollo's operations run: compiled, or on graphql-js (its counts show which). */
  execution: CompiledExecution;
  graphql: GraphQLExecutor;
  /** The REST families (v1 JSON/XML, v2) without HTTP: for the routers and for visit.fetch. */
  rest: RestDispatcher;
  sandbox: SandboxRunner;
  runner: FunctionRunner;
  /** Stops Apollo, the sandbox, usage flushing and Redis; not the database. Callers drain their work first. */
  close(): Promise<void>;
};

export type CoreOptions = {
  env: Env;
  logger: Logger;
  database: Database;
  /** Replaces DNS for outbound requests (tests of names that re-resolve); the system resolver otherwise. */
  resolveHost?: ResolveHost;
};

export async function createCore(options: CoreOptions): Promise<Core> {
  const { env, logger, database } = options;
  const infrastructure = createInfrastructure(env, logger);
  // The runner needs the services (through GraphQL) and a manual run needs the runner: the one
  // cycle of the object graph, closed here and nowhere else.
  let runner: FunctionRunner | undefined;
  const functionInvoker: FunctionInvoker = {
    run: (fn, trigger, input) => {
      if (!runner) throw new Error("the function runner is not wired yet");
      return runner.run(fn, trigger, input);
    },
  };
  const outbound: OutboundPolicy = { allow: outboundAllowList(env), resolve: options.resolveHost };
  const services = createServices(database.db, database.revisions, env, infrastructure.bus, {
    functionInvoker,
    outbound,
  });
  const usage = new UsageRecorder(database.db, logger, () =>
    services.apiKeys.touch(services.apiKeyVerifier.takeLastUsed()),
  );
  usage.start(env.STATS_FLUSH_MS);

  const schema = await graphqlSchema();
  const execution = new CompiledExecution(schema, await compilationSchema(), needsFieldHooks);
  const apollo = createApolloServer({ schema, execution, env, logger });
  await apollo.start();
  const graphql = createExecutor(apollo, services);
  const rest = new RestDispatcher({ graphql, schema, bodyLimitBytes: env.BODY_LIMIT_BYTES });

  const sandbox = new SandboxRunner(runnerOptionsFromEnv(env));
  runner = new FunctionRunner({
    env,
    logger,
    sandbox,
    runs: services.functionRuns,
    state: services.functionState,
    verifier: services.apiKeyVerifier,
    graphql,
    rest,
    rateLimiter: infrastructure.rateLimiter,
    usage,
  });

  return {
    infrastructure,
    services,
    outbound,
    usage,
    apollo,
    execution,
    graphql,
    rest,
    sandbox,
    runner,
    async close() {
      await apollo.stop();
      await sandbox.close();
      await usage.stop();
      await infrastructure.close();
    },
  };
}
