import { must } from "../support/must.js";
import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { loadEnv } from "@/src/config/env.js";
import { createFunction } from "../support/factories.js";
import { startApp, startSecondInstance, type TestApp, waitFor } from "../support/harness.js";
import {
  assertSequential,
  bullmqSkipReason,
  createTask,
  deleteTask,
  type Gate,
  openTaskQueue,
  QUICK,
  type Run,
  scheduledRuns,
  setEnabled,
  settledRuns,
  startGate,
  type Tick,
} from "./scheduler-support.js";

// BullMQ runs on real Redis and real time (one tick a second, the least FUNCTION_INTERVAL_MS
// allows): the tests wait for ticks, runs and jobs as events, and count what happened between
// them, never what happened in a window of wall-clock time.

describe("BullMQ task scheduler", { skip: bullmqSkipReason(loadEnv()) }, () => {
  let t: TestApp;
  let tasks: ReturnType<typeof openTaskQueue>;
  let gate: Gate;
  before(async () => {
    gate = await startGate();
    t = await startApp({
      FUNCTION_INTERVAL_MS: "1000",
      FUNCTION_TASK_TIMEOUT_MS: "5000",
      FUNCTION_FETCH_ALLOW: gate.allow,
    });
    tasks = openTaskQueue(t);
  });
  after(async () => {
    await t.close();
    await tasks.clean();
    await gate.stop();
  });

  /** Waits until the task has `count` processed ticks; returns them. */
  const ticksUntil = (functionId: string, count: number) =>
    waitFor(
      `${count} ticks`,
      async () => {
        const ticks = await tasks.ticks(functionId);
        return ticks.length >= count && ticks;
      },
      15_000,
      100,
    );

  /** Disables the tasks and waits until none has a tick left to process or a run in progress. */
  async function disableAndSettle(...ids: string[]) {
    for (const id of ids) await setEnabled(t, id, false);
    for (const id of ids) {
      await waitFor(`no tick left for ${id}`, async () => !(await tasks.pending(id)), 10_000, 100);
      await settledRuns(t, id);
    }
  }

  /** Each tick was processed once, and every run was started by a tick of its own. */
  function assertOneRunPerTick(ticks: Tick[], runs: Run[]) {
    const dues = ticks.map((tick) => tick.due);
    assert.equal(new Set(dues).size, dues.length, `a tick was processed twice: ${JSON.stringify(ticks)}`);
    const ran = ticks.filter((tick) => tick.outcome === "SUCCEEDED");
    assert.equal(runs.length, ran.length, `${runs.length} runs for ${JSON.stringify(ticks)}`);
  }

  it("runs a task on every tick, one run at a time (ticks during a run are skipped), and not once it is disabled", async () => {
    const arrived = gate.arrivals;
    const quick = await createTask(t, QUICK);
    const held = await createTask(t, gate.code);
    // Stays enabled: its ticks show that time went on after the others were disabled.
    const clock = await createTask(t, QUICK);

    await gate.arrived(arrived + 1); // the held task's first run is in progress
    const during = await ticksUntil(held.id, 2); // the run's own tick is still being processed
    assert.equal((await scheduledRuns(t, held.id)).length, 1, "a tick started a run beside the held one");
    assert.equal(gate.arrivals, arrived + 1);
    gate.open();
    await ticksUntil(held.id, during.length + 2);
    await ticksUntil(quick.id, 3);
    await disableAndSettle(quick.id, held.id);
    gate.hold();

    const heldRuns = await scheduledRuns(t, held.id);
    assertSequential(heldRuns);
    assert.ok(heldRuns.length >= 2, `the held task ran again: ${heldRuns.length} runs`);
    assertOneRunPerTick(await tasks.ticks(held.id), heldRuns);
    const quickRuns = await scheduledRuns(t, quick.id);
    assertSequential(quickRuns);
    assertOneRunPerTick(await tasks.ticks(quick.id), quickRuns);
    assert.deepEqual(await tasks.schedulerIds(), [clock.id], "a disabled task kept its schedule");

    // Two more ticks of the clock task: the disabled tasks did not run.
    await ticksUntil(clock.id, (await tasks.ticks(clock.id)).length + 2);
    assert.equal((await scheduledRuns(t, quick.id)).length, quickRuns.length, "a disabled task ran");
    assert.equal((await scheduledRuns(t, held.id)).length, heldRuns.length, "a disabled task ran");
    await deleteTask(t, clock.id);
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
    const arrived = gate.arrivals;
    const quick = await createTask(t, QUICK);
    const held = await createTask(t, gate.code);
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
    assert.deepEqual(await tasks.schedulerIds(), [quick.id, held.id, created.id].sort());
    // Re-registering kept the schedule's phase: the next run is still a whole number of ticks on.
    const nextAfter = (await tasks.queue.getJobScheduler(quick.id))?.next;
    assert.equal(
      (must(nextAfter, "nextAfter") - must(nextBefore, "nextBefore")) % 1000,
      0,
      `next run moved from ${nextBefore} to ${nextAfter}`,
    );

    // Three workers now take the ticks. The held task's run is held until two more of its ticks
    // were processed, on any instance: none started a second run.
    await gate.arrived(arrived + 1);
    const during = await ticksUntil(held.id, 2); // the run's own tick is still being processed
    assert.equal((await scheduledRuns(t, held.id)).length, 1, "another instance ran the held task too");
    gate.open();
    await ticksUntil(quick.id, 3);
    await ticksUntil(held.id, during.length + 2);
    assert.deepEqual(await tasks.schedulerIds(), [quick.id, held.id, created.id].sort());

    await disableAndSettle(quick.id, held.id, created.id);
    gate.hold();
    for (const task of [quick, held]) {
      const runs = await scheduledRuns(t, task.id);
      assertSequential(runs);
      assertOneRunPerTick(await tasks.ticks(task.id), runs);
    }
  });
});
