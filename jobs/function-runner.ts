import { STATUS_CODES } from "node:http";
import type { Logger } from "pino";
import type { FunctionRow } from "@/schema/tables/index.js";
import type { Actor } from "@/src/auth/actor.js";
import type { ApiKeyVerifier } from "@/src/auth/api-key-verifier.js";
import type { Env } from "@/src/config/env.js";
import { operationStatus } from "@/src/errors/error-render.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
import type { RestPort } from "@/src/http/rest-port.js";
import type { FunctionRunService } from "@/src/services/functions/function-run.service.js";
import type { FunctionStateService } from "@/src/services/functions/function-state.service.js";
import type {
  FunctionInvoker,
  FunctionRun,
  FunctionTrigger,
  JsonValue,
} from "@/src/services/functions/function-types.js";
import type { RateLimiter } from "@/src/services/rate-limiter.js";
import type { UsageRecorder } from "@/src/services/usage-recorder.js";
import type { FetchResponse } from "./sandbox/safe-fetch.js";
import { runLimitsFromEnv } from "./sandbox/sandbox-config.js";
import type { SandboxRunner } from "./sandbox/sandbox-runner.js";
import type { GuestRequest, RunHooks, VisitFetchRequest } from "./sandbox/sandbox-types.js";

export type FunctionRunnerDeps = {
  env: Env;
  logger: Logger;
  sandbox: SandboxRunner;
  runs: FunctionRunService;
  state: FunctionStateService;
  verifier: ApiKeyVerifier;
  graphql: GraphQLExecutor;
  /** This server's REST routes, for visit.fetch; without it visit.fetch is refused. */
  rest?: RestPort;
  rateLimiter: RateLimiter;
  usage: UsageRecorder;
};

export type FunctionOutcome = { run: FunctionRun; value?: JsonValue };

const REST_ROUTES = "/json/..., /xml/... or /create/v2/...";

// Framing is the host's to set; credentials are the function's key, never the guest's headers.
const DROPPED_HEADERS = ["authorization", "cookie", "content-length", "transfer-encoding", "host"];

/**
 * The path of a visit.fetch call, checked to be one of this server's: a URL (or `//host/...`)
 * is refused, so visit.fetch never leaves the process.
 */
function serverPath(path: string): string {
  if (!path.startsWith("/") || path.startsWith("//")) {
    throw new TypeError(
      `visit.fetch takes a path of this server (${REST_ROUTES}), not ${JSON.stringify(path.slice(0, 100))}; use fetch for other URLs`,
    );
  }
  return path;
}

/**
 * Runs a function end to end: records the run, gives the sandbox its host API (GraphQL and the
 * REST routes as the function's API key, with that key's scope, limits and statistics;
 * per-function state), and records the result. A failing function is a result, never an exception.
 */
export class FunctionRunner implements FunctionInvoker {
  constructor(private readonly deps: FunctionRunnerDeps) {}

  async run(
    fn: FunctionRow,
    trigger: FunctionTrigger,
    input?: unknown,
    request?: GuestRequest,
  ): Promise<FunctionOutcome> {
    const { runs, sandbox, env } = this.deps;
    const run = await runs.start(fn, trigger);
    const result = await sandbox.run(
      {
        code: fn.code,
        ctx: {
          lastSuccessAt: fn.lastSuccessAt?.toISOString() ?? null,
          ...(request && { request }),
          ...(input !== undefined && { input: input as JsonValue }),
        },
        limits: runLimitsFromEnv(env, fn.type === "ENDPOINT" ? "endpoint" : "task"),
      },
      this.hooks(fn, run.id, trigger),
    );
    const finished = await runs.finish(run, {
      status: result.status,
      logs: result.logs,
      error: result.error ?? null,
      finishedAt: result.finishedAt,
      durationMs: result.durationMs,
    });
    this.deps.logger.info(
      { functionId: fn.id, runId: run.id, trigger, status: result.status, durationMs: result.durationMs },
      "function run finished",
    );
    return { run: finished, value: result.value };
  }

  private hooks(fn: FunctionRow, runId: string, trigger: FunctionTrigger): RunHooks {
    const { state, verifier, graphql, rateLimiter, usage, rest, logger } = this.deps;
    const requestId = `function-run:${runId}`;
    // An endpoint run is inside an HTTP request that already holds one of the key's concurrency
    // slots: its calls count against the per-minute limit only, or a key limited to one call at
    // a time could never use visit.graphql or visit.fetch from its endpoint.
    const acquire = (actor: Actor) =>
      actor.kind === "apiKey"
        ? rateLimiter.acquire(
            actor.apiKeyId,
            trigger === "ENDPOINT" ? { ...actor.limits, concurrency: Number.MAX_SAFE_INTEGER } : actor.limits,
          )
        : Promise.resolve(() => {});
    return {
      async graphql(query, variables) {
        const actor = await verifier.actorForKey(fn.apiKeyId);
        const release = await acquire(actor);
        try {
          const outcome = await graphql({ query, variables }, actor, requestId);
          // Counted with the status the same operation would have had over POST /graphql.
          usage.record(actor, "FUNCTION", operationStatus(outcome));
          return outcome;
        } finally {
          release();
        }
      },
      async visitFetch(request: VisitFetchRequest): Promise<FetchResponse> {
        if (!rest) throw new Error("visit.fetch is not available on this server");
        const url = serverPath(request.path);
        const headers: Record<string, string> = { ...request.headers };
        for (const name of DROPPED_HEADERS) delete headers[name];
        if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
        let actor: Actor | undefined;
        let release = () => {};
        try {
          const answered = await rest.dispatch(
            { method: request.method, url, headers, body: async () => request.body ?? "" },
            {
              requestId,
              log: logger,
              async authenticate() {
                actor = await verifier.actorForKey(fn.apiKeyId);
                release = await acquire(actor);
                return actor;
              },
            },
          );
          if (!answered) {
            throw new TypeError(
              `visit.fetch refused ${url.split("?")[0]}: it reaches this server's REST routes only (${REST_ROUTES})`,
            );
          }
          const { callType, response } = answered;
          if (actor) usage.record(actor, callType, response.status);
          return {
            url,
            status: response.status,
            statusText: STATUS_CODES[response.status] ?? "",
            redirected: false,
            headers: response.headers,
            body: response.body,
          };
        } finally {
          release();
        }
      },
      stateGet: (name) => state.get(fn.id, name),
      stateSet: (name, value) => state.set(fn.id, name, value),
    };
  }
}
