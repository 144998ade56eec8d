import { parentPort } from "node:worker_threads";
import { loadCappedQuickJS } from "./guest-heap.js";
import { runGuest } from "./guest-run.js";
import type { CallReply, FromWorker, ToWorker } from "./sandbox-protocol.js";

/**
 * Sandbox worker thread: loads QuickJS once, then runs one function at a time as the runner asks.
 * Host calls go to the runner as messages and come back as replies with the same call id.
 */

if (!parentPort) throw new Error("sandbox-worker.ts runs as a worker thread of the sandbox runner");
const port = parentPort;
const post = (message: FromWorker) => port.postMessage(message);

const { quickjs, heap } = await loadCappedQuickJS();
const baselineBytes = heap.bytes;
const waiting = new Map<number, (reply: CallReply) => void>();
let nextCallId = 0;

port.on("message", (message: ToWorker) => {
  if (message.type === "reply") {
    const resolve = waiting.get(message.callId);
    waiting.delete(message.callId);
    resolve?.(message.ok ? { ok: true, json: message.json } : { ok: false, error: message.error });
    return;
  }
  const { runId, code, ctx, limits } = message;
  void runGuest(
    quickjs,
    heap,
    baselineBytes,
    { code, ctx, limits },
    {
      log: (text) => post({ type: "log", runId, text }),
      call: (op, json) =>
        new Promise<CallReply>((resolve) => {
          const callId = ++nextCallId;
          waiting.set(callId, resolve);
          post({ type: "call", runId, callId, op, json });
        }),
    },
  ).then(({ outcome, healthy }) => {
    // Calls the run left unanswered are dropped with it.
    waiting.clear();
    post({ type: "done", runId, outcome, heapBytes: heap.bytes, recycle: !healthy });
  });
});

post({ type: "ready", heapBytes: baselineBytes });
