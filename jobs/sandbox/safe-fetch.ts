import http from "node:http";
import https from "node:https";
import ipaddr from "ipaddr.js";
import {
  bareHost,
  DEFAULT_PORTS,
  OutboundAddressError,
  type OutboundTarget,
  parseOutboundUrl,
  pinnedLookup,
  resolveOutboundTarget,
} from "@/src/net/outbound-address.js";

/** An outbound request as a function asked for it. */
export type FetchRequest = {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
};

/** What a function sees of a response: text only, headers with lower-case names. */
export type FetchResponse = {
  url: string;
  status: number;
  statusText: string;
  redirected: boolean;
  headers: Record<string, string>;
  body: string;
};

export type FetchPolicy = {
  /** Host names or `host:port` entries (`[::1]:8080` for IPv6) that may resolve to refused addresses. */
  allow: readonly string[];
  timeoutMs: number;
  maxResponseBytes: number;
  maxRedirects: number;
};

export const DEFAULT_FETCH_POLICY: FetchPolicy = {
  allow: [],
  timeoutMs: 10_000,
  maxResponseBytes: 5 * 1024 * 1024,
  maxRedirects: 5,
};

/** A refused or failed outbound request; its message is meant for the function's author. */
export class SafeFetchError extends Error {
  override name = "SafeFetchError";
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Hop-by-hop and framing headers are the transport's business; Host must match the checked URL.
const DROPPED_REQUEST_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding"]);
// Credentials are not carried to another origin by a redirect.
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** Resolves the URL's host to the address to connect to, refusing it unless the policy allows it. */
async function resolveTarget(url: URL, policy: FetchPolicy, signal: AbortSignal): Promise<OutboundTarget> {
  try {
    return await resolveOutboundTarget(url, { allow: policy.allow }, signal);
  } catch (error) {
    if (!(error instanceof OutboundAddressError)) throw error;
    const verb = error.kind === "refused" ? "refused" : "failed";
    throw new SafeFetchError(`fetch to ${url.origin} ${verb}: ${error.message}`);
  }
}

type Hop = { status: number; statusText: string; headers: Record<string, string>; body: string };

/** One request to the checked address; the host name still goes out as Host and TLS server name. */
function requestOnce(
  url: URL,
  target: OutboundTarget,
  request: FetchRequest,
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<Hop> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
  const client = url.protocol === "https:" ? https : http;
  const hostname = bareHost(url);

  return new Promise<Hop>((resolve, reject) => {
    const outgoing = client.request(
      {
        protocol: url.protocol,
        hostname,
        port: url.port || DEFAULT_PORTS[url.protocol],
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers,
        lookup: pinnedLookup(target),
        signal,
        ...(url.protocol === "https:" && !ipaddr.isValid(hostname) && { servername: hostname }),
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxResponseBytes) {
            incoming.destroy(
              new SafeFetchError(`response from ${url.origin} exceeds ${policy.maxResponseBytes} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        incoming.on("error", reject);
        incoming.on("end", () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({
            status: incoming.statusCode ?? 0,
            statusText: incoming.statusMessage ?? "",
            headers: responseHeaders,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end(request.body);
  });
}

const parseUrl = (text: string, base?: URL): URL => {
  try {
    return parseOutboundUrl(text, base);
  } catch (error) {
    throw error instanceof OutboundAddressError
      ? new SafeFetchError(`fetch refused: ${error.message}`)
      : error;
  }
};

/**
 * Outbound HTTP for function code: only http(s), only public addresses unless the host is allowed,
 * connecting to the address that was checked, following redirects by hand (each hop checked again),
 * with a time limit over the whole exchange and a cap on the response size.
 */
export async function safeFetch(
  request: FetchRequest,
  policy: FetchPolicy,
  signal?: AbortSignal,
): Promise<FetchResponse> {
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let url = parseUrl(request.url);
  let current: FetchRequest = { ...request };
  try {
    for (let redirects = 0; ; redirects++) {
      const target = await resolveTarget(url, policy, combined);
      const hop = await requestOnce(url, target, current, policy, combined);
      const location = hop.headers.location;
      if (!REDIRECT_STATUSES.has(hop.status) || location === undefined) {
        return { url: url.href, redirected: redirects > 0, ...hop };
      }
      if (redirects >= policy.maxRedirects) {
        throw new SafeFetchError(
          `fetch to ${request.url} refused: more than ${policy.maxRedirects} redirects`,
        );
      }
      const next = parseUrl(location, url);
      // As browsers do: 303, and 301/302 after a POST, continue as a GET without the body.
      const asGet =
        hop.status === 303 || ((hop.status === 301 || hop.status === 302) && current.method === "POST");
      const headers = { ...current.headers };
      if (next.origin !== url.origin) {
        for (const name of Object.keys(headers)) {
          if (CREDENTIAL_HEADERS.includes(name.toLowerCase())) delete headers[name];
        }
      }
      current = asGet
        ? { url: next.href, method: current.method === "HEAD" ? "HEAD" : "GET", headers }
        : { ...current, url: next.href, headers };
      url = next;
    }
  } catch (error) {
    if (timeout.aborted)
      throw new SafeFetchError(`fetch to ${request.url} timed out after ${policy.timeoutMs} ms`);
    if (signal?.aborted) throw new SafeFetchError(`fetch to ${request.url} was cancelled`);
    throw error;
  }
}
