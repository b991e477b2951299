/**
 * An independent TCP/IPv4 parser and checksum (RFC 791 §3.1, RFC 9293 §3.1, RFC 1071),
 * written for the tests and not shared with the library, and a checker that a list of
 * frames is the segmentation of one large frame.
 */
import { expect } from 'vitest';

// ── an independent parser ──────────────────────────────────────────────────────────

/** RFC 1071: ones'-complement sum of 16-bit big-endian words, folded (not complemented). */
export function onesSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2) {
    sum += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

export interface Segment {
  readonly ipTotal: number;
  readonly id: number;
  readonly ipChecksumOk: boolean;
  readonly seq: number;
  readonly flags: number;
  readonly tcpChecksumOk: boolean;
  readonly payload: Uint8Array;
  readonly headers: Uint8Array;
}

export function parse(frame: Uint8Array): Segment {
  expect((frame[12]! << 8) | frame[13]!).toBe(0x0800);
  const ihl = (frame[14]! & 0x0f) * 4;
  const ipTotal = (frame[16]! << 8) | frame[17]!;
  const l4 = 14 + ihl;
  const doff = (frame[l4 + 12]! >> 4) * 4;
  const tcpLength = ipTotal - ihl;
  // Pseudo-header: source, destination, zero + protocol, TCP length (RFC 9293 §3.1).
  let pseudo = onesSum(frame, 26, 34);
  pseudo = onesSum(Uint8Array.of(0, 6, tcpLength >> 8, tcpLength & 0xff), 0, 4, pseudo);
  return {
    ipTotal,
    id: (frame[18]! << 8) | frame[19]!,
    ipChecksumOk: onesSum(frame, 14, l4) === 0xffff,
    seq:
      ((frame[l4 + 4]! << 24) | (frame[l4 + 5]! << 16) | (frame[l4 + 6]! << 8) | frame[l4 + 7]!) >>>
      0,
    flags: frame[l4 + 13]!,
    tcpChecksumOk: onesSum(frame, l4, 14 + ipTotal, pseudo) === 0xffff,
    payload: frame.slice(l4 + doff, 14 + ipTotal),
    headers: frame.slice(0, l4 + doff),
  };
}

/** Checks `frames` are the segmentation of `big` with `mss`, and returns nothing. */
export function expectSegmentation(
  frames: Uint8Array[],
  big: Uint8Array,
  mss: number,
  mtu: number,
) {
  const ihl = (big[14]! & 0x0f) * 4;
  const l4 = 14 + ihl;
  const hl = l4 + (big[l4 + 12]! >> 4) * 4;
  const payload = big.length - hl;
  const count = Math.ceil(payload / mss);
  expect(frames.length).toBe(count);
  const original = parse(big);
  let offset = 0;
  const joined: number[] = [];
  frames.forEach((frame, k) => {
    expect(frame.length).toBeLessThanOrEqual(mtu + 14);
    const s = parse(frame);
    const n = k === count - 1 ? payload - mss * (count - 1) : mss;
    expect(s.payload.length).toBe(n);
    expect(s.ipTotal).toBe(frame.length - 14);
    expect(s.ipChecksumOk).toBe(true);
    expect(s.tcpChecksumOk).toBe(true);
    expect(s.id).toBe((original.id + k) & 0xffff);
    expect(s.seq).toBe((original.seq + offset) >>> 0);
    const last = k === count - 1;
    const fin = original.flags & 0x01;
    const psh = original.flags & 0x08;
    const cwr = original.flags & 0x80;
    expect(s.flags & 0x01).toBe(last ? fin : 0);
    expect(s.flags & 0x08).toBe(last ? psh : 0);
    expect(s.flags & 0x80).toBe(k === 0 ? cwr : 0);
    // Everything else in the flags and headers is unchanged (ports, ack, window, options).
    expect(s.flags & 0x76).toBe(original.flags & 0x76);
    expect(Array.from(s.headers.subarray(0, 16))).toEqual(
      Array.from(original.headers.subarray(0, 16)),
    );
    expect(Array.from(s.headers.subarray(l4, l4 + 4))).toEqual(
      Array.from(original.headers.subarray(l4, l4 + 4)),
    );
    expect(Array.from(s.headers.subarray(l4 + 8, l4 + 13))).toEqual(
      Array.from(original.headers.subarray(l4 + 8, l4 + 13)),
    );
    expect(Array.from(s.headers.subarray(l4 + 18))).toEqual(
      Array.from(original.headers.subarray(l4 + 18)),
    );
    offset += n;
    for (const b of s.payload) joined.push(b);
  });
  expect(Buffer.from(joined).equals(Buffer.from(big.subarray(hl)))).toBe(true);
}
