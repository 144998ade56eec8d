import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it, type TestContext } from "node:test";
import { InProcessScheduler } from "@/jobs/scheduler/in-process-scheduler.js";
import { startApp, type TestApp } from "../support/harness.js";
import {
  createTask,
  deleteTask,
  type Gate,
  QUICK,
  type Run,
  runRowCount,
  scheduledRuns,
  setEnabled,
  startGate,
} from "./scheduler-support.js";

const INTERVAL_MS = 1_000;

let t: TestApp;
let gate: Gate;
before(async () => {
  gate = await startGate();
  // No REDIS_URL: the in-process scheduler, whatever the environment offers.
  t = await startApp({
    REDIS_URL: "",
    FUNCTION_INTERVAL_MS: String(INTERVAL_MS),
    FUNCTION_TASK_TIMEOUT_MS: "5000",
    FUNCTION_FETCH_ALLOW: gate.allow,
  });
});
after(async () => {
  await t.close();
  await gate.stop();
});

/**
 * Takes over the scheduler's timers and the clock its runs are stamped with (node:test mock
 * timers): nothing is scheduled until the test ticks, and a run's times are those of its tick.
 * Timers set before (the app's own) and setTimeout (I/O, waitFor) stay real.
 */
function driveTime(ctx: TestContext) {
  const scheduler = t.app.scheduler;
  assert.ok(scheduler instanceof InProcessScheduler);
  const start = Date.now();
  ctx.mock.timers.enable({ apis: ["setInterval", "Date"], now: start });
  return {
    /** One interval on; its ticks start their runs. */
    tick: () => ctx.mock.timers.tick(INTERVAL_MS),
    /** One interval on, then until the runs its ticks started have ended. */
    async tickAndSettle() {
      ctx.mock.timers.tick(INTERVAL_MS);
      await scheduler.idle();
    },
    /** Until the runs in progress have ended. */
    idle: () => scheduler.idle(),
    /** Start and end of each run, in ms since the clock was taken over. */
    times: (runs: Run[]) =>
      runs.map((run) => [run.startedAt - start, run.finishedAt && run.finishedAt - start]),
  };
}

describe("in-process task scheduler", () => {
  it("runs an enabled task once per interval, from one interval after it is created", async (ctx) => {
    const time = driveTime(ctx);
    const task = await createTask(t, QUICK);
    for (let tick = 1; tick <= 3; tick++) await time.tickAndSettle();
    const runs = await scheduledRuns(t, task.id);
    assert.deepEqual(time.times(runs), [
      [1_000, 1_000],
      [2_000, 2_000],
      [3_000, 3_000],
    ]);
    assert.deepEqual(
      runs.map((run) => run.status),
      ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"],
    );
    await deleteTask(t, task.id);
  });

  it("skips the ticks that find the previous run still going: runs never overlap or pile up", async (ctx) => {
    const time = driveTime(ctx);
    const task = await createTask(t, gate.code);
    const arrived = gate.arrivals;
    time.tick();
    await gate.arrived(arrived + 1); // the first run is in progress, held at the gate
    time.tick();
    time.tick();
    gate.release();
    await time.idle();
    time.tick();
    await gate.arrived(arrived + 2);
    gate.release();
    await time.idle();
    const runs = await scheduledRuns(t, task.id);
    // The first run went on through two ticks (skipped, not queued for later); the next started on
    // the tick after it ended.
    assert.deepEqual(time.times(runs), [
      [1_000, 3_000],
      [4_000, 4_000],
    ]);
    assert.equal(gate.arrivals, arrived + 2, "runs reached the gate");
    await deleteTask(t, task.id);
  });

  it("stops running a task while it is disabled, and runs it again once enabled", async (ctx) => {
    const time = driveTime(ctx);
    const task = await createTask(t, QUICK);
    // Another task on the same clock: its runs show that the ticks happened.
    const other = await createTask(t, QUICK);
    await time.tickAndSettle();
    await setEnabled(t, task.id, false);
    await time.tickAndSettle();
    await time.tickAndSettle();
    await setEnabled(t, task.id, true);
    await time.tickAndSettle();
    assert.deepEqual(time.times(await scheduledRuns(t, task.id)), [
      [1_000, 1_000],
      [4_000, 4_000],
    ]);
    assert.equal((await scheduledRuns(t, other.id)).length, 4);
    await deleteTask(t, task.id);
    await deleteTask(t, other.id);
  });

  it("drops the schedule of a deleted task", async (ctx) => {
    const time = driveTime(ctx);
    const task = await createTask(t, QUICK);
    const other = await createTask(t, QUICK);
    await time.tickAndSettle();
    assert.equal((await scheduledRuns(t, task.id)).length, 1);
    await deleteTask(t, task.id);
    await time.tickAndSettle();
    await time.tickAndSettle();
    assert.equal(await runRowCount(t, task.id), 0, "a deleted task ran");
    assert.equal((await scheduledRuns(t, other.id)).length, 3);
    await deleteTask(t, other.id);
  });
});
