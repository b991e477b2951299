import {
  addInternetChecksum,
  finishInternetChecksum,
  foldInternetChecksum,
} from './internet-checksum.js';
import { ETHERNET_HEADER_BYTES } from './net-constants.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;
/** Where the checksum sits inside a TCP / UDP header. */
const TCP_CHECKSUM_OFFSET = 16;
const UDP_CHECKSUM_OFFSET = 6;
const IPV6_HEADER_BYTES = 40;

/**
 * Completes a partial checksum the way a virtio-net device does for NEEDS_CSUM
 * (virtio 1.2 §5.1.6.2): the ones'-complement sum of `frame[csumStart, length)` — whose
 * checksum field already holds the pseudo-header sum — complemented and stored
 * big-endian at `csumStart + csumOffset`. A result of 0 is stored as 0xffff (equivalent
 * in ones'-complement arithmetic, and required for UDP by RFC 768). The caller has
 * checked `csumStart + csumOffset + 2 ≤ length`.
 *
 * @internal
 */
export function completePartialChecksum(
  frame: Uint8Array,
  length: number,
  csumStart: number,
  csumOffset: number,
): void {
  const at = csumStart + csumOffset;
  const checksum =
    finishInternetChecksum(addInternetChecksum(frame, csumStart, length, 0)) || 0xffff;
  frame[at] = checksum >>> 8;
  frame[at + 1] = checksum & 0xff;
}

/**
 * Driver side of TX checksum offload (virtio 1.2 §5.1.6.2): finds the TCP or UDP header
 * of an untagged IPv4 (unfragmented) or IPv6 (no extension headers) Ethernet frame,
 * writes the pseudo-header sum into its checksum field, and returns where the device
 * must complete it as `csumStart * 0x10000 + csumOffset`.
 *
 * Returns -1 — nothing to offload, the frame is left as it is — for other frames. When
 * the IP packet is shorter than the frame and the Ethernet padding is not zero (it would
 * spoil the device's sum to the end of the frame), the checksum is computed here in full
 * and -1 returned.
 *
 * @internal
 */
export function preparePartialChecksum(frame: Uint8Array, length: number): number {
  if (length < ETHERNET_HEADER_BYTES + 20) return -1;
  const etherType = (frame[12]! << 8) | frame[13]!;
  let l4Start: number;
  let protocol: number;
  let l4Length: number;
  let sum: number;
  if (etherType === ETHERTYPE_IPV4) {
    const versionIhl = frame[14]!;
    const ihl = (versionIhl & 0x0f) * 4;
    if (versionIhl >> 4 !== 4 || ihl < 20) return -1;
    const totalLength = (frame[16]! << 8) | frame[17]!;
    // MF set or a fragment offset: the checksum covers the whole datagram, not this part.
    if ((((frame[20]! << 8) | frame[21]!) & 0x3fff) !== 0) return -1;
    if (totalLength < ihl || ETHERNET_HEADER_BYTES + totalLength > length) return -1;
    protocol = frame[23]!;
    l4Start = ETHERNET_HEADER_BYTES + ihl;
    l4Length = totalLength - ihl;
    sum = addInternetChecksum(frame, 26, 34, protocol + l4Length); // src, dst (RFC 768, 9293)
  } else if (etherType === ETHERTYPE_IPV6) {
    if (length < ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES || frame[14]! >> 4 !== 6) return -1;
    protocol = frame[20]!; // next header: only a transport header directly after
    l4Length = (frame[18]! << 8) | frame[19]!;
    l4Start = ETHERNET_HEADER_BYTES + IPV6_HEADER_BYTES;
    if (l4Start + l4Length > length) return -1;
    sum = addInternetChecksum(frame, 22, 54, protocol + l4Length); // RFC 8200 §8.1
  } else {
    return -1;
  }
  let csumOffset: number;
  if (protocol === PROTOCOL_TCP) csumOffset = TCP_CHECKSUM_OFFSET;
  else if (protocol === PROTOCOL_UDP) csumOffset = UDP_CHECKSUM_OFFSET;
  else return -1;
  if (csumOffset + 2 > l4Length) return -1;
  const at = l4Start + csumOffset;
  const end = l4Start + l4Length;
  if (end < length && !isZero(frame, end, length)) {
    frame[at] = 0;
    frame[at + 1] = 0;
    const checksum =
      finishInternetChecksum(addInternetChecksum(frame, l4Start, end, sum)) || 0xffff;
    frame[at] = checksum >>> 8;
    frame[at + 1] = checksum & 0xff;
    return -1;
  }
  const partial = foldInternetChecksum(sum);
  frame[at] = partial >>> 8;
  frame[at + 1] = partial & 0xff;
  return l4Start * 0x10000 + csumOffset;
}

function isZero(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
