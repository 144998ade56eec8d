import type { Logger } from "pino";
import type { FunctionRunner } from "@/jobs/function-runner.js";
import type { Env } from "@/src/config/env.js";
import type { FunctionService } from "@/src/services/function.service.js";
import { InProcessScheduler } from "./in-process-scheduler.js";
import type { TaskScheduler } from "./task-scheduler.js";

export type SchedulerDeps = { env: Env; logger: Logger; functions: FunctionService; runner: FunctionRunner };

/** BullMQ on Redis when REDIS_URL is set; timers in this process otherwise. */
export async function createTaskScheduler(deps: SchedulerDeps): Promise<TaskScheduler> {
  const scheduler = new InProcessScheduler({ ...deps, intervalMs: deps.env.FUNCTION_INTERVAL_MS });
  await scheduler.reconcile();
  return scheduler;
}
