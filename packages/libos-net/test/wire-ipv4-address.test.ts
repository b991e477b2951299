import {
  formatIpv4Address,
  IPV4_BROADCAST,
  IPV4_UNSPECIFIED,
  Ipv4AddressError,
  ipv4Netmask,
  ipv4SubnetBroadcast,
  isInIpv4Subnet,
  isIpv4Broadcast,
  isIpv4Loopback,
  isIpv4Multicast,
  isIpv4Unspecified,
  parseIpv4Address,
  readIpv4Address,
  writeIpv4Address,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('IPv4 addresses', () => {
  it('parses strict dotted quads into uint32 values', () => {
    expect(parseIpv4Address('192.168.1.1')).toBe(0xc0a80101);
    expect(parseIpv4Address('10.0.2.15')).toBe(0x0a00020f);
    expect(parseIpv4Address('0.0.0.0')).toBe(0);
    expect(parseIpv4Address('255.255.255.255')).toBe(0xffffffff);
  });

  it('rejects ambiguous and malformed text with code EINVAL', () => {
    for (const bad of [
      '01.2.3.4',
      '1.2.3',
      '256.0.0.1',
      '1.2.3.4.5',
      '1.2.3.-1',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '1..3.4',
      '0x1.2.3.4',
      '1.2.3.00',
      '1000.1.1.1',
      '',
    ]) {
      expect(() => parseIpv4Address(bad), bad).toThrow(Ipv4AddressError);
    }
    try {
      parseIpv4Address('1.2.3');
      expect.unreachable();
    } catch (e) {
      expect((e as Ipv4AddressError).code).toBe('EINVAL');
    }
  });

  it('format ∘ parse and parse ∘ format are identities', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (a) => {
        expect(parseIpv4Address(formatIpv4Address(a))).toBe(a);
      }),
    );
    expect(formatIpv4Address(0xc0a80101)).toBe('192.168.1.1');
  });

  it('reads and writes network byte order at any offset', () => {
    const bytes = new Uint8Array(7);
    writeIpv4Address(bytes, 3, parseIpv4Address('172.16.254.1'));
    expect([...bytes]).toEqual([0, 0, 0, 172, 16, 254, 1]);
    expect(readIpv4Address(bytes, 3)).toBe(parseIpv4Address('172.16.254.1'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.nat({ max: 5 }), (a, off) => {
        const b = new Uint8Array(10);
        writeIpv4Address(b, off, a);
        expect(readIpv4Address(b, off)).toBe(a);
      }),
    );
  });

  it('computes netmasks, subnet membership and directed broadcast (RFC 4632)', () => {
    expect(ipv4Netmask(0)).toBe(0);
    expect(ipv4Netmask(8)).toBe(0xff000000);
    expect(ipv4Netmask(24)).toBe(0xffffff00);
    expect(ipv4Netmask(31)).toBe(0xfffffffe);
    expect(ipv4Netmask(32)).toBe(0xffffffff);
    expect(() => ipv4Netmask(33)).toThrow(RangeError);
    expect(() => ipv4Netmask(-1)).toThrow(RangeError);
    const host = parseIpv4Address('10.0.2.15');
    expect(isInIpv4Subnet(host, parseIpv4Address('10.0.2.0'), 24)).toBe(true);
    expect(isInIpv4Subnet(host, parseIpv4Address('10.0.3.0'), 24)).toBe(false);
    expect(isInIpv4Subnet(parseIpv4Address('200.1.1.1'), parseIpv4Address('10.0.3.0'), 0)).toBe(
      true,
    );
    expect(
      isInIpv4Subnet(parseIpv4Address('192.168.1.200'), parseIpv4Address('192.168.1.128'), 25),
    ).toBe(true);
    expect(formatIpv4Address(ipv4SubnetBroadcast(host, 24))).toBe('10.0.2.255');
    expect(formatIpv4Address(ipv4SubnetBroadcast(host, 32))).toBe('10.0.2.15');
    expect(formatIpv4Address(ipv4SubnetBroadcast(host, 0))).toBe('255.255.255.255');
  });

  it('classifies special addresses', () => {
    expect(isIpv4Multicast(parseIpv4Address('224.0.0.1'))).toBe(true);
    expect(isIpv4Multicast(parseIpv4Address('239.255.255.255'))).toBe(true);
    expect(isIpv4Multicast(parseIpv4Address('240.0.0.0'))).toBe(false);
    expect(isIpv4Multicast(parseIpv4Address('223.255.255.255'))).toBe(false);
    expect(isIpv4Broadcast(IPV4_BROADCAST)).toBe(true);
    expect(isIpv4Broadcast(parseIpv4Address('255.255.255.254'))).toBe(false);
    expect(isIpv4Unspecified(IPV4_UNSPECIFIED)).toBe(true);
    expect(isIpv4Unspecified(parseIpv4Address('0.0.0.1'))).toBe(false);
    expect(isIpv4Loopback(parseIpv4Address('127.255.0.1'))).toBe(true);
    expect(isIpv4Loopback(parseIpv4Address('128.0.0.1'))).toBe(false);
  });
});
