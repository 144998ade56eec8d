import type { Logger } from "pino";
import type { FunctionRow } from "@/schema/tables/index.js";
import type { ApiKeyVerifier } from "@/src/auth/api-key-verifier.js";
import type { Env } from "@/src/config/env.js";
import { operationStatus } from "@/src/errors/error-render.js";
import type { GraphQLExecutor } from "@/src/graphql/executor.js";
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
import { runLimitsFromEnv } from "./sandbox/sandbox-config.js";
import type { SandboxRunner } from "./sandbox/sandbox-runner.js";
import type { GuestRequest, RunHooks } from "./sandbox/sandbox-types.js";

export type FunctionRunnerDeps = {
  env: Env;
  logger: Logger;
  sandbox: SandboxRunner;
  runs: FunctionRunService;
  state: FunctionStateService;
  verifier: ApiKeyVerifier;
  graphql: GraphQLExecutor;
  rateLimiter: RateLimiter;
  usage: UsageRecorder;
};

export type FunctionOutcome = { run: FunctionRun; value?: JsonValue };

/**
 * Runs a function end to end: records the run, gives the sandbox its host API (GraphQL as the
 * function's API key, with that key's scope, limits and statistics; per-function state), and
 * records the result. A failing function is a result, never an exception.
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
    const { state, verifier, graphql, rateLimiter, usage } = this.deps;
    return {
      async graphql(query, variables) {
        const actor = await verifier.actorForKey(fn.apiKeyId);
        // An endpoint run is inside an HTTP request that already holds one of the key's concurrency
        // slots: its calls count against the per-minute limit only, or a key limited to one call at
        // a time could never use visit.graphql from its endpoint.
        const release =
          actor.kind === "apiKey"
            ? await rateLimiter.acquire(
                actor.apiKeyId,
                trigger === "ENDPOINT"
                  ? { ...actor.limits, concurrency: Number.MAX_SAFE_INTEGER }
                  : actor.limits,
              )
            : () => {};
        try {
          const outcome = await graphql({ query, variables }, actor, `function-run:${runId}`);
          // Counted with the status the same operation would have had over POST /graphql.
          usage.record(actor, "FUNCTION", operationStatus(outcome));
          return outcome;
        } finally {
          release();
        }
      },
      stateGet: (name) => state.get(fn.id, name),
      stateSet: (name, value) => state.set(fn.id, name, value),
    };
  }
}
