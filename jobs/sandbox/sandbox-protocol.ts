import type { GuestContext, RunStatus } from "./sandbox-types.js";

/** Messages between the runner (main thread) and a sandbox worker, over the worker's MessagePort. */

export type HostOp = "graphql" | "stateGet" | "stateSet" | "fetch" | "visitFetch";

export type WorkerLimits = { memoryBytes: number; timeoutMs: number; maxLogBytes: number };

/** How a run ended inside the worker; the value travels as JSON text. */
export type Outcome = { status: RunStatus; json?: string; error?: string };

/** The main thread's answer to a host call: JSON text (absent for undefined) or an error message. */
export type CallReply = { ok: true; json?: string } | { ok: false; error: string };

export type ToWorker =
  | { type: "run"; runId: number; code: string; ctx: GuestContext; limits: WorkerLimits }
  | { type: "reply"; runId: number; callId: number; ok: true; json?: string }
  | { type: "reply"; runId: number; callId: number; ok: false; error: string };

export type FromWorker =
  /** The QuickJS module is loaded; heapBytes is its WebAssembly memory before any run. */
  | { type: "ready"; heapBytes: number }
  | { type: "log"; runId: number; text: string }
  | { type: "call"; runId: number; callId: number; op: HostOp; json: string }
  /** recycle: the worker's QuickJS module may be unusable, replace the worker. */
  | { type: "done"; runId: number; outcome: Outcome; heapBytes: number; recycle: boolean };
