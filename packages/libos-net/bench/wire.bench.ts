/**
 * Wire-layer throughput: the Internet checksum and the IPv4 / UDP parse + verify paths,
 * each against a straightforward implementation measured in the same run (a byte-at-a-
 * time checksum loop; a `DataView` built per packet).
 */
import {
  emitIpv4Repr,
  emitUdpRepr,
  IpProtocol,
  Ipv4Packet,
  internetChecksum,
  parseIpv4Address,
  UdpDatagram,
} from '@libos/net';
import type { Comparison } from '../../../bench/harness.js';

const MTU = 1500;
const UDP_PAYLOAD = 1472; // MTU − 20-byte IPv4 header − 8-byte UDP header
const CHECKSUMS_PER_RUN = 20_000;
const PACKETS_PER_RUN = 200_000;
const DATAGRAMS_PER_RUN = 20_000;

let sink = 0;

/** The byte loop a first implementation writes: one byte per iteration, carries folded at the end. */
function byteLoopChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += i & 1 ? bytes[i]! : bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const source = parseIpv4Address('10.0.2.15');
const destination = parseIpv4Address('10.0.2.2');

/** A 1500-byte IPv4 packet carrying a UDP datagram with a 1472-byte payload, checksums filled. */
const packetBytes = new Uint8Array(MTU);
for (let i = 28; i < MTU; i++) packetBytes[i] = (i * 7 + 3) & 0xff;
emitIpv4Repr(
  {
    source,
    destination,
    protocol: IpProtocol.UDP,
    payloadLength: MTU - 20,
    ttl: 64,
    dontFragment: true,
  },
  packetBytes,
);
emitUdpRepr(
  { sourcePort: 49152, destinationPort: 5001, payloadLength: UDP_PAYLOAD },
  packetBytes.subarray(20),
  source,
  destination,
);
const datagramBytes = packetBytes.subarray(20);

/** What parsing without the view class looks like: a DataView per packet, field reads, byte-loop checksum. */
function dataViewParseIpv4(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const versionIhl = view.getUint8(0);
  if (versionIhl >> 4 !== 4) return -1;
  const headerLength = (versionIhl & 0xf) * 4;
  const totalLength = view.getUint16(2);
  if (headerLength < 20 || totalLength < headerLength || totalLength > bytes.length) return -1;
  if (byteLoopChecksum(bytes.subarray(0, headerLength)) !== 0) return -1;
  return view.getUint8(9) + view.getUint32(12) + view.getUint32(16) + totalLength;
}

function dataViewParseUdp(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint16(4);
  if (length < 8 || length > bytes.length) return -1;
  const pseudo = new Uint8Array(12 + length);
  pseudo.set([10, 0, 2, 15, 10, 0, 2, 2, 0, 17, length >> 8, length & 0xff]);
  pseudo.set(bytes.subarray(0, length), 12);
  if (byteLoopChecksum(pseudo) !== 0) return -1;
  return view.getUint16(0) + view.getUint16(2);
}

if (dataViewParseIpv4(packetBytes) < 0 || dataViewParseUdp(datagramBytes) < 0) {
  throw new Error('wire bench fixture does not verify');
}

export const comparisons: Comparison[] = [
  {
    id: 'NET-checksum',
    title: 'Internet checksum (RFC 1071) of a 1500-byte buffer',
    conditions: `${MTU}-byte buffer, ${CHECKSUMS_PER_RUN} checksums per sample; subject: high/low byte lanes, 8 bytes per iteration, carries folded per 1 MiB; baseline: one byte per iteration`,
    subject: {
      name: 'internetChecksum (byte lanes)',
      ops: CHECKSUMS_PER_RUN * MTU,
      run: () => {
        let s = 0;
        for (let i = 0; i < CHECKSUMS_PER_RUN; i++) s += internetChecksum(packetBytes);
        sink += s;
      },
    },
    baseline: {
      name: 'byte loop',
      ops: CHECKSUMS_PER_RUN * MTU,
      run: () => {
        let s = 0;
        for (let i = 0; i < CHECKSUMS_PER_RUN; i++) s += byteLoopChecksum(packetBytes);
        sink += s;
      },
    },
    goal: 2,
    floor: 1.5,
  },
  {
    id: 'NET-parse-ipv4',
    title: 'IPv4 header check + checksum verify + field reads',
    conditions: `20-byte header of a ${MTU}-byte packet, ${PACKETS_PER_RUN} packets per sample; baseline builds a DataView per packet and verifies with a byte loop`,
    subject: {
      name: 'Ipv4Packet.check + verifyChecksum',
      ops: PACKETS_PER_RUN,
      run: () => {
        let s = 0;
        for (let i = 0; i < PACKETS_PER_RUN; i++) {
          const packet = Ipv4Packet.check(packetBytes);
          if (typeof packet === 'string' || !packet.verifyChecksum()) continue;
          s += packet.protocol + packet.source + packet.destination + packet.totalLength;
        }
        sink += s;
      },
    },
    baseline: {
      name: 'DataView + byte-loop checksum',
      ops: PACKETS_PER_RUN,
      run: () => {
        let s = 0;
        for (let i = 0; i < PACKETS_PER_RUN; i++) s += dataViewParseIpv4(packetBytes);
        sink += s;
      },
    },
    goal: 2,
    floor: 1.2,
  },
  {
    id: 'NET-parse-udp',
    title: `UDP check + checksum verify over a ${UDP_PAYLOAD}-byte payload`,
    conditions: `${UDP_PAYLOAD}-byte payload, ${DATAGRAMS_PER_RUN} datagrams per sample; baseline builds a DataView and a pseudo-header copy per datagram and verifies with a byte loop`,
    subject: {
      name: 'UdpDatagram.check + verifyChecksum',
      ops: DATAGRAMS_PER_RUN,
      run: () => {
        let s = 0;
        for (let i = 0; i < DATAGRAMS_PER_RUN; i++) {
          const datagram = UdpDatagram.check(datagramBytes);
          if (typeof datagram === 'string' || !datagram.verifyChecksum(source, destination))
            continue;
          s += datagram.sourcePort + datagram.destinationPort;
        }
        sink += s;
      },
    },
    baseline: {
      name: 'DataView + pseudo copy + byte loop',
      ops: DATAGRAMS_PER_RUN,
      run: () => {
        let s = 0;
        for (let i = 0; i < DATAGRAMS_PER_RUN; i++) s += dataViewParseUdp(datagramBytes);
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
