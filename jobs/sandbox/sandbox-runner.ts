import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { z } from "zod";
import type { JsonValue } from "@/src/services/functions/function-types.js";
import { checkStateEntry } from "@/src/services/functions/state-size.js";
import { type FetchPolicy, type FetchResponse, safeFetch } from "./safe-fetch.js";
import type { CallReply, FromWorker, HostOp, Outcome, ToWorker } from "./sandbox-protocol.js";
import type { RunHooks, RunInput, RunResult } from "./sandbox-types.js";

export type SandboxRunnerOptions = {
  /** Worker threads, each running one function at a time (FUNCTION_WORKERS). */
  workers: number;
  /** The default fetch's policy: allow-list, per-request time and response size caps. */
  fetchPolicy: FetchPolicy;
  /** Time past a run's limit before its worker is terminated, for work the interrupt cannot stop. */
  graceMs?: number;
};

const DEFAULT_GRACE_MS = 1_000;
const MAX_START_FAILURES = 3;

// The worker has the same extension as this file: .ts under tsx, .js once built.
const WORKER_URL = new URL(`./sandbox-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Worker code, evaluated. Node 20 does not apply `--import tsx` to a worker's own entry module, so
 * TypeScript workers register tsx's loader first and then import their entry. Workers get no
 * inherited execArgv: an inherited `--import tsx` would load a second copy of the loader.
 */
const BOOTSTRAP = WORKER_URL.pathname.endsWith(".ts")
  ? `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
      .then((tsx) => tsx.register())
      .then(() => import(${JSON.stringify(WORKER_URL.href)}));`
  : `import(${JSON.stringify(WORKER_URL.href)});`;

type Job = { input: RunInput; hooks: RunHooks; resolve: (result: RunResult) => void };

type ActiveRun = Job & {
  runId: number;
  startedAt: Date;
  started: number;
  deadline: number;
  logs: string[];
  fetchCount: number;
  /** Aborts the run's outbound requests once it has ended. */
  abort: AbortController;
  timer: NodeJS.Timeout;
};

type Slot = {
  worker: Worker;
  ready: boolean;
  baselineBytes: number;
  heapBytes: number;
  run?: ActiveRun;
};

const graphqlArgs = z.object({ query: z.string(), variables: z.record(z.string(), z.unknown()) });
const nameArgs = z.object({ name: z.string().min(1) });
const stateSetArgs = z.object({ name: z.string().min(1), value: z.unknown() });
const fetchArgs = z.object({
  url: z.string(),
  method: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().optional(),
});

const visitFetchArgs = fetchArgs.omit({ url: true }).extend({ path: z.string() });

const parseArgs = <T>(op: HostOp, schema: z.ZodType<T>, args: unknown): T => {
  const parsed = schema.safeParse(args);
  if (!parsed.success) throw new TypeError(`${op}: invalid arguments`);
  return parsed.data;
};

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Runs functions in a pool of worker threads, so guest code never runs on the caller's event loop.
 * Host calls (GraphQL, state, fetch) come back to this thread and run through the caller's hooks.
 * A worker that overruns its limit by the grace time, crashes, or reports a damaged QuickJS module
 * is terminated and replaced.
 */
export class SandboxRunner {
  private readonly slots = new Set<Slot>();
  private readonly queue: Job[] = [];
  private readonly graceMs: number;
  private nextRunId = 0;
  private startFailures = 0;
  private closed = false;

  constructor(private readonly options: SandboxRunnerOptions) {
    this.graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.fillPool();
  }

  /** Runs a function to its end; the result says how it ended, the promise never rejects. */
  run(input: RunInput, hooks: RunHooks): Promise<RunResult> {
    if (this.closed) return Promise.resolve(notStarted("the sandbox runner is closed"));
    return new Promise<RunResult>((resolve) => {
      this.queue.push({ input, hooks, resolve });
      if (this.slots.size === 0) this.startFailures = 0;
      this.fillPool();
      this.dispatch();
    });
  }

  /** Ends queued and running runs as FAILED and terminates the workers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.resolve(notStarted("the sandbox runner was closed"));
    const slots = [...this.slots];
    this.slots.clear();
    for (const slot of slots) {
      if (slot.run) this.finish(slot, { status: "FAILED", error: "the sandbox runner was closed" });
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private fillPool(): void {
    while (
      !this.closed &&
      this.slots.size < this.options.workers &&
      this.startFailures < MAX_START_FAILURES
    ) {
      this.spawn();
    }
  }

  private spawn(): void {
    const worker = new Worker(BOOTSTRAP, { eval: true, execArgv: [] });
    const slot: Slot = { worker, ready: false, baselineBytes: 0, heapBytes: 0 };
    this.slots.add(slot);
    worker.unref();
    worker.on("message", (message: FromWorker) => this.onMessage(slot, message));
    worker.on("error", (error) => this.onExit(slot, error));
    worker.on("exit", (code) => this.onExit(slot, new Error(`the sandbox worker exited with code ${code}`)));
  }

  private onMessage(slot: Slot, message: FromWorker): void {
    if (message.type === "ready") {
      slot.ready = true;
      slot.baselineBytes = message.heapBytes;
      slot.heapBytes = message.heapBytes;
      this.startFailures = 0;
      this.dispatch();
      return;
    }
    const run = slot.run;
    if (!run || run.runId !== message.runId) return;
    if (message.type === "log") {
      run.logs.push(message.text);
    } else if (message.type === "call") {
      void this.answer(slot, run, message.op, message.callId, message.json);
    } else {
      slot.heapBytes = message.heapBytes;
      this.finish(slot, message.outcome);
      if (message.recycle) this.retire(slot);
      this.dispatch();
    }
  }

  private onExit(slot: Slot, error: Error & { code?: string }): void {
    if (!this.slots.delete(slot)) return;
    if (!slot.ready) this.startFailures++;
    if (slot.run) {
      this.finish(
        slot,
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? { status: "OUT_OF_MEMORY", error: "the sandbox worker ran out of memory" }
          : { status: "FAILED", error: `the sandbox worker stopped: ${error.message}` },
      );
    }
    this.fillPool();
    if (this.slots.size === 0 && this.startFailures >= MAX_START_FAILURES) {
      for (const job of this.queue.splice(0)) {
        job.resolve(notStarted(`the sandbox workers failed to start: ${error.message}`));
      }
    }
    this.dispatch();
  }

  /** Terminates a worker and starts another in its place. */
  private retire(slot: Slot): void {
    this.slots.delete(slot);
    void slot.worker.terminate();
    this.fillPool();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      const job = this.queue[0];
      if (!job) return;
      if (!slot.ready || slot.run) continue;
      // Memory a QuickJS module has grown to stays usable by later runs: a worker grown past this
      // run's limit (by a run with a larger limit, or by host-side copies after running out of
      // memory) is replaced rather than given the run.
      if (slot.heapBytes - slot.baselineBytes > job.input.limits.memoryBytes) {
        this.retire(slot);
        continue;
      }
      this.queue.shift();
      this.start(slot, job);
    }
  }

  private start(slot: Slot, job: Job): void {
    const { code, ctx, limits } = job.input;
    const started = performance.now();
    const run: ActiveRun = {
      ...job,
      runId: ++this.nextRunId,
      startedAt: new Date(),
      started,
      deadline: Date.now() + limits.timeoutMs,
      logs: [],
      fetchCount: 0,
      abort: new AbortController(),
      timer: setTimeout(() => {
        this.finish(slot, {
          status: "TIMED_OUT",
          error: `the run exceeded its time limit of ${limits.timeoutMs} ms and was stopped`,
        });
        this.retire(slot);
        this.dispatch();
      }, limits.timeoutMs + this.graceMs),
    };
    slot.run = run;
    slot.worker.ref();
    const message: ToWorker = {
      type: "run",
      runId: run.runId,
      code,
      ctx,
      limits: {
        memoryBytes: limits.memoryBytes,
        timeoutMs: limits.timeoutMs,
        maxLogBytes: limits.maxLogBytes,
      },
    };
    slot.worker.postMessage(message);
  }

  private finish(slot: Slot, outcome: Outcome): void {
    const run = slot.run;
    if (!run) return;
    slot.run = undefined;
    slot.worker.unref();
    clearTimeout(run.timer);
    run.abort.abort();
    const finishedAt = new Date();
    run.resolve({
      status: outcome.status,
      ...(outcome.json !== undefined && { value: JSON.parse(outcome.json) as JsonValue }),
      ...(outcome.error !== undefined && { error: outcome.error }),
      logs: run.logs.join(""),
      fetchCount: run.fetchCount,
      durationMs: Math.round(performance.now() - run.started),
      startedAt: run.startedAt,
      finishedAt,
    });
  }

  private async answer(slot: Slot, run: ActiveRun, op: HostOp, callId: number, json: string): Promise<void> {
    let reply: CallReply;
    try {
      const value = await this.perform(run, op, JSON.parse(json));
      reply = { ok: true, json: value === undefined ? undefined : JSON.stringify(value) };
    } catch (error) {
      reply = { ok: false, error: messageOf(error) };
    }
    // A run that has ended (or a worker that is gone) gets no answer.
    if (slot.run !== run) return;
    const message: ToWorker = { type: "reply", runId: run.runId, callId, ...reply };
    slot.worker.postMessage(message);
  }

  private async perform(run: ActiveRun, op: HostOp, args: unknown): Promise<unknown> {
    const { hooks, input } = run;
    switch (op) {
      case "graphql": {
        const { query, variables } = parseArgs(op, graphqlArgs, args);
        return hooks.graphql(query, variables);
      }
      case "stateGet":
        return (await hooks.stateGet(parseArgs(op, nameArgs, args).name)) ?? null;
      case "stateSet": {
        const { name, value } = parseArgs(op, stateSetArgs, args);
        // The value was parsed from JSON text, so it is JSON.
        const json = value as JsonValue;
        checkStateEntry(name, json, input.limits.maxStateBytes);
        await hooks.stateSet(name, json);
        return undefined;
      }
      case "fetch": {
        const request = parseArgs(op, fetchArgs, args);
        if (run.fetchCount >= input.limits.maxFetches) {
          throw new Error(
            `fetch refused: the limit of ${input.limits.maxFetches} outbound requests per run is reached`,
          );
        }
        run.fetchCount++;
        return this.fetch(run, request);
      }
      case "visitFetch": {
        // In-process, not outbound: the API key's own limits apply, not the run's fetch count.
        const request = parseArgs(op, visitFetchArgs, args);
        if (!hooks.visitFetch) throw new Error("visit.fetch is not available in this run");
        return hooks.visitFetch(request);
      }
    }
  }

  private fetch(run: ActiveRun, request: z.infer<typeof fetchArgs>): Promise<FetchResponse> {
    if (run.hooks.fetch) return run.hooks.fetch(request, run.abort.signal);
    const policy = this.options.fetchPolicy;
    const remaining = Math.max(1, run.deadline - Date.now());
    return safeFetch(
      request,
      { ...policy, timeoutMs: Math.min(policy.timeoutMs, remaining) },
      run.abort.signal,
    );
  }
}

function notStarted(error: string): RunResult {
  const now = new Date();
  return { status: "FAILED", error, logs: "", fetchCount: 0, durationMs: 0, startedAt: now, finishedAt: now };
}
