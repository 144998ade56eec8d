import type { Logger } from "pino";
import type { FunctionRunner } from "@/jobs/function-runner.js";
import type { Env } from "@/src/config/env.js";
import { createRedis, whenReady, within } from "@/src/redis/redis.js";
import type { FunctionDefinitionService } from "@/src/services/functions/function-definition.service.js";
import type { FunctionRunService } from "@/src/services/functions/function-run.service.js";
import { BullMqScheduler } from "./bullmq-scheduler.js";
import { startFunctionWorker } from "./bullmq-worker.js";
import { InProcessScheduler } from "./in-process-scheduler.js";
import type { TaskScheduler } from "./task-scheduler.js";

// How long a start waits for Redis before serving without it, a change for its schedule's sync,
// and a shutdown for the queue and worker while Redis is down.
const START_WAIT_MS = 2_000;
const SYNC_WAIT_MS = 1_000;
const CLOSE_WITHOUT_REDIS_MS = 3_000;

export type SchedulerDeps = {
  env: Env;
  logger: Logger;
  functions: FunctionDefinitionService;
  runs: FunctionRunService;
  runner: FunctionRunner;
};

/**
 * BullMQ on Redis when REDIS_URL is set (plus a worker in this process unless RUN_WORKER is
 * false); timers in this process otherwise.
 */
export async function createTaskScheduler(deps: SchedulerDeps): Promise<TaskScheduler> {
  const { env, logger } = deps;
  if (!env.REDIS_URL) {
    const scheduler = new InProcessScheduler({ ...deps, intervalMs: env.FUNCTION_INTERVAL_MS });
    await scheduler.reconcile();
    return scheduler;
  }
  // A connection of its own for the queue, the worker and the task locks, closed with them (the
  // worker opens its blocking connections from it).
  const connection = createRedis(env.REDIS_URL, "tasks", logger);
  const scheduler = new BullMqScheduler({
    connection,
    prefix: env.REDIS_PREFIX,
    intervalMs: env.FUNCTION_INTERVAL_MS,
    functions: deps.functions,
    logger,
  });
  const worker = env.RUN_WORKER ? startFunctionWorker({ ...deps, connection }) : undefined;
  const reconcileInBackground = () =>
    void scheduler.reconcile().catch((error) => logger.warn({ err: error }, "task schedules not reconciled"));

  // The database is the truth for schedules; Redis only carries them out. While Redis is down,
  // changes are only noted, and one reconcile catches up when it is back.
  let behind = false;
  connection.on("ready", () => {
    if (!behind) return;
    behind = false;
    reconcileInBackground();
  });
  const closeQueue = async () => {
    await scheduler.close();
    await worker?.close();
  };
  const close = async () => {
    if (connection.status === "ready") {
      // Runs in progress finish first (bounded by SHUTDOWN_TIMEOUT_MS, as before).
      await closeQueue();
      await connection.quit().catch(() => connection.disconnect());
      return;
    }
    // Without Redis nothing can be handed back to it: drop the connection so nothing waits for it.
    connection.disconnect();
    await within(closeQueue(), CLOSE_WITHOUT_REDIS_MS, () => {});
  };
  if (await whenReady(connection, START_WAIT_MS)) {
    try {
      await scheduler.reconcile();
    } catch (error) {
      await close();
      throw error;
    }
  } else {
    logger.warn("task schedules not reconciled at start: Redis unreachable; catching up when it is back");
    behind = true;
  }
  return {
    reconcile: () => scheduler.reconcile(),
    async sync(functionId) {
      if (connection.status !== "ready") {
        behind = true;
        return;
      }
      // The change is stored whatever happens here: a failed sync is caught up later, and a change
      // answers within a second even if Redis goes away meanwhile (the sync goes on).
      const syncing = scheduler.sync(functionId).catch((error) => {
        behind = true;
        logger.warn({ err: error, functionId }, "task schedule not synced; catching up when Redis is back");
      });
      await within(syncing, SYNC_WAIT_MS, () => {});
    },
    close,
  };
}
