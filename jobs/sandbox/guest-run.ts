import {
  type QuickJSContext,
  type QuickJSDeferredPromise,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
  shouldInterruptAfterDeadline,
} from "quickjs-emscripten";
import { isHostStackOverflow } from "@/src/services/functions/code-check.js";
import type { GuestHeap } from "./guest-heap.js";
import { GUEST_PRELUDE } from "./guest-prelude.js";
import type { CallReply, HostOp, Outcome, WorkerLimits } from "./sandbox-protocol.js";
import type { GuestContext } from "./sandbox-types.js";

/** The worker's side of host calls: log lines go out at once, calls answer later. */
export type GuestIo = {
  log(text: string): void;
  call(op: HostOp, json: string): Promise<CallReply>;
};

export type GuestRun = { code: string; ctx: GuestContext; limits: WorkerLimits };

const LOG_TRUNCATED_MARKER = "[logs truncated]\n";

const STACK_BYTES = 256 * 1024;
const HOST_OPS: ReadonlySet<string> = new Set<HostOp>([
  "graphql",
  "stateGet",
  "stateSet",
  "fetch",
  "visitFetch",
]);
// Arguments are copied into the host uncapped: keep that copy far below any memory limit.
const MAX_CALL_CHARS = 8 * 1024 * 1024;
const STACK_LINES = 8;

/** Cuts text to at most maxBytes of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

/** `[level] text` lines up to maxBytes; the line that crosses the limit is cut and marked. */
class LogLimiter {
  private used = 0;
  private full = false;

  constructor(
    private readonly maxBytes: number,
    private readonly emit: (text: string) => void,
  ) {}

  write(level: string, text: string): void {
    if (this.full) return;
    const line = `[${level}] ${text}\n`;
    const bytes = Buffer.byteLength(line, "utf8");
    if (this.used + bytes <= this.maxBytes) {
      this.used += bytes;
      this.emit(line);
      return;
    }
    this.full = true;
    this.emit(`${truncateUtf8(line, this.maxBytes - this.used)}\n${LOG_TRUNCATED_MARKER}`);
  }
}

type Settled = { value: QuickJSHandle } | { outcome: Outcome };

/** One run: a fresh runtime and context, the prelude, the module, and its default export called. */
class GuestSession {
  private readonly runtime: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private readonly deadline: number;
  private readonly handles: QuickJSHandle[] = [];
  private readonly pending = new Map<number, QuickJSDeferredPromise>();
  private readonly inbox: { callId: number; reply: CallReply }[] = [];
  private readonly logs: LogLimiter;
  private wake: (() => void) | undefined;
  private nextCallId = 0;

  constructor(
    quickjs: QuickJSWASMModule,
    private readonly heap: GuestHeap,
    private readonly run: GuestRun,
    private readonly io: GuestIo,
  ) {
    this.deadline = Date.now() + run.limits.timeoutMs;
    this.runtime = quickjs.newRuntime();
    this.runtime.setMaxStackSize(STACK_BYTES);
    this.runtime.setMemoryLimit(run.limits.memoryBytes);
    this.runtime.setInterruptHandler(shouldInterruptAfterDeadline(this.deadline));
    this.vm = this.runtime.newContext();
    this.logs = new LogLimiter(run.limits.maxLogBytes, io.log);
  }

