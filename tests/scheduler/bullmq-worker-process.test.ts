import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { STALLED_REASON } from "@/jobs/scheduler/bullmq-worker.js";
import { loadEnv } from "@/src/config/env.js";
import { startApp, type TestApp, waitFor } from "../support/harness.js";
import {
  bullmqSkipReason,
  busyFor,
  createTask,
  openTaskQueue,
  type Run,
  scheduledRuns,
} from "./scheduler-support.js";

const ROOT = join(import.meta.dirname, "..", "..");
const TASK_TIMEOUT_MS = 2_000;

/** `npm run worker` as a child process on the test's database and Redis prefix; output kept for failures. */
function spawnWorker(t: TestApp): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/worker-main.ts"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DATABASE_URL: t.db.url,
      REDIS_URL: t.env.REDIS_URL,
      REDIS_PREFIX: t.env.REDIS_PREFIX,
      FUNCTION_INTERVAL_MS: "1000",
      FUNCTION_TASK_TIMEOUT_MS: String(TASK_TIMEOUT_MS),
      LOG_LEVEL: "info",
    },
  });
  const chunks: string[] = [];
  child.stdout.on("data", (chunk) => chunks.push(String(chunk)));
  child.stderr.on("data", (chunk) => chunks.push(String(chunk)));
  return Object.assign(child, { output: () => chunks.join("").slice(-4_000) });
}

async function exitCode(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null || child.signalCode !== null)
    return child.exitCode ?? must(child.signalCode, "child.signalCode");
  const [code, signal] = (await once(child, "exit")) as [number | null, string | null];
  return code ?? must(signal, "signal");
}

describe("BullMQ worker processes", { skip: bullmqSkipReason(loadEnv()) }, () => {
  let t: TestApp;
  let tasks: ReturnType<typeof openTaskQueue>;
  const children: ReturnType<typeof spawnWorker>[] = [];
  before(async () => {
    // This instance only registers schedules: the child processes are the only workers.
    t = await startApp({ FUNCTION_INTERVAL_MS: "1000", RUN_WORKER: "false" });
    tasks = openTaskQueue(t);
  });
  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await t.close();
    await tasks.clean();
  });

  it("records the run of a killed worker as failed, runs the task again, and drains on SIGTERM", async () => {
    const first = spawnWorker(t);
    children.push(first);
    // Busy until its run's timeout stops it.
    const task = await createTask(t, busyFor(600_000));
    const killed = await waitFor(
      "a run in progress on the first worker",
      async () => (await scheduledRuns(t, task.id)).find((run) => run.status === "RUNNING"),
      30_000,
      50,
    ).catch((error) => assert.fail(`${error.message}\n${first.output()}`));
    first.kill("SIGKILL");
    assert.equal(await exitCode(first), "SIGKILL");

    const second = spawnWorker(t);
    children.push(second);
    const later = (runs: Run[]) => runs.filter((run) => run.startedAt > killed.startedAt);
    const recovered = await waitFor(
      "the killed run closed and a later run started",
      async () => {
        const runs = await scheduledRuns(t, task.id);
        const dead = runs.find((run) => run.id === killed.id);
        return dead?.status !== "RUNNING" && later(runs).length > 0 && dead;
      },
      30_000,
      100,
    ).catch((error) => assert.fail(`${error.message}\n${second.output()}`));
    assert.equal(recovered.status, "FAILED");
    assert.equal(recovered.error, STALLED_REASON);

    // SIGTERM in the middle of a run: the worker finishes it (recorded, not left RUNNING), then exits 0.
    const inProgress = await waitFor(
      "a run in progress on the second worker",
      async () => later(await scheduledRuns(t, task.id)).find((run) => run.status === "RUNNING"),
      10_000,
      50,
    );
    second.kill("SIGTERM");
    assert.equal(await exitCode(second), 0, second.output());
    const drained = (await scheduledRuns(t, task.id)).find((run) => run.id === inProgress.id);
    assert.equal(drained?.status, "TIMED_OUT");
  });
});
