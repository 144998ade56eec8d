import type { SandboxRunner } from "@/jobs/sandbox/sandbox-runner.js";
import type { GuestContext, RunHooks, RunLimits, RunResult } from "@/jobs/sandbox/sandbox-types.js";
import type { JsonValue } from "@/src/services/functions/function-types.js";
import { setStateEntry } from "@/src/services/functions/state-size.js";

/** Small limits keep the suite fast; tests override what they exercise. */
export const TEST_LIMITS: RunLimits = {
  memoryBytes: 64 * 1024 * 1024,
  timeoutMs: 1_000,
  maxFetches: 5,
  maxLogBytes: 1_024,
  maxStateBytes: 64 * 1024,
};

/** A module whose default export runs `body` with `ctx` in scope. */
export const fn = (body: string) => `export default async function (ctx) {\n${body}\n}`;

/** Hooks for a function with no GraphQL behind it and its state in memory, checked like a real store. */
export type MemoryHooks = RunHooks & { state: Record<string, JsonValue> };

export function memoryHooks(overrides: Partial<RunHooks> = {}): MemoryHooks {
  const hooks: MemoryHooks = {
    state: {},
    graphql: async () => {
      throw new Error("no GraphQL in this test");
    },
    stateGet: async (name) => hooks.state[name],
    stateSet: async (name, value) => {
      hooks.state = setStateEntry(hooks.state, name, value, TEST_LIMITS.maxStateBytes);
    },
    ...overrides,
  };
  return hooks;
}

export function runIn(
  runner: SandboxRunner,
  code: string,
  options: { limits?: Partial<RunLimits>; hooks?: RunHooks; ctx?: GuestContext } = {},
): Promise<RunResult> {
  return runner.run(
    {
      code,
      ctx: options.ctx ?? { lastSuccessAt: null },
      limits: { ...TEST_LIMITS, ...options.limits },
    },
    options.hooks ?? memoryHooks(),
  );
}
