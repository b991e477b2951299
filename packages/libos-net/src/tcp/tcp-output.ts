/**
 * The seam between the TCP layer and the IP layer below it.
 */
import type { Ipv4Address } from '../wire/ipv4-address.js';

/**
 * What {@link TcpOutput.route} reports about the path to a peer.
 *
 * @example
 * ```ts
 * import type { TcpRoute } from '@libos/net';
 * const route: TcpRoute = { source: 0x0a000002, mtu: 1500 };
 * ```
 */
export interface TcpRoute {
  /** Our address on the route (the segments' source). */
  readonly source: Ipv4Address;
  /** The route's MTU in bytes (IP header included); the MSS we announce is MTU − 40. */
  readonly mtu: number;
  /**
   * With TCP segmentation offload (TSO): the longest segment (TCP header + options +
   * payload) {@link TcpOutput.send} accepts in one piece, which the device cuts into
   * segments of MTU − 40 − options payload bytes, copying the header. Absent without TSO.
   */
  readonly offloadSegmentLength?: number;
}

/**
 * Where a {@link TcpLayer} sends segments. The stack implements it over IPv4 (protocol 6);
 * tests implement it with an in-memory wire.
 *
 * @example
 * ```ts
 * import type { TcpOutput } from '@libos/net';
 * const sent: Uint8Array[] = [];
 * const output: TcpOutput = {
 *   route: () => ({ source: 0x0a000002, mtu: 1500 }),
 *   send(_source, _destination, length, write) {
 *     const segment = new Uint8Array(length);
 *     write(segment, true);
 *     sent.push(segment);
 *     return true;
 *   },
 * };
 * ```
 */
export interface TcpOutput {
  /**
   * The source address and path MTU towards `destination`, or undefined without a route.
   *
   * @param destination The peer's address.
   */
  route(destination: Ipv4Address): TcpRoute | undefined;
  /**
   * Sends one segment of `length` bytes: the callee lends a buffer and calls `write`
   * once, which fills header and payload. The callee passes `checksum` true to have
   * `write` compute the TCP checksum, false when the device computes it (offload).
   * Returns false when the segment was dropped (no route, queue full): TCP recovers by
   * retransmission.
   *
   * @param source Our address.
   * @param destination The peer's address.
   * @param length Segment length (TCP header + options + payload).
   * @param write Fills the lent buffer; its second argument says whether to compute the checksum.
   */
  send(
    source: Ipv4Address,
    destination: Ipv4Address,
    length: number,
    write: (segment: Uint8Array, checksum: boolean) => void,
  ): boolean;
}
