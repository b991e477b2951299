import { addInternetChecksum, finishInternetChecksum } from './internet-checksum.js';
import { ETHERNET_HEADER_BYTES } from './net-constants.js';

/**
 * TCP segmentation (TSO) of an untagged Ethernet + IPv4 + TCP frame, shared by the
 * virtio-net driver (to build the GSO header, virtio 1.2 §5.1.6.2) and the device model
 * (to split the frame, §5.1.6.2 with VIRTIO_NET_F_HOST_TSO4).
 *
 * ```text
 *  large frame:  ├ Ethernet (14) ┼ IPv4 (ihl) ┼ TCP (doff) ┼ payload ………………………… ┤
 *                └──────────── headerLength ───────────────┘
 *  segment k:    ├ Ethernet ┼ IPv4' ┼ TCP' ┼ payload[k·mss, min((k+1)·mss, end)) ┤
 *    IPv4': total length, identification + k, header checksum   (RFC 791 §3.1)
 *    TCP':  sequence + k·mss, FIN/PSH only on the last, CWR only on the first,
 *           checksum over pseudo-header + segment             (RFC 9293 §3.1, §3.8.4)
 * ```
 */

const ETHERTYPE_IPV4 = 0x0800;
const PROTOCOL_TCP = 6;
/** Largest frame a TSO request may carry: an IPv4 datagram of 65535 bytes + Ethernet. @internal */
export const TSO_MAX_FRAME = 65535 + ETHERNET_HEADER_BYTES;
/** Where the checksum sits inside a TCP header (RFC 9293 §3.1). @internal */
export const TCP_CHECKSUM_OFFSET = 16;
/** TCP flag bits in byte 13 of the header (RFC 9293 §3.1, RFC 3168 §6.1 for CWR). */
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/**
 * Length of the Ethernet + IPv4 + TCP headers of a frame that can be segmented, or -1
 * when it cannot: not EtherType IPv4 (no VLAN tag), not version 4, IHL < 5, a fragment
 * (MF or fragment offset, RFC 791 §3.1), not TCP, an IPv4 total length other than
 * `length − 14` (no Ethernet padding in a large frame), or a TCP data offset < 5 or
 * past the frame.
 *
 * @internal
 */
export function tcpIpv4HeaderLength(frame: Uint8Array, length: number): number {
  if (length < ETHERNET_HEADER_BYTES + 40 || length > frame.length) return -1;
  if (((frame[12]! << 8) | frame[13]!) !== ETHERTYPE_IPV4) return -1;
  const versionIhl = frame[14]!;
  const ihl = (versionIhl & 0x0f) * 4;
  if (versionIhl >> 4 !== 4 || ihl < 20) return -1; // RFC 791 §3.1: IHL ≥ 5
  if ((((frame[20]! << 8) | frame[21]!) & 0x3fff) !== 0) return -1; // MF / fragment offset
  if (frame[23] !== PROTOCOL_TCP) return -1;
  if (ETHERNET_HEADER_BYTES + ((frame[16]! << 8) | frame[17]!) !== length) return -1;
  const l4 = ETHERNET_HEADER_BYTES + ihl;
  if (l4 + 20 > length) return -1;
  const doff = (frame[l4 + 12]! >> 4) * 4; // RFC 9293 §3.1: data offset ≥ 5
  if (doff < 20 || l4 + doff > length) return -1;
  return l4 + doff;
}

/**
 * Writes segment `index` of the large frame `src` into `dst` (whose length is
 * `headerLength` + the segment's payload length): headers copied and fixed up, payload
 * `src[headerLength + payloadOffset, …)`, IPv4 header and TCP checksums computed in full
 * (the partial sum the driver left is not used). `last` marks the final segment. The
 * caller validated `src` with {@link tcpIpv4HeaderLength}.
 *
 * @internal
 */
export function writeTcpSegment(
  dst: Uint8Array,
  src: Uint8Array,
  headerLength: number,
  payloadOffset: number,
  index: number,
  last: boolean,
): void {
  const payload = dst.length - headerLength;
  for (let i = 0; i < headerLength; i++) dst[i] = src[i]!;
  const from = headerLength + payloadOffset;
  dst.set(src.subarray(from, from + payload), headerLength);
  const ip = ETHERNET_HEADER_BYTES;
  const ihl = (src[ip]! & 0x0f) * 4;
  const l4 = ip + ihl;
  // RFC 791 §3.1: total length of this datagram; identification advances per segment.
  const total = dst.length - ETHERNET_HEADER_BYTES;
  dst[ip + 2] = total >>> 8;
  dst[ip + 3] = total & 0xff;
  const id = (((src[ip + 4]! << 8) | src[ip + 5]!) + index) & 0xffff;
  dst[ip + 4] = id >>> 8;
  dst[ip + 5] = id & 0xff;
  dst[ip + 10] = 0;
  dst[ip + 11] = 0;
  const ipChecksum = finishInternetChecksum(addInternetChecksum(dst, ip, l4, 0));
  dst[ip + 10] = ipChecksum >>> 8;
  dst[ip + 11] = ipChecksum & 0xff;
  // RFC 9293 §3.1: the sequence number of the segment's first payload byte (mod 2^32).
  const seq =
    (((src[l4 + 4]! << 24) | (src[l4 + 5]! << 16) | (src[l4 + 6]! << 8) | src[l4 + 7]!) >>> 0) +
    payloadOffset;
  dst[l4 + 4] = (seq >>> 24) & 0xff;
  dst[l4 + 5] = (seq >>> 16) & 0xff;
  dst[l4 + 6] = (seq >>> 8) & 0xff;
  dst[l4 + 7] = seq & 0xff;
  // FIN and PSH belong to the last segment only; CWR to the first only (RFC 3168 §6.1.2).
  let flags = src[l4 + 13]!;
  if (!last) flags &= ~(TCP_FIN | TCP_PSH);
  if (index !== 0) flags &= ~TCP_CWR;
  dst[l4 + 13] = flags;
  // RFC 9293 §3.1: checksum over the pseudo-header (src, dst, zero, PTCL, TCP length)
  // and the TCP header + data, with the checksum field taken as zero.
  const at = l4 + TCP_CHECKSUM_OFFSET;
  dst[at] = 0;
  dst[at + 1] = 0;
  const pseudo = addInternetChecksum(dst, ip + 12, ip + 20, PROTOCOL_TCP + (dst.length - l4));
  const tcpChecksum = finishInternetChecksum(addInternetChecksum(dst, l4, dst.length, pseudo));
  dst[at] = tcpChecksum >>> 8;
  dst[at + 1] = tcpChecksum & 0xff;
}
