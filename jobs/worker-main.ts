import "reflect-metadata";
import { startFunctionWorker } from "@/jobs/scheduler/bullmq-worker.js";
import { ConfigError, loadEnv } from "@/src/config/env.js";
import { openDatabase } from "@/src/db/database.js";
import { createCore } from "@/src/http/core.js";
import { createLogger } from "@/src/logger.js";
import { createRedis } from "@/src/redis/redis.js";

/**
 * `npm run worker`: runs background tasks from the BullMQ queue, without an HTTP server. The app
 * instances register the schedules; any number of these processes (and the app instances'
 * own workers, unless RUN_WORKER=false) share the ticks.
 */
async function main() {
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
    poolSize: env.DATABASE_POOL_SIZE,
  });
  const core = await createCore({ env, logger, database });
  const connection = createRedis(env.REDIS_URL, "worker", logger);
  const worker = startFunctionWorker({
    env,
    logger,
    connection,
    functions: core.services.functions,
    runner: core.runner,
  });
  logger.info({ driver: database.driver }, "task worker started");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down: finishing the runs in progress");
    // A run ends by its timeout plus ~1 s; past that, something is stuck.
    setTimeout(() => {
      logger.error("shutdown timed out; exiting");
      process.exit(1);
    }, env.FUNCTION_TASK_TIMEOUT_MS + env.SHUTDOWN_TIMEOUT_MS);
    try {
      await worker.close();
      await core.close();
      await connection.quit();
      await database.close();
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error("Visit API worker failed to start:", error);
  }
  process.exit(1);
});
