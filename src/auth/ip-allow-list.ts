import ipaddr from "ipaddr.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A parsed allow-list of addresses and CIDR ranges; empty allows everyone. */
export class IpAllowList {
  private readonly ranges: Range[];

  constructor(entries: readonly string[]) {
    this.ranges = entries.map((entry): Range => {
      if (entry.includes("/")) return ipaddr.parseCIDR(entry);
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

export function isIpOrCidr(entry: string): boolean {
  return entry.includes("/") ? ipaddr.isValidCIDR(entry) : ipaddr.isValid(entry);
}
