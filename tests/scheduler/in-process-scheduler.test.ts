import "reflect-metadata";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startApp, type TestApp } from "../support/harness.js";
import {
  checkCadence,
  createTask,
  deleteTask,
  QUICK,
  runRowCount,
  settledRuns,
  sleep,
} from "./scheduler-support.js";

let t: TestApp;
before(async () => {
  // No REDIS_URL: the in-process scheduler, whatever the environment offers.
  t = await startApp({ REDIS_URL: "", FUNCTION_INTERVAL_MS: "1000", FUNCTION_TASK_TIMEOUT_MS: "5000" });
});
after(() => t.close());

describe("in-process task scheduler", () => {
  it("runs a task about once a second, never two runs at once, and not after it is disabled", async () => {
    await checkCadence(t);
  });

  it("drops the schedule of a deleted task", async () => {
    const task = await createTask(t, QUICK);
    await settledRuns(t, task.id);
    await sleep(1_200);
    assert.ok((await settledRuns(t, task.id)).length >= 1, "the task never ran");
    await deleteTask(t, task.id);
    await sleep(2_500);
    assert.equal(await runRowCount(t, task.id), 0, "a deleted task ran");
  });
});
