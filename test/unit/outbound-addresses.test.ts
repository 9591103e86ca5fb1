import { describe, expect, it } from 'vitest';
import { addressRange, isAddressAllowed } from '../../lambdas/shared/outbound/address-policy.ts';
import { outboundUrlProblem } from '../../lambdas/shared/outbound/url-rules.ts';

const deployed = { allowLocal: false };
const local = { allowLocal: true };

const NON_PUBLIC: readonly [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['169.254.169.254', 'linkLocal'],
  ['169.254.0.1', 'linkLocal'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456:789a::1', 'uniqueLocal'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['ff02::1', 'multicast'],
  ['2001:db8::1', 'reserved'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::127.0.0.1', 'ipv4Compatible'],
  ['::10.0.0.1', 'ipv4Compatible'],
  ['::a9fe:a9fe', 'ipv4Compatible'],
  ['64:ff9b::a9fe:a9fe', 'nat64:linkLocal'],
  ['64:ff9b::10.0.0.1', 'nat64:private'],
  ['64:ff9b::127.0.0.1', 'nat64:loopback'],
  ['64:ff9b:1::1', 'rfc6052'],
  ['::ffff:0:10.0.0.1', 'ipv4Translated:private'],
  ['2002:a00:1::1', '6to4'],
  ['100::1', 'discard'],
  ['3fff::1', 'reserved'],
  ['4000::1', 'unassigned'],
];

describe('which addresses a call may reach', () => {
  it.each(NON_PUBLIC)('refuses %s (%s) in the deployed configuration', (ip, range) => {
    expect(addressRange(ip)).toBe(range);
    expect(isAddressAllowed(ip, deployed)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '64:ff9b::808:808',
  ])('allows the public address %s', (ip) => {
    expect(addressRange(ip)).toBe('public');
    expect(isAddressAllowed(ip, deployed)).toBe(true);
  });

  it.each(['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1'])(
    'allows the loopback address %s only locally',
    (ip) => {
      expect(isAddressAllowed(ip, deployed)).toBe(false);
      expect(isAddressAllowed(ip, local)).toBe(true);
    },
  );

  it.each([
    '10.0.0.1',
    '169.254.169.254',
    '192.168.0.10',
    '100.64.0.1',
    'fd00::1',
    'fe80::1',
    '0.0.0.0',
    '::',
    '::ffff:10.0.0.1',
  ])('refuses %s even with the local allowance', (ip) => {
    expect(isAddressAllowed(ip, local)).toBe(false);
  });

  it('calls anything that is not an IP address invalid, never public', () => {
    expect(addressRange('example.com')).toBe('invalid');
    expect(addressRange('0x7f.1')).toBe('invalid');
    expect(isAddressAllowed('', deployed)).toBe(false);
  });
});

describe('the URL rules as written', () => {
  it('accepts a public https URL with a path, query and port', () => {
    expect(outboundUrlProblem('https://hooks.example.com:8443/alarms/check?team=7', deployed)).toBeUndefined();
    expect(outboundUrlProblem('https://8.8.8.8/x', deployed)).toBeUndefined();
    expect(outboundUrlProblem('https://[2606:4700:4700::1111]/x', deployed)).toBeUndefined();
  });

  it('refuses http: in the deployed configuration and allows it locally', () => {
    expect(outboundUrlProblem('http://hooks.example.com/x', deployed)).toBe('must be an https: URL');
    expect(outboundUrlProblem('http://hooks.example.com/x', local)).toBeUndefined();
  });

  it('refuses other schemes, relative URLs and user info', () => {
    expect(outboundUrlProblem('ftp://example.com/x', local)).toBe('must be an https: or http: URL');
    expect(outboundUrlProblem('file:///etc/passwd', deployed)).toBe('must be an https: URL');
    expect(outboundUrlProblem('/relative', deployed)).toBe('must be an absolute URL');
    expect(outboundUrlProblem('https://user:pw@example.com/', deployed)).toBe(
      'must not contain user info (user:password@)',
    );
    expect(outboundUrlProblem('https://user@example.com/', deployed)).toBe(
      'must not contain user info (user:password@)',
    );
  });

  it('refuses a URL longer than 2,048 characters and accepts one of exactly 2,048', () => {
    const base = 'https://example.com/';
    expect(outboundUrlProblem(base + 'a'.repeat(2048 - base.length), deployed)).toBeUndefined();
    expect(outboundUrlProblem(base + 'a'.repeat(2049 - base.length), deployed)).toBe('must be at most 2048 characters');
  });

  it.each([
    'https://10.0.0.1/x',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:169.254.169.254]/',
    'https://[fd00::1]/',
    'https://0.0.0.0/',
    'https://[::]/',
    'https://0xa9.0xfe.0xa9.0xfe/',
    'https://2852039166/',
    'https://012.0.0.1/',
  ])('refuses %s, everywhere', (url) => {
    expect(outboundUrlProblem(url, deployed)).toMatch(/^must not point to a non-public address/);
    expect(outboundUrlProblem(url, local)).toMatch(/^must not point to a non-public address/);
  });

  it.each([
    'https://127.0.0.1/',
    'https://0x7f.1/',
    'https://2130706433/',
    'https://[::1]/',
    'https://localhost/',
    'https://api.localhost./',
  ])('refuses the loopback URL %s in the deployed configuration only', (url) => {
    expect(outboundUrlProblem(url, deployed)).toMatch(/^must not point to a non-public address/);
    expect(outboundUrlProblem(url, local)).toBeUndefined();
  });
});
