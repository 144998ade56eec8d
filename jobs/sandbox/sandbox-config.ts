import type { Env } from "@/src/config/env.js";
import { outboundAllowList } from "@/src/net/outbound-address.js";
import { STATE_LIMIT_BYTES } from "@/src/services/functions/state-size.js";
import { DEFAULT_FETCH_POLICY } from "./safe-fetch.js";
import type { SandboxRunnerOptions } from "./sandbox-runner.js";
import type { RunLimits } from "./sandbox-types.js";

export type FunctionKind = "endpoint" | "task";

type FunctionEnv = Pick<
  Env,
  | "FUNCTION_MEMORY_MB"
  | "FUNCTION_ENDPOINT_TIMEOUT_MS"
  | "FUNCTION_TASK_TIMEOUT_MS"
  | "FUNCTION_MAX_FETCHES"
  | "FUNCTION_MAX_LOG_BYTES"
  | "FUNCTION_WORKERS"
  | "FUNCTION_FETCH_ALLOW"
  | "OUTBOUND_ALLOW"
>;

/** The operator's limits for one run of an endpoint or a background task. */
export function runLimitsFromEnv(env: FunctionEnv, kind: FunctionKind): RunLimits {
  return {
    memoryBytes: env.FUNCTION_MEMORY_MB * 1024 * 1024,
    timeoutMs: kind === "endpoint" ? env.FUNCTION_ENDPOINT_TIMEOUT_MS : env.FUNCTION_TASK_TIMEOUT_MS,
    maxFetches: env.FUNCTION_MAX_FETCHES,
    maxLogBytes: env.FUNCTION_MAX_LOG_BYTES,
    maxStateBytes: STATE_LIMIT_BYTES,
  };
}

export function runnerOptionsFromEnv(env: FunctionEnv): SandboxRunnerOptions {
  return {
    workers: env.FUNCTION_WORKERS,
    fetchPolicy: { ...DEFAULT_FETCH_POLICY, allow: outboundAllowList(env) },
  };
}