  async execute(): Promise<Outcome> {
    const { vm, heap } = this;
    // Taken before guest code runs, so a guest replacing JSON cannot change how its result is read.
    const stringify = this.keep(vm.getProp(this.keep(vm.getProp(vm.global, "JSON")), "stringify"));
    const makeContext = this.installPrelude();

    const evaluated = heap.asGuest(() => vm.evalCode(this.run.code, "function.js", { type: "module" }));
    if (evaluated.error) return this.failure(evaluated.error);
    const loaded = await this.settle(this.keep(evaluated.value));
    if ("outcome" in loaded) return loaded.outcome;

    const main = this.keep(vm.getProp(loaded.value, "default"));
    if (vm.typeof(main) !== "function") {
      return {
        status: "FAILED",
        error: "the module must have a default export: export default async function (ctx) { ... }",
      };
    }
    const ctxJson = this.keep(heap.asHost(() => vm.newString(JSON.stringify(this.run.ctx))));
    const ctx = this.keep(
      vm.unwrapResult(heap.asGuest(() => vm.callFunction(makeContext, vm.undefined, ctxJson))),
    );
    const called = heap.asGuest(() => vm.callFunction(main, vm.undefined, ctx));
    if (called.error) return this.failure(called.error);
    const returned = await this.settle(this.keep(called.value));
    if ("outcome" in returned) return returned.outcome;

    const serialized = heap.asGuest(() => vm.callFunction(stringify, vm.undefined, returned.value));
    if (serialized.error) return this.failure(serialized.error, "the return value is not JSON: ");
    const json = this.keep(serialized.value);
    if (vm.typeof(json) === "undefined") return { status: "SUCCEEDED" };
    return { status: "SUCCEEDED", json: heap.asHost(() => vm.getString(json)) };
  }

  /** Frees everything of the run; false when QuickJS could not be torn down cleanly. */
  dispose(): boolean {
    try {
      for (const deferred of this.pending.values()) deferred.dispose();
      for (const handle of this.handles.reverse()) if (handle.alive) handle.dispose();
      this.vm.dispose();
      this.runtime.dispose();
      return true;
    } catch {
      return false;
    }
  }

  private keep<T extends QuickJSHandle>(handle: T): T {
    this.handles.push(handle);
    return handle;
  }

  /** Defines the guest API and returns the prelude's `makeContext`. */
  private installPrelude(): QuickJSHandle {
    const { vm, heap } = this;
    const host = this.keep(vm.newObject());
    vm.newFunction("log", (level, text) =>
      heap.asHost(() => this.logs.write(vm.getString(level), vm.getString(text))),
    ).consume((fn) => vm.setProp(host, "log", fn));
    vm.newFunction("call", (op, json) => heap.asHost(() => this.hostCall(vm.getString(op), json))).consume(
      (fn) => vm.setProp(host, "call", fn),
    );
    const prelude = this.keep(
      vm.unwrapResult(heap.asGuest(() => vm.evalCode(GUEST_PRELUDE, "prelude.js", { type: "global" }))),
    );
    const maxLogChars = this.keep(vm.newNumber(this.run.limits.maxLogBytes));
    return this.keep(
      vm.unwrapResult(heap.asGuest(() => vm.callFunction(prelude, vm.undefined, host, maxLogChars))),
    );
  }

  /** `host.call(op, json)`: a guest promise settled when the main thread answers. */
  private hostCall(op: string, json: QuickJSHandle): QuickJSHandle {
    const { vm } = this;
    if (!HOST_OPS.has(op)) throw new TypeError(`unknown host call ${op}`);
    if ((vm.getLength(json) ?? 0) > MAX_CALL_CHARS) {
      throw new RangeError(`the arguments of this call exceed ${MAX_CALL_CHARS} characters`);
    }
    const deferred = vm.newPromise();
    const callId = ++this.nextCallId;
    this.pending.set(callId, deferred);
    void this.io.call(op as HostOp, vm.getString(json)).then((reply) => {
      this.inbox.push({ callId, reply });
      this.wake?.();
    });
    return deferred.handle;
  }

  private deliverReplies(): void {
    const { vm, heap } = this;
    for (const { callId, reply } of this.inbox.splice(0)) {
      const deferred = this.pending.get(callId);
      if (!deferred) continue;
      this.pending.delete(callId);
      heap.asHost(() => {
        if (!reply.ok) vm.newError(reply.error).consume((error) => deferred.reject(error));
        else if (reply.json === undefined) deferred.resolve();
        else vm.newString(reply.json).consume((value) => deferred.resolve(value));
      });
      deferred.dispose();
    }
  }

