import ipaddr from "ipaddr.js";

/**
 * The server's rule (src/auth/ip-allow-list.ts): IPv4 only as four decimal parts, IPv6 in any
 * valid form, each optionally with a CIDR prefix length.
 */
export function isIpOrCidr(entry: string): boolean {
  return entry.includes("/")
    ? ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry)
    : ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
}

/** One entry per line or comma; blanks dropped. */
export const splitList = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");

/** A message naming every entry that is not an address or range, or undefined when all are. */
export function invalidIpMessage(text: string): string | undefined {
  const bad = splitList(text).filter((entry) => !isIpOrCidr(entry));
  if (bad.length === 0) return undefined;
  return `Not an IPv4/IPv6 address or CIDR range: ${bad.join(", ")}`;
}
