import {
  emitTcpOptions,
  parseTcpOptions,
  TCP_MAX_OPTIONS_LENGTH,
  type TcpOptions,
  tcpMaxSackBlocks,
  tcpOptionsLength,
  WireFormatError,
} from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hex } from './wire-fixture.js';

/**
 * The options of a SYN Linux 6.18 sent (10.77.0.1:35244 → 10.77.0.2:5001, tcpdump -xx
 * in a network namespace): "mss 1460,sackOK,TS val 1317892345 ecr 0,nop,wscale 10".
 */
const LINUX_SYN_OPTIONS = hex('0204 05b4 0402 080a 4e8d 70f9 0000 0000 0103 030a');

/**
 * The options of a data segment Linux sent while two blocks were out of order
 * (tcpdump: "nop,nop,TS val 1840607955 ecr 1,nop,nop,sack 2 {301:401}{101:201}",
 * relative to ISN 0x10000000).
 */
const LINUX_SACK_OPTIONS = hex(
  '0101 080a 6db5 72d3 0000 0001 0101 0512 1000 012d 1000 0191 1000 0065 1000 00c9',
);

describe('TCP options (RFC 9293 §3.2, RFC 7323, RFC 2018)', () => {
  it('deconstructs the options of a Linux SYN', () => {
    expect(parseTcpOptions(LINUX_SYN_OPTIONS)).toEqual({
      mss: 1460,
      sackPermitted: true,
      timestamps: { value: 1317892345, echo: 0 },
      windowScale: 10,
    });
  });

  it('deconstructs SACK blocks, most recent first as sent', () => {
    expect(parseTcpOptions(LINUX_SACK_OPTIONS)).toEqual({
      timestamps: { value: 1840607955, echo: 1 },
      sackBlocks: [
        { start: 0x1000_012d, end: 0x1000_0191 },
        { start: 0x1000_0065, end: 0x1000_00c9 },
      ],
    });
  });

  it('emits byte for byte what Linux sends', () => {
    const syn: TcpOptions = {
      mss: 1460,
      sackPermitted: true,
      timestamps: { value: 1317892345, echo: 0 },
      windowScale: 10,
    };
    expect(tcpOptionsLength(syn)).toBe(20);
    const buffer = new Uint8Array(20);
    expect(emitTcpOptions(syn, buffer)).toBe(20);
    expect([...buffer]).toEqual([...LINUX_SYN_OPTIONS]);

    const sack: TcpOptions = {
      timestamps: { value: 1840607955, echo: 1 },
      sackBlocks: [
        { start: 0x1000_012d, end: 0x1000_0191 },
        { start: 0x1000_0065, end: 0x1000_00c9 },
      ],
    };
    const sackBuffer = new Uint8Array(32);
    expect(emitTcpOptions(sack, sackBuffer)).toBe(32);
    expect([...sackBuffer]).toEqual([...LINUX_SACK_OPTIONS]);
  });

  it('pads SACK-Permitted without timestamps, and emits nothing for no options', () => {
    const buffer = new Uint8Array(8);
    expect(emitTcpOptions({ mss: 536, sackPermitted: true }, buffer)).toBe(8);
    expect([...buffer]).toEqual([0x02, 0x04, 0x02, 0x18, 0x01, 0x01, 0x04, 0x02]);
    expect(emitTcpOptions({}, new Uint8Array(0))).toBe(0);
    expect(parseTcpOptions(new Uint8Array(0))).toEqual({});
  });

  it('rejects illegal option lengths as malformed (RFC 9293 §3.2)', () => {
    expect(parseTcpOptions(hex('0200'))).toBe('malformed'); // length 0
    expect(parseTcpOptions(hex('0201'))).toBe('malformed'); // length 1
    expect(parseTcpOptions(hex('fe00 0000'))).toBe('malformed'); // unknown kind, length 0
    expect(parseTcpOptions(hex('0204 05'))).toBe('malformed'); // overrun
    expect(parseTcpOptions(hex('0101 02'))).toBe('malformed'); // kind without length byte
    expect(parseTcpOptions(hex('fe08 0000'))).toBe('malformed'); // unknown kind overrun
    expect(parseTcpOptions(hex('0205 05b4 00'))).toBe('malformed'); // MSS length 5
    expect(parseTcpOptions(hex('0304 0700'))).toBe('malformed'); // WS length 4
    expect(parseTcpOptions(hex('0403'))).toBe('malformed'); // SACK-Permitted length 3, overrun
    expect(parseTcpOptions(hex('0403 00 01'))).toBe('malformed'); // SACK-Permitted length 3
    expect(parseTcpOptions(hex('080a 0000 0001 0000 00'))).toBe('malformed'); // TS overrun
    expect(parseTcpOptions(hex('0809 0000 0001 0000 0000'))).toBe('malformed'); // TS length 9
  });

  it('rejects SACK lengths other than 2 + 8n with n >= 1 (RFC 2018 §3)', () => {
    expect(parseTcpOptions(hex('0502 0000'))).toBe('malformed'); // no block
    expect(parseTcpOptions(hex('0509 0000 0001 0000 0002 00'))).toBe('malformed');
    expect(parseTcpOptions(hex('050b 0000 0001 0000 0002 0000 00'))).toBe('malformed');
    expect(parseTcpOptions(hex('050a 0000 0001 0000 0002'))).toEqual({
      sackBlocks: [{ start: 1, end: 2 }],
    });
  });

  it('ignores MSS 0 and clamps window scale to 14 (RFC 7323 §2.3)', () => {
    expect(parseTcpOptions(hex('0204 0000'))).toEqual({});
    expect(parseTcpOptions(hex('0204 0000 0103 0305'))).toEqual({ windowScale: 5 });
    expect(parseTcpOptions(hex('0103 030f'))).toEqual({ windowScale: 14 });
    expect(parseTcpOptions(hex('0103 03ff'))).toEqual({ windowScale: 14 });
    expect(parseTcpOptions(hex('0103 030e'))).toEqual({ windowScale: 14 });
    expect(parseTcpOptions(hex('0103 0300'))).toEqual({ windowScale: 0 });
  });

  it('stops at End of Option List, skips NOPs and unknown kinds', () => {
    // EOL, then garbage that would be malformed if read.
    expect(parseTcpOptions(hex('0204 05b4 0002 0000'))).toEqual({ mss: 1460 });
    expect(parseTcpOptions(hex('0000 0000'))).toEqual({});
    expect(parseTcpOptions(hex('0101 0101 0204 0218'))).toEqual({ mss: 536 });
    // Kind 30 (MPTCP) with length 4 and kind 34 (TFO) with length 2 are skipped.
    expect(parseTcpOptions(hex('1e04 0000 2202 0204 05b4'))).toEqual({ mss: 1460 });
    // A repeated option: the last one wins.
    expect(parseTcpOptions(hex('0204 05b4 0204 0218'))).toEqual({ mss: 536 });
  });

  it('refuses to emit values out of range or more than 40 bytes', () => {
    const buffer = new Uint8Array(40);
    const einval = expect.objectContaining({ code: 'EINVAL' });
    expect(() => emitTcpOptions({ mss: 0 }, buffer)).toThrow(einval);
    expect(() => emitTcpOptions({ mss: 65536 }, buffer)).toThrow(einval);
    expect(() => emitTcpOptions({ windowScale: 15 }, buffer)).toThrow(einval);
    expect(() => emitTcpOptions({ timestamps: { value: -1, echo: 0 } }, buffer)).toThrow(einval);
    expect(() => emitTcpOptions({ sackBlocks: [{ start: 0, end: 2 ** 32 }] }, buffer)).toThrow(
      WireFormatError,
    );
    const block = { start: 1, end: 2 };
    const five = [block, block, block, block, block];
    expect(() => tcpOptionsLength({ sackBlocks: five })).toThrow(einval);
    expect(() =>
      tcpOptionsLength({ timestamps: { value: 1, echo: 1 }, sackBlocks: five.slice(0, 4) }),
    ).toThrow(einval);
    expect(() => emitTcpOptions({ mss: 1460 }, new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'ENOSPC' }),
    );
    // Nothing is written when validation fails.
    const untouched = new Uint8Array(40).fill(0xaa);
    expect(() => emitTcpOptions({ mss: 1460, windowScale: 20 }, untouched)).toThrow(einval);
    expect(untouched.every((b) => b === 0xaa)).toBe(true);
  });

  it('says how many SACK blocks fit (RFC 2018 §3)', () => {
    expect(tcpMaxSackBlocks({})).toBe(4);
    expect(tcpMaxSackBlocks({ timestamps: { value: 1, echo: 2 } })).toBe(3);
    expect(
      tcpMaxSackBlocks({
        mss: 1460,
        sackPermitted: true,
        timestamps: { value: 0, echo: 0 },
        windowScale: 7,
      }),
    ).toBe(2); // 20 bytes used, 4 for NOP NOP SACK header, 16 for two blocks
    const block = { start: 1, end: 2 };
    expect(
      tcpOptionsLength({ timestamps: { value: 1, echo: 2 }, sackBlocks: [block, block, block] }),
    ).toBe(TCP_MAX_OPTIONS_LENGTH);
  });

  it('never throws on arbitrary bytes; results obey the clamps', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const options = parseTcpOptions(bytes);
        if (options === 'malformed') return;
        if (options.mss !== undefined) expect(options.mss).toBeGreaterThan(0);
        if (options.windowScale !== undefined) expect(options.windowScale).toBeLessThanOrEqual(14);
        if (options.sackBlocks !== undefined) {
          expect(options.sackBlocks.length).toBeGreaterThan(0);
          expect(options.sackBlocks.length).toBeLessThanOrEqual(4);
        }
      }),
      { numRuns: 3000 },
    );
    // Bytes built from option-like pieces reach the deeper branches.
    const piece = fc.oneof(
      fc
        .constantFrom(0, 1, 2, 3, 4, 5, 8)
        .chain((kind) =>
          fc.tuple(fc.constant(kind), fc.nat({ max: 12 }), fc.uint8Array({ maxLength: 12 })),
        ),
      fc.tuple(fc.nat({ max: 255 }), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 4 })),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 6 }), (pieces) => {
        const bytes = Uint8Array.from(pieces.flatMap(([k, l, rest]) => [k, l, ...rest]));
        const result = parseTcpOptions(bytes.subarray(0, 40));
        expect(result === 'malformed' || typeof result === 'object').toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('emit → parse round-trips random options', () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    const arbitrary = fc
      .record(
        {
          mss: fc.integer({ min: 1, max: 0xffff }),
          windowScale: fc.integer({ min: 0, max: 14 }),
          sackPermitted: fc.constant(true),
          timestamps: fc.record({ value: u32, echo: u32 }),
          sackBlocks: fc.array(fc.record({ start: u32, end: u32 }), { minLength: 1, maxLength: 4 }),
        },
        { requiredKeys: [] },
      )
      .map((options): TcpOptions => {
        const room = tcpMaxSackBlocks(options);
        if (options.sackBlocks === undefined) return options;
        if (room === 0) {
          const { sackBlocks: _dropped, ...rest } = options;
          return rest;
        }
        return { ...options, sackBlocks: options.sackBlocks.slice(0, room) };
      });
    fc.assert(
      fc.property(arbitrary, (options) => {
        const length = tcpOptionsLength(options);
        expect(length % 4).toBe(0);
        expect(length).toBeLessThanOrEqual(40);
        const buffer = new Uint8Array(length);
        expect(emitTcpOptions(options, buffer)).toBe(length);
        expect(parseTcpOptions(buffer)).toEqual(options);
      }),
      { numRuns: 2000 },
    );
  });
});
