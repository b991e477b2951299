/**
 * TCP wire-layer throughput: receiving one data segment — the data offset check, the
 * checksum over pseudo header, header and payload, the options and the header fields —
 * against a straightforward `DataView` parser measured in the same run.
 */
import {
  emitTcpRepr,
  parseIpv4Address,
  parseTcpRepr,
  TcpFlags,
  type TcpRepr,
  TcpSegment,
} from '@libos/net';
import type { Comparison } from '../../../bench/harness.js';

const PAYLOAD = 1460;
const SEGMENTS_PER_RUN = 20_000;

let sink = 0;

const source = parseIpv4Address('10.0.2.2');
const destination = parseIpv4Address('10.0.2.15');

/** A data segment as Linux sends in bulk: ACK, Timestamps option (NOP NOP TS). */
const repr: TcpRepr = {
  sourcePort: 5001,
  destinationPort: 49152,
  sequenceNumber: 0xfff0_0000,
  acknowledgmentNumber: 0x1234_5678,
  flags: TcpFlags.ACK,
  window: 502,
  options: { timestamps: { value: 0x6db5_72d3, echo: 0x0000_0001 } },
  payloadLength: PAYLOAD,
};
const HEADER = 32;
const segmentBytes = new Uint8Array(HEADER + PAYLOAD);
for (let i = HEADER; i < segmentBytes.length; i++) segmentBytes[i] = (i * 7 + 3) & 0xff;
emitTcpRepr(repr, segmentBytes, source, destination);

/**
 * What parsing without the view class looks like: a DataView per segment, field reads,
 * an options walk, and a checksum summing 16-bit words read through the DataView.
 */
function dataViewParseTcp(bytes: Uint8Array, src: number, dst: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 20) return -1;
  const headerLength = (view.getUint8(12) >> 4) * 4;
  if (headerLength < 20 || headerLength > bytes.length) return -1;
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + bytes.length;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += view.getUint16(i);
  if (bytes.length & 1) sum += view.getUint8(bytes.length - 1) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  if (sum !== 0xffff) return -1;
  let tsValue = 0;
  let i = 20;
  while (i < headerLength) {
    const kind = view.getUint8(i);
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= headerLength) return -1;
    const length = view.getUint8(i + 1);
    if (length < 2 || i + length > headerLength) return -1;
    if (kind === 8 && length === 10) tsValue = view.getUint32(i + 2);
    i += length;
  }
  return (
    view.getUint16(0) +
    view.getUint16(2) +
    view.getUint32(4) +
    view.getUint32(8) +
    view.getUint8(13) +
    view.getUint16(14) +
    tsValue +
    (bytes.length - headerLength)
  );
}

/** The subject's equivalent of the baseline's returned sum. */
function libosParseTcp(bytes: Uint8Array, src: number, dst: number): number {
  const segment = TcpSegment.check(bytes);
  if (typeof segment === 'string') return -1;
  const parsed = parseTcpRepr(segment, src, dst);
  if (typeof parsed === 'string') return -1;
  return (
    parsed.sourcePort +
    parsed.destinationPort +
    parsed.sequenceNumber +
    parsed.acknowledgmentNumber +
    parsed.flags +
    parsed.window +
    (parsed.options.timestamps?.value ?? 0) +
    parsed.payloadLength
  );
}

const expected = dataViewParseTcp(segmentBytes, source, destination);
if (expected < 0 || libosParseTcp(segmentBytes, source, destination) !== expected) {
  throw new Error('TCP wire bench fixture does not parse identically');
}

export const comparisons: Comparison[] = [
  {
    id: 'NET-parse-tcp',
    title: `TCP check + checksum verify + parseTcpRepr of a ${PAYLOAD}-byte data segment`,
    conditions: `${HEADER}-byte header (Timestamps option) + ${PAYLOAD}-byte payload, ${SEGMENTS_PER_RUN} segments per sample; subject: TcpSegment.check + parseTcpRepr (checksum verified, options parsed into a TcpOptions); baseline builds a DataView per segment, sums words with getUint16, walks the options`,
    subject: {
      name: 'TcpSegment.check + parseTcpRepr',
      ops: SEGMENTS_PER_RUN,
      run: () => {
        let s = 0;
        for (let i = 0; i < SEGMENTS_PER_RUN; i++) {
          s += libosParseTcp(segmentBytes, source, destination);
        }
        sink += s;
      },
    },
    baseline: {
      name: 'DataView + getUint16 checksum',
      ops: SEGMENTS_PER_RUN,
      run: () => {
        let s = 0;
        for (let i = 0; i < SEGMENTS_PER_RUN; i++) {
          s += dataViewParseTcp(segmentBytes, source, destination);
        }
        sink += s;
      },
    },
    goal: 2,
    floor: 1.2,
  },
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
