import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadEnv } from "@/src/config/env.js";
import { createFunction } from "../support/factories.js";
import { startApp, startSecondInstance, type TestApp } from "../support/harness.js";
import {
  assertSequential,
  bullmqSkipReason,
  busyFor,
  checkCadence,
  createTask,
  deleteTask,
  openTaskQueue,
  QUICK,
  scheduledRuns,
  setEnabled,
  sleep,
} from "./scheduler-support.js";

describe("BullMQ task scheduler", { skip: bullmqSkipReason(loadEnv()) }, () => {
  let t: TestApp;
  let tasks: ReturnType<typeof openTaskQueue>;
  before(async () => {
    t = await startApp({ FUNCTION_INTERVAL_MS: "1000", FUNCTION_TASK_TIMEOUT_MS: "5000" });
    tasks = openTaskQueue(t);
  });
  after(async () => {
    await t.close();
    await tasks.clean();
  });

  it("runs a task about once a second, never two runs at once, and not after it is disabled", async () => {
    await checkCadence(t);
    assert.deepEqual(await tasks.schedulerIds(), [], "a disabled task kept its schedule");
  });

  it("has one job scheduler per enabled task, with the function's id, and none once it is deleted", async () => {
    const task = await createTask(t, QUICK);
    const scheduler = await tasks.queue.getJobScheduler(task.id);
    assert.equal(scheduler?.every, 1000);
    assert.deepEqual(scheduler?.template?.data, { functionId: task.id });
    await deleteTask(t, task.id);
    assert.equal(await tasks.queue.getJobScheduler(task.id), undefined);
  });

  it("leaves exactly one schedule per task when three instances start together, and runs each once per tick", async () => {
    const quick = await createTask(t, QUICK);
    const slow = await createTask(t, busyFor(1_300));
    const toDisable = await createTask(t, QUICK);
    // Leftovers a reconcile must remove: a disabled task's schedule and a deleted function's.
    const disabled = await createFunction(t, { type: "BACKGROUND_TASK", code: QUICK, enabled: false });
    for (const id of [disabled.id, "deleted-function"]) {
      await tasks.queue.upsertJobScheduler(
        id,
        { every: 1000 },
        { name: "run-task", data: { functionId: id } },
      );
    }

    const nextBefore = (await tasks.queue.getJobScheduler(quick.id))?.next;
    // Two more instances start (each reconciling and running a worker) while a task is disabled
    // and another created through the first one.
    const [, , , created] = await Promise.all([
      startSecondInstance(t),
      startSecondInstance(t),
      setEnabled(t, toDisable.id, false),
      createTask(t, QUICK),
    ]);
    assert.deepEqual(await tasks.schedulerIds(), [quick.id, slow.id, created.id].sort());
    // Re-registering kept the schedule's phase: the next run is still a whole number of ticks on.
    const nextAfter = (await tasks.queue.getJobScheduler(quick.id))?.next;
    assert.equal((nextAfter! - nextBefore!) % 1000, 0, `next run moved from ${nextBefore} to ${nextAfter}`);

    const from = Date.now();
    await sleep(4_000);
    const inWindow = (await scheduledRuns(t, quick.id)).filter(
      (run) => run.startedAt >= from && run.startedAt < from + 4_000,
    );
    assert.ok(
      inWindow.length >= 2 && inWindow.length <= 5,
      `${inWindow.length} runs in 4 s on three instances`,
    );
    assertSequential(await scheduledRuns(t, quick.id));
    assertSequential(await scheduledRuns(t, slow.id), 200);
    assert.deepEqual(await tasks.schedulerIds(), [quick.id, slow.id, created.id].sort());
  });
});
