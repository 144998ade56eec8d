import type { ApolloServer } from "@apollo/server";
import type { Logger } from "pino";
import { FunctionRunner } from "@/jobs/function-runner.js";
import { runnerOptionsFromEnv } from "@/jobs/sandbox/sandbox-config.js";
import { SandboxRunner } from "@/jobs/sandbox/sandbox-runner.js";
import type { Env } from "@/src/config/env.js";
import type { Database } from "@/src/db/database.js";
import { createApolloServer } from "@/src/graphql/apollo.js";
import type { GraphQLContext } from "@/src/graphql/context.js";
import { createExecutor, type GraphQLExecutor } from "@/src/graphql/executor.js";
import { graphqlSchema } from "@/src/graphql/schema.js";
import { createServices, type Services } from "@/src/services/services.js";
import { UsageRecorder } from "@/src/services/usage-recorder.js";
import { createInfrastructure, type Infrastructure } from "./infrastructure.js";

/**
 * What runs functions, with or without an HTTP server: services, usage statistics, the in-process
 * GraphQL executor (for visit.graphql), the sandbox and the function runner. The app builds its
 * routes on it; the worker process (jobs/worker-main.ts) uses it alone.
 */
export type Core = {
  infrastructure: Infrastructure;
  services: Services;
  usage: UsageRecorder;
  apollo: ApolloServer<GraphQLContext>;
  graphql: GraphQLExecutor;
  sandbox: SandboxRunner;
  runner: FunctionRunner;
  /** Stops Apollo, the sandbox, usage flushing and Redis; not the database. Callers drain their work first. */
  close(): Promise<void>;
};

export async function createCore(options: { env: Env; logger: Logger; database: Database }): Promise<Core> {
  const { env, logger, database } = options;
  const infrastructure = createInfrastructure(env, logger);
  const services = createServices(database.db, database.revisions, env, infrastructure.bus);
  const usage = new UsageRecorder(database.db, logger, () =>
    services.apiKeys.touch(services.apiKeyVerifier.takeLastUsed()),
  );
  usage.start(env.STATS_FLUSH_MS);

  const schema = await graphqlSchema();
  const apollo = createApolloServer({ schema, env, logger });
  await apollo.start();
  const graphql = createExecutor(apollo, services);

  const sandbox = new SandboxRunner(runnerOptionsFromEnv(env));
  const runner = new FunctionRunner({
    env,
    logger,
    sandbox,
    functions: services.functions,
    verifier: services.apiKeyVerifier,
    graphql,
    rateLimiter: infrastructure.rateLimiter,
    usage,
  });
  services.functions.setInvoker(runner);

  return {
    infrastructure,
    services,
    usage,
    apollo,
    graphql,
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
