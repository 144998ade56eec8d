import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
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

export { sleep };

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

/** Each run ends before the next starts, with at least `minGapMs` between them. */
export function assertSequential(runs: Run[], minGapMs = 0): void {
  for (let i = 1; i < runs.length; i++) {
    const previous = runs[i - 1]!;
    assert.ok(
      previous.finishedAt !== null,
      `run ${i - 1} still running while run ${i} started: ${describeRuns(runs)}`,
    );
    assert.ok(
      runs[i]!.startedAt - previous.finishedAt >= minGapMs,
      `run ${i} started ${runs[i]!.startedAt - previous.finishedAt} ms after run ${i - 1} ended: ${describeRuns(runs)}`,
    );
  }
}

/** Waits until no run of the task is RUNNING, then returns its runs. */
export function settledRuns(t: TestApp, functionId: string, timeoutMs = 5_000): Promise<Run[]> {
  return waitFor(
    "runs in progress to end",
    async () => {
      const runs = await scheduledRuns(t, functionId);
      return runs.every((run) => run.status !== "RUNNING") && runs;
    },
    timeoutMs,
    100,
  );
}

/**
 * With FUNCTION_INTERVAL_MS=1000: a quick task runs about once a second; runs never overlap; a
 * task busy for 1.3 s runs every other tick (the ticks during a run are skipped, not queued: a
 * queued tick would start right after the run ended); disabling it stops its runs.
 */
export async function checkCadence(t: TestApp): Promise<void> {
  const quick = await createTask(t, QUICK);
  const slow = await createTask(t, busyFor(1_300));
  await sleep(4_500);
  const quickRuns = await scheduledRuns(t, quick.id);
  assert.ok(quickRuns.length >= 3 && quickRuns.length <= 6, `quick task: ${describeRuns(quickRuns)}`);
  assertSequential(quickRuns);

  await sleep(1_500);
  await setEnabled(t, slow.id, false);
  await setEnabled(t, quick.id, false);
  const slowRuns = await settledRuns(t, slow.id);
  assert.ok(slowRuns.length >= 2 && slowRuns.length <= 4, `slow task: ${describeRuns(slowRuns)}`);
  assertSequential(slowRuns, 200);

  const before = (await settledRuns(t, quick.id)).length;
  const slowBefore = slowRuns.length;
  await sleep(2_500);
  assert.equal((await scheduledRuns(t, quick.id)).length, before, "a disabled task ran");
  assert.equal((await scheduledRuns(t, slow.id)).length, slowBefore, "a disabled task ran");
}

/** Why the BullMQ tests need both services; undefined when they can run. */
export function bullmqSkipReason(env: Pick<Env, "REDIS_URL" | "DATABASE_URL">): string | undefined {
  if (env.REDIS_URL && env.DATABASE_URL) return undefined;
  return "needs REDIS_URL and DATABASE_URL: BullMQ instances and workers share a PostgreSQL database (PGlite cannot be shared)";
}

/** The test's own view of the task queue under the app's REDIS_PREFIX. */
export function openTaskQueue(t: TestApp) {
  const redis = createRedis(t.env.REDIS_URL!, "test", createLogger(t.env));
  const queue = new Queue<TaskJobData>(FUNCTION_QUEUE, { connection: redis, prefix: t.env.REDIS_PREFIX });
  return {
    queue,
    async schedulerIds(): Promise<string[]> {
      return (await queue.getJobSchedulers(0, -1)).map((scheduler) => scheduler.key).sort();
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
