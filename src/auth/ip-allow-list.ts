import ipaddr from "ipaddr.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A parsed allow-list of addresses and CIDR ranges; empty allows everyone. */
export class IpAllowList {
  private readonly ranges: Range[];

  constructor(entries: readonly string[]) {
    this.ranges = entries.map((entry): Range => {
      if (entry.includes("/")) {
        const [range, bits] = ipaddr.parseCIDR(entry);
        // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range: callers are compared as IPv4.
        if (range.kind() === "ipv6" && (range as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
          return [(range as ipaddr.IPv6).toIPv4Address(), bits - 96];
        }
        return [range, bits];
      }
      // process(): an IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address.
      const address = ipaddr.process(entry);
      return [address, address.kind() === "ipv4" ? 32 : 128];
    });
  }

  allows(ip: string): boolean {
    if (this.ranges.length === 0) return true;
    if (!ipaddr.isValid(ip)) return false;
    const address = ipaddr.process(ip);
    return this.ranges.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }
}

/**
 * IPv4 only as four decimal parts: ipaddr.js also reads "10.1.2" (10.1.0.2), "1" (0.0.0.1) and octal
 * "010.0.0.1" (8.0.0.1), which would silently allow another address than the one written.
 */
export function isIpOrCidr(entry: string): boolean {
  return entry.includes("/")
    ? ipaddr.IPv4.isValidCIDRFourPartDecimal(entry) || ipaddr.IPv6.isValidCIDR(entry)
    : ipaddr.IPv4.isValidFourPartDecimal(entry) || ipaddr.IPv6.isValid(entry);
}
