import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import type { Env } from "@/src/config/env.js";

/**
 * Where this server may send requests on someone else's behalf (functions' `fetch`, webhooks, the
 * notification URL): http(s) only, public unicast addresses only, unless the operator allows the host.
 * The address is resolved once, checked, and then connected to (see `pinnedLookup`), so a name that
 * re-resolves to a private address between check and connect (DNS rebinding) is never reached.
 */

export type ResolvedAddress = { address: string; family: number };
/** Every address of a host name (node:dns `lookup` with `all`); replaceable in tests. */
export type ResolveHost = (host: string) => Promise<ResolvedAddress[]>;

export type OutboundPolicy = {
  /** Host names or `host:port` entries (`[::1]:8080` for IPv6) that may resolve to refused addresses. */
  allow: readonly string[];
  resolve?: ResolveHost;
};

export type OutboundTarget = { address: string; family: 4 | 6 };

/** Why a URL or its address may not be reached; the message is meant for whoever chose the URL. */
export class OutboundAddressError extends Error {
  override name = "OutboundAddressError";
  constructor(
    /** `refused`: the policy says no; `unresolved`: the name has no usable address; `invalid`: not an http(s) URL. */
    readonly kind: "refused" | "unresolved" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/** The allow list: `OUTBOUND_ALLOW`, and its older name `FUNCTION_FETCH_ALLOW`, still accepted. */
export function outboundAllowList(env: Pick<Env, "OUTBOUND_ALLOW" | "FUNCTION_FETCH_ALLOW">): string[] {
  return [...new Set([...env.OUTBOUND_ALLOW, ...env.FUNCTION_FETCH_ALLOW])];
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

export const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/** The host as a connection uses it: IPv6 literals without their brackets. */
export const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, "$1");

function isAllowed(url: URL, allow: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const hostAndPort = `${host}:${url.port || DEFAULT_PORTS[url.protocol]}`;
  return allow.some((entry) => {
    const normalized = entry.trim().toLowerCase();
    return normalized === host || normalized === hostAndPort;
  });
}

/** An absolute http(s) URL (or one relative to `base`, for redirects). */
export function parseOutboundUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new OutboundAddressError("invalid", `"${text}" is not a valid URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new OutboundAddressError("invalid", `only http and https URLs are allowed, not ${url.protocol}`);
  }
  return url;
}

const abortable = <T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> =>
  !signal
    ? promise
    : new Promise<T>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });

const systemResolve: ResolveHost = (host) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves the URL's host to the address to connect to, refusing it unless it is public or the
 * policy allows the host. Every address of the name is checked, not only the one used.
 */
export async function resolveOutboundTarget(
  url: URL,
  policy: OutboundPolicy,
  signal?: AbortSignal,
): Promise<OutboundTarget> {
  const host = bareHost(url);
  const addresses: ResolvedAddress[] = ipaddr.isValid(host)
    ? [{ address: host, family: ipaddr.parse(host).kind() === "ipv6" ? 6 : 4 }]
    : await abortable((policy.resolve ?? systemResolve)(host), signal).catch((error: unknown) => {
        if (signal?.aborted) throw error;
        throw new OutboundAddressError("unresolved", `cannot resolve ${host}`);
      });
  if (!isAllowed(url, policy.allow)) {
    for (const { address } of addresses) {
      const reason = refusedAddressReason(address);
      if (reason) throw new OutboundAddressError("refused", reason);
    }
  }
  const [first] = addresses;
  if (!first) throw new OutboundAddressError("unresolved", `${host} has no address`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/**
 * A `lookup` for node:http(s) that answers with the checked address whatever the name resolves to
 * now: pinning the connection to the checked address is what stops DNS rebinding.
 */
export function pinnedLookup(target: OutboundTarget): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [target]);
    else callback(null, target.address, target.family);
  };
}
