/**
 * The loopback device: what it transmits, it receives.
 */
import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';
import {
  checkMacAddress,
  checkMaxTransmitUnit,
  checkQueueFrames,
  isValidFrameLength,
  maxFrameBytes,
  plainCapabilities,
} from './ethernet-frame.js';
import { FrameRing } from './frame-ring.js';

/**
 * Options of {@link createLoopback}.
 *
 * @example
 * ```ts
 * import { createLoopback, type LoopbackOptions } from '@libos/net';
 * const options: LoopbackOptions = { maxTransmitUnit: 9000, queueFrames: 16 };
 * const lo = createLoopback(options);
 * ```
 */
export interface LoopbackOptions {
  /** L3 MTU. Default 1500 (every slot is preallocated at MTU + 14 bytes). */
  readonly maxTransmitUnit?: number;
  /** Frames queued before `transmit` returns false. Default 64. */
  readonly queueFrames?: number;
  /** The device's MAC. Default 00:00:00:00:00:00, as Linux `lo`. */
  readonly macAddress?: Uint8Array;
}

/**
 * Counters of a {@link Loopback}.
 *
 * @example
 * ```ts
 * import { createLoopback } from '@libos/net';
 * const lo = createLoopback();
 * console.log(lo.stats.transmitted, lo.stats.received, lo.stats.refused);
 * ```
 */
export interface LoopbackStats {
  /** Frames accepted by `transmit`. */
  transmitted: number;
  /** Frames delivered by `receive`. */
  received: number;
  /** `transmit` calls refused because the queue was full. */
  refused: number;
}

/**
 * A {@link NetDevice} whose transmitted frames come back, in order and byte for byte,
 * from its own `receive`. The queue is bounded and preallocated: a full queue refuses
 * `transmit` (back-pressure) instead of dropping. Create with {@link createLoopback}.
 *
 * @example
 * ```ts
 * import { createLoopback } from '@libos/net';
 * const lo = createLoopback();
 * lo.transmit(60, (frame) => frame.fill(0xff, 0, 6));
 * lo.receive((frame) => console.log(frame.length), 8); // 60
 * ```
 */
export class Loopback implements NetDevice {
  /** MTU, burst size (the queue length), no offloads. */
  readonly capabilities: NetDeviceCapabilities;
  /** The device's MAC. */
  readonly macAddress: Uint8Array;
  /** Counters. */
  readonly stats: LoopbackStats = { transmitted: 0, received: 0, refused: 0 };
  readonly #queue: FrameRing;
  readonly #maxFrame: number;

  /**
   * Prefer {@link createLoopback}.
   *
   * @param options Sizes and MAC; see {@link LoopbackOptions}.
   * @throws {@link PhyError} `INVALID_OPTION` for an MTU outside 68..65535, a
   *   non-positive queue size or a MAC that is not 6 bytes.
   */
  constructor(options: LoopbackOptions = {}) {
    const mtu = checkMaxTransmitUnit(options.maxTransmitUnit ?? 1500);
    const frames = checkQueueFrames(options.queueFrames ?? 64);
    this.capabilities = plainCapabilities(mtu, frames);
    this.macAddress = checkMacAddress(options.macAddress ?? new Uint8Array(6));
    this.#maxFrame = maxFrameBytes(this.capabilities);
    this.#queue = new FrameRing(frames, this.#maxFrame);
  }

  /** Delivers up to `budget` looped-back frames, oldest first. */
  receive(onFrame: FrameReceiver, budget: number): number {
    let n = 0;
    while (n < budget && this.#queue.shift(onFrame)) n++;
    this.stats.received += n;
    return n;
  }

  /** Queues one frame to come back through `receive`; false when the queue is full. */
  transmit(length: number, fill: FrameFiller): boolean {
    if (!isValidFrameLength(length, this.#maxFrame)) return false;
    if (this.#queue.full) {
      this.stats.refused++;
      return false;
    }
    this.#queue.push(length, fill);
    this.stats.transmitted++;
    return true;
  }
}

/**
 * Makes a loopback {@link NetDevice}: frames it transmits are received by itself.
 *
 * @param options Sizes and MAC; see {@link LoopbackOptions}.
 * @throws {@link PhyError} `INVALID_OPTION` for out-of-range options.
 * @example
 * ```ts
 * import { createLoopback } from '@libos/net';
 * const lo = createLoopback({ queueFrames: 8 });
 * lo.transmit(64, (frame) => frame.set(lo.macAddress, 0));
 * lo.receive((frame) => console.log('looped', frame.length), 8);
 * ```
 */
export function createLoopback(options: LoopbackOptions = {}): Loopback {
  return new Loopback(options);
}
