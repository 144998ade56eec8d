import type { Logger } from "pino";
import type { FunctionRunner } from "@/jobs/function-runner.js";
import type { Env } from "@/src/config/env.js";
import { createRedis } from "@/src/redis/redis.js";
import type { FunctionDefinitionService } from "@/src/services/functions/function-definition.service.js";
import type { FunctionRunService } from "@/src/services/functions/function-run.service.js";
import { BullMqScheduler } from "./bullmq-scheduler.js";
import { startFunctionWorker } from "./bullmq-worker.js";
import { InProcessScheduler } from "./in-process-scheduler.js";
import type { TaskScheduler } from "./task-scheduler.js";

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
  const close = async () => {
    await scheduler.close();
    await worker?.close();
    await connection.quit().catch(() => connection.disconnect());
  };
  try {
    await scheduler.reconcile();
  } catch (error) {
    await close();
    throw error;
  }
  return {
    reconcile: () => scheduler.reconcile(),
    sync: (functionId) => scheduler.sync(functionId),
    close,
  };
}
