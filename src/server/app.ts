import { createServer, type Server } from "node:http";
import type { Logger } from "pino";
import { createTaskScheduler } from "@/jobs/scheduler/create-task-scheduler.js";
import type { TaskScheduler } from "@/jobs/scheduler/task-scheduler.js";
import { createDeliveryEngine } from "@/jobs/webhooks/create-delivery-engine.js";
import type { Database } from "@/src/db/database.js";
import type { CompiledExecution } from "@/src/graphql/compiled-execution.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
import type { RateLimiter } from "@/src/services/rate-limiter.js";
import type { Services } from "@/src/services/services.js";
import type { UsageRecorder } from "@/src/services/usage-recorder.js";
import { type CoreOptions, createCore } from "./core.js";
import { createHttpApp } from "./http-app.js";

const USAGE_PRUNE_EVERY_MS = 3_600_000;

export type App = {
  server: Server;
  usage: UsageRecorder;
  /** Runs a GraphQL operation in-process as an actor (for the REST layer and functions). */
  graphql: GraphQLExecutor;
  /** How operations run: compiled or on graphql-js (a spec reads its counts). */
  execution: CompiledExecution;
  services: Services;
  database: Database;
  logger: Logger;
  /** The task scheduler of this instance (a test drives the in-process one's timers). */
  scheduler: TaskScheduler;
  /** This instance's rate limiter (a test makes instances exchange their counts now). */
  rateLimiter: RateLimiter;
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting connections, drains in-flight requests and task runs, then closes the database. */
  close(): Promise<void>;
};

/**
 * One instance of the API: the core (services, GraphQL, sandbox), the first-start bootstrap, the
 * task scheduler, webhook delivery, statistics retention and the HTTP server, started and stopped
 * in order.
 */
export async function createApp(options: CoreOptions): Promise<App> {
  const { env, logger, database } = options;
  const core = await createCore(options);
  const { services, usage, graphql, runner } = core;
  await services.organisations.bootstrap(
    { orgName: env.ORG_NAME, adminEmail: env.ADMIN_EMAIL, adminPassword: env.ADMIN_PASSWORD },
    logger,
  );
  const pruneUsage = () =>
    usage
      .prune(env.STATS_MINUTE_RETENTION_DAYS, env.STATS_DAY_RETENTION_DAYS)
      .catch((error) => logger.warn({ err: error }, "usage pruning failed"));
  const pruneTimer = setInterval(pruneUsage, USAGE_PRUNE_EVERY_MS).unref();

  const scheduler = await createTaskScheduler({
    env,
    logger,
    functions: services.functions,
    runs: services.functionRuns,
    runner,
  });
  services.functions.onChange(({ id }) => scheduler.sync(id));

  const deliveryEngine = await createDeliveryEngine({
    env,
    logger,
    deliveries: services.webhookDeliveries,
    outbound: core.outbound,
    runWorker: env.RUN_WORKER,
  });
  services.feedSignal.listen((change) => deliveryEngine.feedChanged(change));
  services.webhooks.onChange((change) => deliveryEngine.webhookChanged(change));
  services.notificationUrl.onChange((change) => deliveryEngine.webhookChanged(change));

  const server = createServer(
    {
      headersTimeout: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      // Node checks the headers and request timeouts on this tick (30 s by default): a connection
      // that sends nothing would otherwise live up to that long past its timeout.
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(env.HTTP_HEADERS_TIMEOUT_MS / 4)),
    },
    createHttpApp({ env, logger, database, core }),
  );
  return {
    server,
    usage,
    graphql,
    execution: core.execution,
    services,
    database,
    logger,
    scheduler,
    rateLimiter: core.infrastructure.rateLimiter,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : port);
        });
      }),
    async close() {
      // Stop taking connections; let in-flight requests and running tasks finish (both may still
      // call GraphQL in-process), and only then stop Apollo and the rest.
      const httpDrained = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all([httpDrained, scheduler.close()]);
      // After the requests: their writes' signals still count. Pings in flight are given back.
      await deliveryEngine.close();
      clearInterval(pruneTimer);
      await core.close();
      await database.close();
    },
  };
}
