import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { FunctionRunner } from "@/jobs/function-runner.js";
import type { Env } from "@/src/config/env.js";
import { queueErrorLogger } from "@/src/redis/redis.js";
import type { FunctionDefinitionService } from "@/src/services/functions/function-definition.service.js";
import type { FunctionRunService } from "@/src/services/functions/function-run.service.js";
import { FUNCTION_QUEUE, type TaskJobData } from "./bullmq-scheduler.js";
import { TaskLock } from "./task-lock.js";

export type FunctionWorkerDeps = {
  env: Pick<Env, "REDIS_PREFIX" | "FUNCTION_TASK_TIMEOUT_MS" | "FUNCTION_WORKERS">;
  logger: Logger;
  connection: Redis;
  functions: FunctionDefinitionService;
  runs: FunctionRunService;
  runner: FunctionRunner;
};

export type FunctionWorker = {
  /** Takes no more jobs, waits for the runs in progress, then disconnects. */
  close(): Promise<void>;
};

// The task lock lives FUNCTION_TASK_TIMEOUT_MS + this: the sandbox ends a run by its timeout plus
// ~1 s, the rest covers recording the result. It is also how long a crashed worker's task waits
// before a tick may close the dead run and run again.
const LOCK_GRACE_MS = 3_000;
export const STALLED_REASON = "the worker running it stopped (stalled)";

/**
 * Processes the ticks of the task schedules. A tick finding its task's previous run still going
 * (on any worker) is skipped and completes: it is not retried or queued, so runs never overlap
 * and never pile up. Whatever is still RUNNING when a tick gets the lock belonged to a worker that
 * died, and is closed as FAILED before the new run, so a killed worker's run is recorded.
 */
export function startFunctionWorker(deps: FunctionWorkerDeps): FunctionWorker {
  const { env, logger, functions, runs, runner } = deps;
  const lock = new TaskLock(
    deps.connection,
    env.REDIS_PREFIX,
    env.FUNCTION_TASK_TIMEOUT_MS + LOCK_GRACE_MS,
    logger,
  );

  const processTick = async (job: Job<TaskJobData>): Promise<string> => {
    const { functionId } = job.data;
    const fn = await functions.byId(functionId);
    if (fn?.type !== "BACKGROUND_TASK" || !fn.enabled) return "skipped: not an enabled task";
    const held = await lock.acquire(functionId);
    if (!held) {
      logger.info({ functionId, jobId: job.id }, "previous run still going: tick skipped");
      return "skipped: previous run still going";
    }
    try {
      // Only scheduled runs: a MANUAL or ENDPOINT run of the task may be going on another instance.
      const closed = await runs.closeAbandoned(functionId, STALLED_REASON, ["SCHEDULE"]);
      if (closed > 0) logger.warn({ functionId, closed }, "closed runs of a worker that stopped");
      const { run } = await runner.run(fn, "SCHEDULE");
      return run.status;
    } finally {
      await held.release();
    }
  };

  const worker = new Worker<TaskJobData, string>(FUNCTION_QUEUE, processTick, {
    connection: deps.connection,
    prefix: env.REDIS_PREFIX,
    // Runs execute in the sandbox's threads: more jobs at once would only queue there.
    concurrency: env.FUNCTION_WORKERS,
    // A stalled job (its worker died or lost the job's lock) is failed, never re-run: a re-run
    // would come late, and the next tick runs the task anyway (after closing the dead run).
    maxStalledCount: 0,
    // BullMQ's defaults, said out loud: the job lock is renewed every 15 s, so only an event loop
    // blocked for 30 s makes a live job look stalled; stalls are looked for every 30 s.
    lockDuration: 30_000,
    stalledInterval: 30_000,
  });
  worker.on("stalled", (jobId) => logger.warn({ jobId }, "task job stalled: its worker stopped"));
  worker.on("failed", (job, error) =>
    logger.error({ err: error, jobId: job?.id, functionId: job?.data.functionId }, "task job failed"),
  );
  worker.on("error", queueErrorLogger(logger, "task worker error"));

  return { close: () => worker.close() };
}
