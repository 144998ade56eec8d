import { performance } from "node:perf_hooks";
import {
  BATCH_SIZE,
  type BulkMeasurement,
  batchInputs,
  bulkMeasurement,
  importBatch,
} from "./bulk-batches.js";
import type { ChildMessage, StartMessage } from "./bulk-import-loop.js";
import { must } from "./must.js";

/**
 * The process bulk-import-loop.ts forks: on its start message, createVisitors x1000 one batch after
 * another until "stop", then it reports its rows per second and exits.
 */
async function runLoop(start: StartMessage, stopped: () => boolean): Promise<BulkMeasurement> {
  const times: number[] = [];
  let serial = start.firstSerial;
  while (!stopped()) {
    const inputs = batchInputs(serial, start.target.typeIds);
    serial += inputs.length;
    const started = performance.now();
    await importBatch(start.appUrl, start.token, start.target.eventId, inputs);
    times.push(performance.now() - started);
    send({ type: "batch" });
  }
  return bulkMeasurement(times.length * BATCH_SIZE, times);
}

const send = (message: ChildMessage) => must(process.send, "process.send")(message);

let stop = false;
process.on("message", (message: StartMessage | "stop") => {
  if (message === "stop") {
    stop = true;
    return;
  }
  runLoop(message, () => stop)
    .then((measurement) => send({ type: "done", measurement }))
    .catch((error: unknown) => send({ type: "failed", error: String(error) }))
    .finally(() => process.disconnect());
});
