import "reflect-metadata";
import { startFunctionWorker } from "@/jobs/scheduler/bullmq-worker.js";
import { createDeliveryEngine } from "@/jobs/webhooks/create-delivery-engine.js";
import { ConfigError, loadEnv } from "@/src/config/env.js";
import { openDatabase, postgresOptionsFromEnv } from "@/src/db/database.js";
import { createLogger } from "@/src/logger.js";
import { createRedis } from "@/src/redis/redis.js";
import { createCore } from "./core.js";
import { runProcess } from "./process-lifecycle.js";

/**
 * `npm run worker`: runs background tasks and webhook pings from the BullMQ queues, without an HTTP
 * server. The app instances register the schedules and enqueue pings; any number of these
 * processes (and the app instances' own workers, unless RUN_WORKER=false) share the work.
 */
await runProcess("Visit API worker", async () => {
  const env = loadEnv();
  // Separate workers share the queue (Redis) and the database with the app: an embedded PGlite
  // folder cannot be opened by a second process.
  if (!env.REDIS_URL || !env.DATABASE_URL) {
    throw new ConfigError(
      "The worker needs REDIS_URL and DATABASE_URL (PostgreSQL); without them, background tasks run inside the app",
    );
  }
  const logger = createLogger(env).child({ role: "worker" });
  const database = await openDatabase({
    driver: "postgres",
    url: env.DATABASE_URL,
    ...postgresOptionsFromEnv(env, logger),
  });
  const core = await createCore({ env, logger, database });
  const connection = createRedis(env.REDIS_URL, "worker", logger);
  const worker = startFunctionWorker({
    env,
    logger,
    connection,
    functions: core.services.functions,
    runs: core.services.functionRuns,
    runner: core.runner,
  });
  const deliveryEngine = await createDeliveryEngine({
    env,
    logger,
    deliveries: core.services.webhookDeliveries,
    outbound: core.outbound,
    runWorker: true,
  });
  logger.info({ driver: database.driver }, "task and webhook worker started");
  return {
    logger,
    // A run ends by its timeout plus ~1 s; past that, something is stuck.
    timeoutMs: env.FUNCTION_TASK_TIMEOUT_MS + env.SHUTDOWN_TIMEOUT_MS,
    async stop() {
      await Promise.all([worker.close(), deliveryEngine.close()]);
      await core.close();
      await connection.quit();
      await database.close();
    },
  };
});
