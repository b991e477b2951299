import {
  formatMacAddress,
  isBroadcastMac,
  isLocallyAdministeredMac,
  isMulticastMac,
  MacAddressError,
  parseMacAddress,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('MAC addresses', () => {
  it('parses colon and dash forms in any case', () => {
    expect([...parseMacAddress('52:54:00:12:34:56')]).toEqual([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    expect([...parseMacAddress('AA-bb-CC-dd-EE-ff')]).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
  });

  it('rejects malformed text with a typed error', () => {
    for (const bad of [
      '',
      '52:54:00:12:34',
      '52:54:00:12:34:56:78',
      '52:54-00:12:34:56',
      'zz:54:00:12:34:56',
      '525400123456',
    ]) {
      expect(() => parseMacAddress(bad)).toThrow(MacAddressError);
    }
    try {
      parseMacAddress('x');
    } catch (e) {
      expect((e as MacAddressError).code).toBe('EINVAL');
    }
  });

  it('format ∘ parse is the identity on 6-byte values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (mac) => {
        const text = formatMacAddress(mac);
        expect(text).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
        expect([...parseMacAddress(text)]).toEqual([...mac]);
      }),
    );
    expect(() => formatMacAddress(new Uint8Array(5))).toThrow(RangeError);
  });

  it('classifies group, broadcast and locally administered addresses (IEEE 802 §8.2)', () => {
    expect(isMulticastMac(parseMacAddress('01:00:5e:00:00:fb'))).toBe(true);
    expect(isMulticastMac(parseMacAddress('52:54:00:12:34:56'))).toBe(false);
    expect(isBroadcastMac(parseMacAddress('ff:ff:ff:ff:ff:ff'))).toBe(true);
    expect(isBroadcastMac(parseMacAddress('ff:ff:ff:ff:ff:fe'))).toBe(false);
    expect(isMulticastMac(parseMacAddress('ff:ff:ff:ff:ff:ff'))).toBe(true);
    expect(isLocallyAdministeredMac(parseMacAddress('02:00:00:00:00:01'))).toBe(true);
    expect(isLocallyAdministeredMac(parseMacAddress('52:54:00:12:34:56'))).toBe(true);
    expect(isLocallyAdministeredMac(parseMacAddress('00:1b:21:00:00:01'))).toBe(false);
  });
});
