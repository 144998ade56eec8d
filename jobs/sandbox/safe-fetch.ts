import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

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

const METADATA_ADDRESSES = new Set(["169.254.169.254", "fd00:ec2::254"]);

const RANGE_LABELS: Record<string, string> = {
  loopback: "a loopback",
  private: "a private",
  uniqueLocal: "a private (unique local)",
  linkLocal: "a link-local",
  carrierGradeNat: "a carrier-grade NAT",
  unspecified: "an unspecified",
  multicast: "a multicast",
  broadcast: "a broadcast",
};

/**
 * Why an address may not be reached, or undefined when it is a public unicast address. Anything
 * ipaddr.js does not call plain `unicast` is refused: that also covers tunnels and translation
 * prefixes (6to4, Teredo, NAT64) that can carry a private IPv4 address inside.
 */
export function refusedAddressReason(address: string): string | undefined {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const normalized = parsed.toString();
  if (METADATA_ADDRESSES.has(normalized)) return `${normalized} is the cloud metadata address`;
  const range = parsed.range();
  if (range === "unicast") return undefined;
  const label = RANGE_LABELS[range] ?? `a reserved (${range})`;
  return `${normalized} is ${label} address`;
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
// Hop-by-hop and framing headers are the transport's business; Host must match the checked URL.
const DROPPED_REQUEST_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding"]);
// Credentials are not carried to another origin by a redirect.
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

const isAllowed = (url: URL, allow: readonly string[]): boolean => {
  const host = url.hostname.toLowerCase();
  const hostAndPort = `${host}:${url.port || DEFAULT_PORTS[url.protocol]}`;
  return allow.some((entry) => {
    const normalized = entry.trim().toLowerCase();
    return normalized === host || normalized === hostAndPort;
  });
};

type Target = { address: string; family: 4 | 6 };

const abortable = <T>(promise: Promise<T>, signal: AbortSignal): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });

/** Resolves the URL's host to the address to connect to, refusing it unless the policy allows it. */
async function resolveTarget(url: URL, policy: FetchPolicy, signal: AbortSignal): Promise<Target> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const addresses = ipaddr.isValid(host)
    ? [{ address: host, family: ipaddr.parse(host).kind() === "ipv6" ? 6 : 4 }]
    : await abortable(lookup(host, { all: true, verbatim: true }), signal).catch((error: unknown) => {
        if (signal.aborted) throw error;
        throw new SafeFetchError(`fetch to ${url.origin} failed: cannot resolve ${host}`);
      });
  if (!isAllowed(url, policy.allow)) {
    for (const { address } of addresses) {
      const reason = refusedAddressReason(address);
      if (reason) throw new SafeFetchError(`fetch to ${url.origin} refused: ${reason}`);
    }
  }
  const [first] = addresses;
  if (!first) throw new SafeFetchError(`fetch to ${url.origin} failed: ${host} has no address`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

type Hop = { status: number; statusText: string; headers: Record<string, string>; body: string };

/** One request to the checked address; the host name still goes out as Host and TLS server name. */
function requestOnce(
  url: URL,
  target: Target,
  request: FetchRequest,
  policy: FetchPolicy,
  signal: AbortSignal,
): Promise<Hop> {
  // Pinning the lookup to the checked address is what stops DNS rebinding between check and connect.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!DROPPED_REQUEST_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  if (request.body !== undefined) headers["content-length"] = String(Buffer.byteLength(request.body));
  const client = url.protocol === "https:" ? https : http;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");

  return new Promise<Hop>((resolve, reject) => {
    const outgoing = client.request(
      {
        protocol: url.protocol,
        hostname,
        port: url.port || DEFAULT_PORTS[url.protocol],
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers,
        lookup: pinned,
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
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new SafeFetchError(`fetch refused: "${text}" is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new SafeFetchError(`fetch refused: only http and https URLs are allowed, not ${url.protocol}`);
  }
  return url;
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
