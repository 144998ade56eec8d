import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { Queue } from "bullmq";
import { eq } from "drizzle-orm";
import { FUNCTION_QUEUE, type TaskJobData } from "@/jobs/scheduler/bullmq-scheduler.js";
import { functionRuns } from "@/schema/tables/index.js";
import type { Env } from "@/src/config/env.js";
import { createLogger } from "@/src/logger.js";
import { createRedis } from "@/src/redis/redis.js";
import {
  createFunction,
  FUNCTION_RUN_FIELDS,
  type FunctionRef,
  type FunctionRunRef,
  functionCode,
} from "../support/factories.js";
import { type TestApp, waitFor } from "../support/harness.js";
import { must } from "../support/must.js";

export type Run = {
  id: string;
  status: string;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
};

/** A task that returns at once. */
export const QUICK = functionCode("return null;");
/** A task that keeps its run busy for `ms` (guest time, so it is stopped by the run's timeout). */
export const busyFor = (ms: number) =>
  functionCode(`const end = Date.now() + ${ms}; while (Date.now() < end) {} return null;`);

export function createTask(t: TestApp, code: string): Promise<FunctionRef> {
  return createFunction(t, { type: "BACKGROUND_TASK", code });
}

export async function setEnabled(t: TestApp, id: string, enabled: boolean): Promise<void> {
  const update =
    "mutation($id: ID!, $input: UpdateFunctionInput!) { updateFunction(id: $id, input: $input) { id } }";
  await t.ok(update, { id, input: { enabled } });
}

export async function deleteTask(t: TestApp, id: string): Promise<void> {
  await t.ok("mutation($id: ID!) { deleteFunction(id: $id) { id } }", { id });
}

/** The scheduled runs of a task, oldest first. */
export async function scheduledRuns(t: TestApp, functionId: string): Promise<Run[]> {
  const query = `query($functionId: ID!) {
    functionRuns(functionId: $functionId, first: 100) { nodes { ${FUNCTION_RUN_FIELDS} } }
  }`;
  const data = await t.ok<{ functionRuns: { nodes: FunctionRunRef[] } }>(query, { functionId });
  return data.functionRuns.nodes
    .filter((run) => run.trigger === "SCHEDULE")
    .map((run) => ({
      id: run.id,
      status: run.status,
      error: run.error,
      startedAt: Date.parse(run.startedAt),
      finishedAt: run.finishedAt ? Date.parse(run.finishedAt) : null,
    }))
    .sort((a, b) => a.startedAt - b.startedAt);
}

/** Run rows of a function, straight from the database (for a deleted function, which the API no longer shows). */
export async function runRowCount(t: TestApp, functionId: string): Promise<number> {
  const rows = await t.app.database.db
    .select({ id: functionRuns.id })
    .from(functionRuns)
    .where(eq(functionRuns.functionId, functionId));
  return rows.length;
}

const describeRuns = (runs: Run[]) =>
  JSON.stringify(
    runs.map((run) => [run.startedAt % 100_000, run.finishedAt && run.finishedAt % 100_000, run.status]),
  );

/** Each run ends before the next starts. */
export function assertSequential(runs: Run[]): void {
  for (let i = 1; i < runs.length; i++) {
    const previous = runs[i - 1];
    assert.ok(
      previous.finishedAt !== null && runs[i].startedAt >= previous.finishedAt,
      `run ${i} started while run ${i - 1} was still going: ${describeRuns(runs)}`,
    );
  }
}

/** Waits until the task has at least `count` runs and none is RUNNING, then returns its runs. */
export function settledRuns(t: TestApp, functionId: string, count = 0, timeoutMs = 10_000): Promise<Run[]> {
  return waitFor(
    `${count} runs, none in progress`,
    async () => {
      const runs = await scheduledRuns(t, functionId);
      return runs.length >= count && runs.every((run) => run.status !== "RUNNING") && runs;
    },
    timeoutMs,
    50,
  );
}

/**
 * A loopback server (put on FUNCTION_FETCH_ALLOW) that a gated task fetches from. A request is the
 * event "a run of the gated task is in progress", and that run stays in progress until the test
 * releases it: no guest busy for a guessed time, no race with the clock.
 */