  /** Pumps jobs and host replies until the promise settles (or the value is not a promise). */
  private async settle(promise: QuickJSHandle): Promise<Settled> {
    const { vm, runtime, heap } = this;
    for (;;) {
      this.deliverReplies();
      const jobs = heap.asGuest(() => runtime.executePendingJobs());
      if (jobs.error) return { outcome: this.failure(jobs.error) };
      const state = vm.getPromiseState(promise);
      if (state.type === "fulfilled") return { value: this.keep(state.value) };
      if (state.type === "rejected") return { outcome: this.failure(state.error) };
      if (runtime.hasPendingJob() || this.inbox.length > 0) continue;
      if (this.pending.size === 0) {
        return {
          outcome: {
            status: "FAILED",
            error: "the function's promise never settled: nothing was left to wait for",
          },
        };
      }
      const remaining = this.deadline - Date.now();
      if (remaining <= 0) return { outcome: this.timedOut() };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.inbox.length === 0 && Date.now() >= this.deadline) return { outcome: this.timedOut() };
    }
  }

  private timedOut(): Outcome {
    return {
      status: "TIMED_OUT",
      error: `the run exceeded its time limit of ${this.run.limits.timeoutMs} ms`,
    };
  }

  /** Classifies a thrown guest value: interrupt means the deadline, out of memory the heap cap. */
  private failure(error: QuickJSHandle, prefix = ""): Outcome {
    const described = this.describe(error);
    error.dispose();
    if (described.name === "InternalError" && described.message === "interrupted") return this.timedOut();
    if (described.message === "out of memory" || this.heap.lastGrowRefused) {
      const mib = Math.round(this.run.limits.memoryBytes / (1024 * 1024));
      return { status: "OUT_OF_MEMORY", error: `the run exceeded its memory limit of ${mib} MiB` };
    }
    const head = described.name ? `${described.name}: ${described.message}` : described.message;
    return { status: "FAILED", error: `${prefix}${head}${described.stack}` };
  }

  private describe(error: QuickJSHandle): { name?: string; message: string; stack: string } {
    let dumped: unknown;
    try {
      dumped = this.heap.asHost(() => this.vm.dump(error));
    } catch {
      return { message: "an error that could not be read", stack: "" };
    }
    if (dumped && typeof dumped === "object" && "message" in dumped) {
      const { name, message, stack } = dumped as { name?: unknown; message?: unknown; stack?: unknown };
      const lines = typeof stack === "string" ? stack.split("\n").filter((line) => line.trim() !== "") : [];
      const shown = lines.slice(0, STACK_LINES);
      if (lines.length > STACK_LINES) shown.push(`    ... ${lines.length - STACK_LINES} more`);
      return {
        name: typeof name === "string" ? name : undefined,
        message: String(message),
        stack: shown.length > 0 ? `\n${shown.join("\n")}` : "",
      };
    }
    return { message: `uncaught ${typeof dumped === "string" ? dumped : JSON.stringify(dumped)}`, stack: "" };
  }
}

/**
 * Runs one function to its end inside this thread's QuickJS module. `healthy` is false when the
 * module may be left in a bad state (a failed teardown or a host-side error) and the worker should go.
 */
export async function runGuest(
  quickjs: QuickJSWASMModule,
  heap: GuestHeap,
  baselineBytes: number,
  run: GuestRun,
  io: GuestIo,
): Promise<{ outcome: Outcome; healthy: boolean }> {
  heap.limitTo(baselineBytes + run.limits.memoryBytes);
  const session = new GuestSession(quickjs, heap, run, io);
  let outcome: Outcome;
  try {
    outcome = await session.execute();
  } catch (error) {
    // Thrown by the host, not the guest. QuickJS's C stack is left mid-call, so teardown is skipped
    // (it would trip QuickJS's leak assertions) and the worker is replaced.
    return { outcome: hostFailure(error), healthy: false };
  }
  return { outcome, healthy: session.dispose() };
}

/** Deeply nested source can exhaust V8's stack inside WebAssembly before QuickJS's own check. */
function hostFailure(error: unknown): Outcome {
  if (isHostStackOverflow(error)) {
    return { status: "FAILED", error: "InternalError: stack overflow (the code is nested too deeply)" };
  }
  return {
    status: "FAILED",
    error: `sandbox error: ${error instanceof Error ? error.message : String(error)}`,
  };
}
