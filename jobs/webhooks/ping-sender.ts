import http from "node:http";
import https from "node:https";
import ipaddr from "ipaddr.js";
import {
  bareHost,
  DEFAULT_PORTS,
  OutboundAddressError,
  type OutboundPolicy,
  type OutboundTarget,
  pinnedLookup,
  resolveOutboundTarget,
} from "@/src/net/outbound-address.js";
import type { PingAttempt, PingOutcome } from "@/src/services/webhooks/webhook-deliveries.js";
import { signPing } from "@/src/services/webhooks/webhook-secret.js";

export type SendOptions = { outbound: OutboundPolicy; timeoutMs: number };
export type PingSender = (attempt: PingAttempt, signal?: AbortSignal) => Promise<PingOutcome>;

const USER_AGENT = "Visit-API-Webhooks/1";

/** The ping's URL: the receiver's own URL with the ping's parameters added to its query string. */
export function pingUrl(attempt: Pick<PingAttempt, "url" | "params">): URL {
  const url = new URL(attempt.url);
  for (const [name, value] of Object.entries(attempt.params)) url.searchParams.append(name, value);
  return url;
}

/** The Standard Webhooks headers of one attempt; the id stays the same across a ping's retries. */
export function pingHeaders(attempt: PingAttempt, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    "webhook-id": attempt.messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signPing(attempt.secret, attempt.messageId, timestamp),
    "user-agent": USER_AGENT,
  };
}

/** GET with no body to the checked address; resolves with the status once the answer's head arrives. */
function requestStatus(
  url: URL,
  target: OutboundTarget,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<number> {
  const client = url.protocol === "https:" ? https : http;
  const hostname = bareHost(url);
  return new Promise<number>((resolve, reject) => {
    const request = client.request(
      {
        protocol: url.protocol,
        hostname,
        port: url.port || DEFAULT_PORTS[url.protocol],
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers,
        lookup: pinnedLookup(target),
        // A fresh connection per ping: a pooled socket could belong to another pinned address.
        agent: false,
        signal,
        ...(url.protocol === "https:" && !ipaddr.isValid(hostname) && { servername: hostname }),
      },
      (response) => {
        // The answer's body means nothing to the protocol: it is dropped, and the connection closed.
        response.destroy();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

function describe(error: unknown, url: URL, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  if (error instanceof OutboundAddressError) {
    return error.kind === "refused" ? `refused: ${error.message}` : error.message;
  }
  const code = (error as { code?: unknown }).code;
  if (code === "ECONNREFUSED") return `connection refused by ${url.host}`;
  if (code === "ECONNRESET") return `connection reset by ${url.host}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends one ping (Visit's protocol, SPEC section 10): `GET <url>?...`, no body, Standard Webhooks
 * signature headers, redirects not followed (a 3xx is a failure like any non-2xx), and the
 * outbound guard applied again now: a name that resolves to a private address today is refused
 * even if it did not when the URL was saved. Never throws: failures are outcomes to record.
 * Cancelling (`signal`, the server shutting down) rejects instead, so the attempt is not counted.
 */
export function createPingSender(options: SendOptions): PingSender {
  return async (attempt, signal) => {
    const at = new Date();
    const started = performance.now();
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const durationMs = () => Math.round(performance.now() - started);
    const url = pingUrl(attempt);
    try {
      const target = await resolveOutboundTarget(url, options.outbound, combined);
      const status = await requestStatus(url, target, pingHeaders(attempt), combined);
      return { at, durationMs: durationMs(), status };
    } catch (error) {
      if (signal?.aborted && !timeout.aborted) throw error;
      return {
        at,
        durationMs: durationMs(),
        error: describe(error, url, options.timeoutMs, timeout.aborted),
      };
    }
  };
}
