import type { JsonValue } from "@/src/services/functions/function-types.js";
import type { FetchRequest, FetchResponse } from "./safe-fetch.js";

/** A `visit.fetch(path, init)` call: one of this server's REST routes, by path. */
export type VisitFetchRequest = {
  /** `/json/...`, `/xml/...` or `/create/v2/...`, with its query string. */
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
};

/** Per-run limits; callers take the defaults from configuration (see sandbox-config.ts). */
export type RunLimits = {
  memoryBytes: number;
  timeoutMs: number;
  maxFetches: number;
  maxLogBytes: number;
  /** JSON size of one function's whole state (all names together). */
  maxStateBytes: number;
};

/** The HTTP request behind an endpoint run, as the function sees it in `ctx.request`. */
export type GuestRequest = {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string;
};

/** The data part of `ctx`; the sandbox adds `ctx.request.json()`. */
export type GuestContext = {
  /** ISO timestamp of the function's last successful run, or null. */
  lastSuccessAt: string | null;
  request?: GuestRequest;
  /** The `input` of a MANUAL run (runFunction), when given. */
  input?: JsonValue;
};

export type RunInput = {
  /** An ES module whose default export is `async function (ctx)`. */
  code: string;
  ctx: GuestContext;
  limits: RunLimits;
};

/**
 * The host side of the sandbox API, called in the caller's thread. A thrown error rejects the guest's
 * promise with the error's message, so messages should be fit for the function's author.
 */
export type RunHooks = {
  /** `visit.graphql(query, variables)`, run as the function's API key. */
  graphql(query: string, variables: Record<string, unknown>): Promise<unknown>;
  /** `state.get(name)`: the stored JSON value, or undefined/null when there is none. */
  stateGet(name: string): Promise<unknown>;
  /**
   * `state.set(name, value)`. The runner has already refused a single entry over the limit; the
   * store checks the total (see `setStateEntry` in src/services/functions/state-size.ts) as only it can do so atomically.
   */
  stateSet(name: string, value: JsonValue): Promise<void>;
  /** Replaces the runner's SSRF-guarded fetch (its allow-list, time and size caps). */
  fetch?(request: FetchRequest, signal: AbortSignal): Promise<FetchResponse>;
  /** `visit.fetch(path, init)`: this server's REST routes in-process, as the function's API key. */
  visitFetch?(request: VisitFetchRequest): Promise<FetchResponse>;
};

export type RunStatus = "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "OUT_OF_MEMORY";

/** Every run ends in a result, never in a thrown error. */
export type RunResult = {
  status: RunStatus;
  /** The default export's resolved value (JSON), when SUCCEEDED and not undefined. */
  value?: JsonValue;
  /** What went wrong, for the function's author, when not SUCCEEDED. */
  error?: string;
  /** console output, one `[level] text` line per call, cut at maxLogBytes with a marker. */
  logs: string;
  fetchCount: number;
  durationMs: number;
  startedAt: Date;
  finishedAt: Date;
};
