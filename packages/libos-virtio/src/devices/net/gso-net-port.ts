import type { FrameFiller, NetDevice } from '@libos/net';

/**
 * Called once per frame received from a {@link GsoNetPort}. `gsoSize` 0: an ordinary
 * frame (at most MTU + 14 bytes, checksums complete), `checksumVerified` as in
 * `FrameReceiver`. `gsoSize` > 0: a **GSO frame** — an untagged, unfragmented TCP/IPv4
 * frame of up to 65535 + 14 bytes whose TCP checksum field holds only the
 * pseudo-header sum (a partial checksum, virtio 1.2 §5.1.6.2 NEEDS_CSUM with
 * `csum_offset` 16 from the TCP header), to be cut into segments of at most `gsoSize`
 * payload bytes. Its payload was produced in-host and is trusted: `checksumVerified` is
 * true. The frame is a view valid only during the call.
 *
 * @example
 * ```ts
 * import type { GsoFrameReceiver } from '@libos/virtio';
 * const onFrame: GsoFrameReceiver = (frame, gsoSize) => {
 *   console.log(frame.length, gsoSize > 0 ? `TSO, MSS ${gsoSize}` : 'plain');
 * };
 * ```
 */
export type GsoFrameReceiver = (
  frame: Uint8Array,
  gsoSize: number,
  checksumVerified: boolean,
) => void;

/**
 * A backend port that carries large TCP/IPv4 frames **unsegmented** with their GSO
 * metadata, the way a vhost switch passes TSO frames between two guests: a
 * {@link VirtioNetDeviceModel} whose driver sent a TSO request (HOST_TSO4) hands the
 * frame over whole with {@link GsoNetPort.transmitGso}, and the device model on the other
 * end receives it with {@link GsoNetPort.receiveGso} and either passes it to its own
 * driver whole (GUEST_TSO4) or segments it. Between two libos stacks in one process no
 * segmentation happens at all.
 *
 * The metadata is deliberately minimal: a GSO frame is always TCP/IPv4 (gso_type
 * TCPV4) with a partial TCP checksum, so only `gsoSize` travels with it; `hdr_len`,
 * `csum_start` and `csum_offset` follow from the frame's own headers.
 *
 * The plain `NetDevice` methods still work: `receive` delivers GSO frames as ordinary
 * segments, and `transmit` of a frame above MTU + 14 (when `segmentationOffload`) is
 * taken as a TSO frame with the port's MSS.
 *
 * @example
 * ```ts
 * import { createOffloadLink, isGsoNetPort } from '@libos/virtio';
 * const [a] = createOffloadLink();
 * isGsoNetPort(a); // true
 * ```
 */
export interface GsoNetPort extends NetDevice {
  /** Largest GSO frame the port carries (Ethernet header included, ≤ 65535 + 14). */
  readonly maxGsoFrame: number;
  /**
   * Queues one GSO frame of `length` bytes (see {@link GsoFrameReceiver} for the
   * format), filled by `fill`, to be segmented at `gsoSize` payload bytes wherever
   * segmentation is needed.
   *
   * @param length - frame length, up to {@link GsoNetPort.maxGsoFrame}
   * @param gsoSize - payload bytes per segment (the MSS), ≥ 1
   * @param fill - writes the frame (called at most once, synchronously)
   * @returns false, without calling `fill`, when no slot is free or the arguments are
   *   out of range
   */
  transmitGso(length: number, gsoSize: number, fill: FrameFiller): boolean;
  /**
   * Lends up to `budget` received frames, GSO frames whole, in arrival order.
   *
   * @param onFrame - called once per frame
   * @param budget - most frames to deliver
   * @returns frames delivered
   */
  receiveGso(onFrame: GsoFrameReceiver, budget: number): number;
}

/**
 * Whether `port` carries GSO frames (implements {@link GsoNetPort}).
 *
 * @param port - any backend port
 * @returns true when `port` has `transmitGso`, `receiveGso` and `maxGsoFrame`
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import { isGsoNetPort } from '@libos/virtio';
 * isGsoNetPort(createLink()[0]); // false: a plain cable segments nothing and carries MTU frames
 * ```
 */
export function isGsoNetPort(port: NetDevice): port is GsoNetPort {
  const p = port as Partial<GsoNetPort>;
  return (
    typeof p.transmitGso === 'function' &&
    typeof p.receiveGso === 'function' &&
    typeof p.maxGsoFrame === 'number'
  );
}