export async function startGate() {
  const held: ServerResponse[] = [];
  const waiters: (() => void)[] = [];
  let arrivals = 0;
  let opened = false;
  const server = createServer((_request, response) => {
    arrivals++;
    if (opened) response.end("open");
    else held.push(response);
    for (const waiter of waiters.splice(0)) waiter();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** For FUNCTION_FETCH_ALLOW. */
    allow: `127.0.0.1:${port}`,
    /** A task that fetches from the gate, then returns. */
    code: functionCode(`await fetch("http://127.0.0.1:${port}/"); return null;`),
    get arrivals() {
      return arrivals;
    },
    /** Resolves once `count` runs in all have reached the gate; fails after `timeoutMs`. */
    async arrived(count: number, timeoutMs = 10_000): Promise<void> {
      const until = performance.now() + timeoutMs;
      while (arrivals < count) {
        const left = until - performance.now();
        if (left <= 0) assert.fail(`${arrivals} of ${count} runs reached the gate within ${timeoutMs} ms`);
        await Promise.race([
          new Promise<void>((resolve) => waiters.push(resolve)),
          delay(left, undefined, { ref: false }),
        ]);
      }
    },
    /** Lets the runs waiting at the gate go on. */
    release() {
      for (const response of held.splice(0)) response.end("released");
    },
    /** Releases the waiting runs and lets every later one through at once. */
    open() {
      opened = true;
      this.release();
    },
    /** Holds every later run again. */
    hold() {
      opened = false;
    },
    /** Lets everything through and stops listening. */
    stop() {
      this.open();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Gate = Awaited<ReturnType<typeof startGate>>;

/** A processed tick of a BullMQ job scheduler. */
export type Tick = { due: number; outcome: string };

/** Why the BullMQ tests need both services; undefined when they can run. */
export function bullmqSkipReason(env: Pick<Env, "REDIS_URL" | "DATABASE_URL">): string | undefined {
  if (env.REDIS_URL && env.DATABASE_URL) return undefined;
  return "needs REDIS_URL and DATABASE_URL: BullMQ instances and workers share a PostgreSQL database (PGlite cannot be shared)";
}

/** The test's own view of the task queue under the app's REDIS_PREFIX. */
export function openTaskQueue(t: TestApp) {
  const redis = createRedis(must(t.env.REDIS_URL, "t.env.REDIS_URL"), "test", createLogger(t.env));
  const queue = new Queue<TaskJobData>(FUNCTION_QUEUE, { connection: redis, prefix: t.env.REDIS_PREFIX });
  return {
    queue,
    async schedulerIds(): Promise<string[]> {
      return (await queue.getJobSchedulers(0, -1)).map((scheduler) => scheduler.key).sort();
    },
    /**
     * The processed ticks of a task, oldest first: when each was due (its job id is
     * `repeat:<functionId>:<due>`) and what the worker returned (the run's status, or why it skipped).
     */
    async ticks(functionId: string): Promise<Tick[]> {
      const jobs = await queue.getJobs(["completed", "failed"]);
      return jobs
        .filter((job) => job.data.functionId === functionId)
        .map((job) => ({
          due: Number(String(job.id).split(":").pop()),
          outcome: job.failedReason ? `failed: ${job.failedReason}` : String(job.returnvalue),
        }))
        .sort((a, b) => a.due - b.due);
    },
    /** Whether any tick of the task is still to be processed (due later, waiting or in progress). */
    async pending(functionId: string): Promise<boolean> {
      const jobs = await queue.getJobs(["delayed", "waiting", "prioritized", "active"]);
      return jobs.some((job) => job.data.functionId === functionId);
    },
    /** Removes every key of the test's prefix (the queue and the task locks), then disconnects. */
    async clean() {
      await queue.obliterate({ force: true });
      await queue.close();
      for await (const keys of redis.scanStream({ match: `${t.env.REDIS_PREFIX}:*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
      }
      await redis.quit();
    },
  };
}
