// The rules a user's URL (a condition's, a job's) must meet as written: checked at creation (a 400) and
// again at call time. Where the name points is checked when called (signed-post.ts).
import { isIP } from 'node:net';
import { addressRefusal, type OutboundPolicy, outboundPolicy } from './address-policy.ts';

export const MAX_URL_LENGTH = 2048;

/** The host of a parsed URL without IPv6 brackets or a trailing dot. */
export const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');

const isLocalhostName = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

/** What is wrong with a URL under the policy, for a person; undefined when it may be called. */
export function outboundUrlProblem(raw: string, policy: OutboundPolicy = outboundPolicy()): string | undefined {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  const schemes = policy.allowLocal ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol))
    return policy.allowLocal ? 'must be an https: or http: URL' : 'must be an https: URL';
  if (url.username !== '' || url.password !== '') return 'must not contain user info (user:password@)';
  const host = bareHost(url).toLowerCase();
  if (host === '') return 'must name a host';
  // The URL parser has already turned every IPv4 spelling (0x7f.1, 2130706433) into dotted decimal.
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, policy);
    return refusal === undefined ? undefined : `must not point to a non-public address: ${refusal}`;
  }
  if (isLocalhostName(host) && !policy.allowLocal) return 'must not point to a non-public address: localhost';
  return undefined;
}
