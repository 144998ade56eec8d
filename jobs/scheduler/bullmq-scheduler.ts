import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { FunctionRow } from "@/schema/tables/index.js";
import { queueErrorLogger } from "@/src/redis/redis.js";
import type { FunctionDefinitionService } from "@/src/services/functions/function-definition.service.js";
import type { TaskScheduler } from "./task-scheduler.js";

/** The queue of scheduled task runs; a job scheduler per enabled task, its id the function's id. */
export const FUNCTION_QUEUE = "functions";
export const TASK_JOB = "run-task";
export type TaskJobData = { functionId: string };

// Runs of every instance are recorded in the database; the queue keeps only a short trail.
const KEEP_JOBS = { count: 100 };
// Every instance re-checks its registrations this often: this heals a Redis that lost its data
// (a restart without persistence) and a schedule whose next job was never added (a worker killed
// between taking a job and scheduling the next one).
const RECONCILE_EVERY_MS = 60_000;
// Verify-and-apply rounds before giving up to the next reconcile (only under a storm of changes).
const MAX_ROUNDS = 5;

type Deps = {
  connection: Redis;
  prefix: string;
  intervalMs: number;
  functions: Pick<FunctionDefinitionService, "byId" | "enabledTasks">;
  logger: Logger;
};

const isEnabledTask = (fn: FunctionRow | undefined) => fn?.type === "BACKGROUND_TASK" && fn.enabled;

/**
 * With Redis: BullMQ job schedulers, shared by every instance. Registrations follow the database:
 * each change is applied and then checked against the database again, until what was applied
 * still holds. Whichever instance applies last has therefore seen the last change, so instances
 * racing (N starting at once, a task disabled while another instance reconciles) converge on
 * exactly one schedule per enabled task and none for anything else.
 */
export class BullMqScheduler implements TaskScheduler {
  private readonly queue: Queue<TaskJobData>;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: Deps) {
    this.queue = new Queue<TaskJobData>(FUNCTION_QUEUE, { connection: deps.connection, prefix: deps.prefix });
    this.queue.on("error", queueErrorLogger(deps.logger, "task queue error"));
    this.timer = setInterval(() => {
      this.reconcile().catch((error) => deps.logger.error({ err: error }, "task schedules not reconciled"));
    }, RECONCILE_EVERY_MS);
    this.timer.unref();
  }

  async reconcile(): Promise<void> {
    const wanted = await this.wantedTasks();
    const registered = await this.queue.getJobSchedulers(0, -1);
    const ids = new Set([...wanted, ...registered.map((scheduler) => scheduler.key)]);
    await this.converge(ids, wanted, () => this.wantedTasks());
  }

  async sync(functionId: string): Promise<void> {
    const wanted = async () =>
      new Set(isEnabledTask(await this.deps.functions.byId(functionId)) ? [functionId] : []);
    await this.converge(new Set([functionId]), await wanted(), wanted);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.queue.close();
  }

  private async wantedTasks(): Promise<Set<string>> {
    return new Set((await this.deps.functions.enabledTasks()).map((task) => task.id));
  }

  /** Applies `wanted` to `ids`, then re-reads the database and re-applies those that changed meanwhile. */
  private async converge(ids: Set<string>, wanted: Set<string>, read: () => Promise<Set<string>>) {
    let pending = ids;
    let applied = wanted;
    for (let round = 0; pending.size > 0; round++) {
      if (round === MAX_ROUNDS) {
        this.deps.logger.warn(
          { functionIds: [...pending] },
          "task schedules still changing; left to the next reconcile",
        );
        return;
      }
      await Promise.all(
        [...pending].map((id) => (applied.has(id) ? this.register(id) : this.unregister(id))),
      );
      const now = await read();
      pending = new Set([...pending].filter((id) => applied.has(id) !== now.has(id)));
      applied = now;
    }
  }

  // Upserting by id is idempotent: an existing schedule keeps its next run time, and `startDate`
  // only places the first run of a new one, an interval from now (as the in-process scheduler does).
  private async register(functionId: string) {
    const every = this.deps.intervalMs;
    await this.queue.upsertJobScheduler(
      functionId,
      { every, startDate: Date.now() + every },
      {
        name: TASK_JOB,
        data: { functionId },
        // One attempt: a failed tick is retried by the next tick, never late.
        opts: { attempts: 1, removeOnComplete: KEEP_JOBS, removeOnFail: KEEP_JOBS },
      },
    );
  }

  private async unregister(functionId: string) {
    await this.queue.removeJobScheduler(functionId);
  }
}
