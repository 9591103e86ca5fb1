// Which IP addresses a call to a user's URL may reach: public unicast only (plus loopback, locally).
// ipaddr.js names the special-purpose ranges (IANA registries); this file decides what each means here.
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ENV } from '../../../lib/definitions.ts';

export interface OutboundPolicy {
  /**
   * Also allow `http:` URLs and loopback addresses. Only the local cloud sets this (`npm start`, so that a
   * receiver on 127.0.0.1 can be called); private, link-local and every other non-public range stay refused.
   */
  readonly allowLocal: boolean;
}

/** The policy of this process: the local allowance when OUTBOUND_ALLOW_LOCAL is `true`, else none. */
export const outboundPolicy = (): OutboundPolicy => ({ allowLocal: process.env[ENV.outboundAllowLocal] === 'true' });

/** `public`, `loopback`, or the name of the range that makes an address unreachable for us. */
export type AddressRange = 'public' | 'loopback' | (string & {});

const PUBLIC: AddressRange = 'public';

function ipv6Range(address: ipaddr.IPv6): AddressRange {
  if (address.isIPv4MappedAddress()) return ipv4Range(address.toIPv4Address());
  const parts = address.parts;
  const embeddedIpv4 = () =>
    new ipaddr.IPv4([(parts[6] ?? 0) >> 8, (parts[6] ?? 0) & 0xff, (parts[7] ?? 0) >> 8, (parts[7] ?? 0) & 0xff]);
  const range = address.range();
  // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits: it is as public as that address.
  if (range === 'rfc6052' && parts[2] === 0) {
    const inner = ipv4Range(embeddedIpv4());
    return inner === PUBLIC ? PUBLIC : `nat64:${inner}`;
  }
  if (range === 'rfc6145') return `ipv4Translated:${ipv4Range(embeddedIpv4())}`;
  // IPv4-compatible (::a.b.c.d, deprecated since 2006): no public host has one; refuse the whole ::/96.
  if (parts.slice(0, 6).every((p) => p === 0) && range !== 'loopback' && range !== 'unspecified') {
    return 'ipv4Compatible';
  }
  if (range !== 'unicast') return range;
  // Only 2000::/3 is allocated as global unicast; the rest of what ipaddr.js calls unicast is unassigned.
  if (((parts[0] ?? 0) & 0xe000) !== 0x2000) return 'unassigned';
  return PUBLIC;
}

function ipv4Range(address: ipaddr.IPv4): AddressRange {
  const range = address.range();
  return range === 'unicast' ? PUBLIC : range;
}

/**
 * The range of an IP address in its usual textual form (as DNS answers it, or a URL's host without
 * brackets). Anything that is not an IP address is `invalid`.
 */
export function addressRange(ip: string): AddressRange {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const withoutZone = bare.split('%')[0] ?? '';
  const family = isIP(withoutZone);
  if (family === 0 || (family === 4 && withoutZone !== bare)) return 'invalid';
  if (family === 4) return ipv4Range(ipaddr.IPv4.parse(withoutZone));
  // A scoped address (fe80::1%eth0) only means something on one link.
  if (withoutZone !== bare) return 'linkLocal';
  // The URL parser writes IPv6 in hex (::10.0.0.1 becomes ::a00:1); ipaddr.js would read a dotted tail as
  // IPv4-mapped whatever precedes it.
  return ipv6Range(ipaddr.IPv6.parse(new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1)));
}

/** Whether a call may connect to this address under the policy. */
export function isAddressAllowed(ip: string, policy: OutboundPolicy): boolean {
  const range = addressRange(ip);
  return range === PUBLIC || (policy.allowLocal && range === 'loopback');
}

/** Why an address is refused, for logs and the reason a user reads; undefined when it is allowed. */
export function addressRefusal(ip: string, policy: OutboundPolicy): string | undefined {
  if (isAddressAllowed(ip, policy)) return undefined;
  const range = addressRange(ip);
  return range === 'invalid' ? `${ip} is not an IP address` : `${ip} is not a public address (${range})`;
}
