import autocannon from "autocannon";
import type { Scenario } from "../scenarios.js";
import type { Measurement } from "./round-summary.js";

/** Runs one scenario with autocannon from this process (the servers are separate processes). */
export async function measureLoad(
  baseUrl: string,
  scenario: Scenario,
  options: { connections: number; seconds: number },
): Promise<Measurement> {
  let failed = 0;
  const errorStatuses: Record<string, number> = {};
  let firstError: string | undefined;
  const result = await autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    requests: [
      {
        setupRequest: (request) => ({ ...request, ...scenario.next() }),
        onResponse: (status, body) => {
          if (scenario.ok(status, body)) return;
          failed++;
          errorStatuses[status] = (errorStatuses[status] ?? 0) + 1;
          firstError ??= `${status} ${body.slice(0, 300)}`;
        },
      },
    ],
  });
  if (result.errors > 0) {
    errorStatuses["0"] = (errorStatuses["0"] ?? 0) + result.errors;
    firstError ??= `${result.errors} connection errors or timeouts`;
  }
  const responses = result.requests.total;
  return {
    perSecond: (responses - failed) / result.duration,
    responses,
    errors: failed + result.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errorStatuses,
    ...(firstError && { firstError }),
  };
}
