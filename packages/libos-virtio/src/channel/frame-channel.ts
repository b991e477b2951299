import { FrameChannelLayout as L } from './frame-channel-layout.js';
import { FrameChannelPort, type FrameChannelPortIdentity } from './frame-channel-port.js';

/**
 * Which side of a {@link FrameChannel} a port plays.
 *
 * @example
 * ```ts
 * import type { FrameChannelSide } from '@libos/virtio';
 * const side: FrameChannelSide = 'worker';
 * ```
 */
export type FrameChannelSide = 'parent' | 'worker';

/**
 * Geometry of a new {@link FrameChannel}.
 *
 * @example
 * ```ts
 * import type { FrameChannelOptions } from '@libos/virtio';
 * const options: FrameChannelOptions = { slots: 256, slotBytes: 1514 };
 * ```
 */
export interface FrameChannelOptions {
  /** Frame slots per direction (a positive integer ≤ 65536). */
  readonly slots: number;
  /** The largest frame a slot holds, in bytes (14..65549). */
  readonly slotBytes: number;
}

/**
 * A shared-memory frame channel between two threads: two bounded single-producer /
 * single-consumer rings of fixed-size frame slots in one `SharedArrayBuffer`, with
 * `Atomics` indices and a notify word per side (layout: {@link FrameChannelLayout}).
 * Each thread attaches to the same buffer and takes its own {@link FrameChannelPort},
 * a `NetDevice` (`@libos/net`) whose `transmit` feeds the other side's `receive`.
 * Browser-safe: only `SharedArrayBuffer` and `Atomics`.
 *
 * @example
 * ```ts
 * import { FrameChannel } from '@libos/virtio';
 * const channel = FrameChannel.create({ slots: 64, slotBytes: 1514 });
 * // post channel.buffer to the worker; there: FrameChannel.attach(buffer).port('worker', identity)
 * const parent = channel.port('parent', { macAddress: mac, maxTransmitUnit: 1500 });
 * ```
 */
export class FrameChannel {
  /** The shared buffer (post it to the other thread). */
  readonly buffer: SharedArrayBuffer;
  /** Slots per direction. */
  readonly slots: number;
  /** The largest frame, in bytes. */
  readonly slotBytes: number;

  private constructor(buffer: SharedArrayBuffer, slots: number, slotBytes: number) {
    this.buffer = buffer;
    this.slots = slots;
    this.slotBytes = slotBytes;
  }

  /**
   * Allocates and formats a channel.
   *
   * @param options - slots per direction and slot size
   * @returns the channel
   * @throws RangeError for a slot count outside 1..65536 or a slot size outside 14..65549
   * @example
   * ```ts
   * const channel = FrameChannel.create({ slots: 128, slotBytes: 1514 });
   * ```
   */
  static create(options: FrameChannelOptions): FrameChannel {
    const { slots, slotBytes } = options;
    if (!Number.isInteger(slots) || slots < 1 || slots > 65536) {
      throw new RangeError(`frame channel slots ${slots} is outside 1..65536`);
    }
    if (!Number.isInteger(slotBytes) || slotBytes < 14 || slotBytes > 65535 + 14) {
      throw new RangeError(`frame channel slot size ${slotBytes} is outside 14..65549`);
    }
    const buffer = new SharedArrayBuffer(L.bytesFor(slots, slotBytes));
    const words = new Int32Array(buffer, 0, 16);
    Atomics.store(words, L.SLOTS / 4, slots);
    Atomics.store(words, L.SLOT_BYTES / 4, slotBytes);
    Atomics.store(words, L.MAGIC / 4, L.MAGIC_VALUE);
    return new FrameChannel(buffer, slots, slotBytes);
  }

  /**
   * Attaches to a channel another thread created (reads its geometry from the header).
   *
   * @param buffer - the channel's buffer
   * @returns the channel
   * @throws RangeError when the buffer is not a formatted frame channel
   * @example
   * ```ts
   * const channel = FrameChannel.attach(workerData.channel);
   * ```
   */
  static attach(buffer: SharedArrayBuffer): FrameChannel {
    if (buffer.byteLength < L.SLOTS_BASE) throw new RangeError('not a frame channel: too small');
    const words = new Int32Array(buffer, 0, 16);
    const slots = Atomics.load(words, L.SLOTS / 4);
    const slotBytes = Atomics.load(words, L.SLOT_BYTES / 4);
    if (
      Atomics.load(words, L.MAGIC / 4) !== L.MAGIC_VALUE ||
      slots < 1 ||
      slotBytes < 14 ||
      buffer.byteLength < L.bytesFor(slots, slotBytes)
    ) {
      throw new RangeError('not a frame channel: bad header');
    }
    return new FrameChannel(buffer, slots, slotBytes);
  }

  /**
   * This thread's end of the channel, as a `NetDevice`.
   *
   * @param side - `'parent'` sends on ring 0 and receives on ring 1; `'worker'` the reverse
   * @param identity - the MAC address and MTU the port reports
   * @returns the port
   * @example
   * ```ts
   * const port = channel.port('worker', { macAddress: mac, maxTransmitUnit: 1500 });
   * ```
   */
  port(side: FrameChannelSide, identity: FrameChannelPortIdentity): FrameChannelPort {
    return new FrameChannelPort(this, side, identity);
  }
}
