/**
 * What a network device can do beyond moving frames. A stack reads these once and
 * adapts: it skips computing checksums the device computes, and builds segments up to
 * `maxTransmitUnit` (or larger with segmentation offload).
 *
 * @example
 * ```ts
 * import type { NetDeviceCapabilities } from '@libos/net';
 * const plain: NetDeviceCapabilities = {
 *   maxTransmitUnit: 1500,
 *   maxBurstSize: 64,
 *   checksumOffload: { transmit: false, receive: false },
 *   segmentationOffload: false,
 * };
 * ```
 */
export interface NetDeviceCapabilities {
  /** Largest IP packet (L3 MTU, excluding the 14-byte Ethernet header) the link carries. */
  readonly maxTransmitUnit: number;
  /** Most frames the device hands over in one `receive` call or accepts between polls. */
  readonly maxBurstSize: number;
  /**
   * Checksum offloads: `transmit` — the device fills in TCP/UDP checksums of outgoing
   * frames (virtio-net VIRTIO_NET_F_CSUM); `receive` — the device reports frames whose
   * checksums it already verified (VIRTIO_NET_F_GUEST_CSUM).
   */
  readonly checksumOffload: {
    /** The device computes TCP/UDP checksums of outgoing frames. */
    readonly transmit: boolean;
    /** The device flags received frames whose checksums it verified. */
    readonly receive: boolean;
  };
  /** Whether the device accepts TCP segments larger than the MTU and splits them (TSO). */
  readonly segmentationOffload: boolean;
}

/**
 * Called once per received frame. `frame` is a view of the device's own buffer and is
 * valid only during the call: parse it in place, copy out what must outlive the call.
 * `checksumVerified` is true when the device has already validated the L4 checksum.
 *
 * @example
 * ```ts
 * import type { FrameReceiver } from '@libos/net';
 * const count: FrameReceiver = (frame) => { bytes += frame.length; };
 * ```
 */
export type FrameReceiver = (frame: Uint8Array, checksumVerified: boolean) => void;

/**
 * Called with a device transmit buffer of exactly the requested length, to be filled
 * with one complete Ethernet frame. The buffer is valid only during the call; the
 * device sends it when the call returns.
 *
 * @example
 * ```ts
 * import type { FrameFiller } from '@libos/net';
 * const broadcastArp: FrameFiller = (buffer) => { buffer.fill(0xff, 0, 6); };
 * ```
 */
export type FrameFiller = (buffer: Uint8Array) => void;

/**
 * A network interface as the stack sees it: the consumer-owned interface that the
 * virtio-net driver, loopback, switches and test wrappers all implement. Buffers are
 * **lent**, never allocated per packet: receive hands out views of device buffers, and
 * transmit lets the caller write straight into a device buffer.
 *
 * @example
 * ```ts
 * import type { NetDevice } from '@libos/net';
 * function pump(device: NetDevice, onFrame: (frame: Uint8Array) => void): number {
 *   return device.receive((frame) => onFrame(frame), device.capabilities.maxBurstSize);
 * }
 * ```
 */
export interface NetDevice {
  /** What the device offloads and its MTU. Constant for the device's lifetime. */
  readonly capabilities: NetDeviceCapabilities;
  /** The device's Ethernet address (6 bytes). Callers must not modify it. */
  readonly macAddress: Uint8Array;
  /**
   * Lends up to `budget` received frames, one `onFrame` call each, in arrival order.
   * Returns how many frames were delivered; 0 means nothing is pending.
   */
  receive(onFrame: FrameReceiver, budget: number): number;
  /**
   * Lends a transmit buffer of `length` bytes to `fill`, then queues it for sending.
   * Returns false, without calling `fill`, when no buffer is free (back-pressure: try
   * again after the next poll) or `length` exceeds what the device can send. With
   * `segmentationOffload`, a frame longer than MTU + 14 must be a TCP segment the device
   * can split; one that turns out not to be is discarded after `fill` and `transmit`
   * returns false.
   */
  transmit(length: number, fill: FrameFiller): boolean;
}
