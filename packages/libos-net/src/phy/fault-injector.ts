/**
 * A seeded, deterministic fault injector wrapping any {@link NetDevice}.
 */
import { type Clock, type Seed, Xoshiro128StarStar } from '@libos/sched';
import type {
  FrameFiller,
  FrameReceiver,
  NetDevice,
  NetDeviceCapabilities,
} from '../net-device.js';
import { checkQueueFrames, isValidFrameLength, maxFrameBytes } from './ethernet-frame.js';
import { type FaultConfig, FaultStage, type FaultStats } from './fault-stage.js';
import { FrameRing } from './frame-ring.js';

/**
 * Options of {@link FaultInjector}.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import type { FaultInjectorOptions } from '@libos/net';
 * const options: FaultInjectorOptions = {
 *   seed: 42,
 *   clock: new VirtualClock(),
 *   tx: { dropProbability: 0.1 },
 *   rx: { delayMicros: 5_000, rateLimit: { bytesPerSecond: 1_000_000 } },
 * };
 * ```
 */
export interface FaultInjectorOptions {
  /** Seed of the generators (xoshiro128**; one independent stream per direction). */
  readonly seed: Seed;
  /** Time source (µs) for delays, reorder deadlines and rate limits. */
  readonly clock: Clock;
  /** Faults on frames received from the inner device. */
  readonly rx?: FaultConfig;
  /** Faults on frames transmitted to the inner device. */
  readonly tx?: FaultConfig;
  /** Frames each direction can hold (delayed, duplicated or awaiting the inner device). Default 64. */
  readonly queueFrames?: number;
}

/**
 * A {@link NetDevice} wrapper that damages traffic on purpose, reproducibly: per
 * direction it drops, duplicates, reorders, corrupts (one flipped bit), delays,
 * drops oversize frames and polices a rate (see {@link FaultConfig}). Decisions come
 * from a seeded xoshiro128**, so the same seed and the same input sequence (frames and
 * clock readings) give the same output sequence. Frames are copied into bounded,
 * preallocated holding queues; nothing is allocated per frame.
 *
 * Transmitted frames the inner device cannot take yet, and delayed ones, wait in the
 * queue: call {@link FaultInjector.poll} when {@link FaultInjector.pollAt} says so.
 * A fault-dropped frame still counts as accepted (`transmit` returns true: it was lost
 * on the wire); `transmit` returns false only when the holding queue is full.
 *
 * @example
 * ```ts
 * import { VirtualClock } from '@libos/sched';
 * import { createLink, FaultInjector } from '@libos/net';
 * const clock = new VirtualClock();
 * const [a, b] = createLink();
 * const lossy = new FaultInjector(a, { seed: 1, clock, tx: { dropProbability: 0.5, delayMicros: 100 } });
 * lossy.transmit(60, (f) => f.set(b.macAddress, 0));
 * clock.advanceTo(lossy.pollAt() ?? clock.now());
 * lossy.poll(); // the frame, if not dropped, reaches b now
 * ```
 */
export class FaultInjector implements NetDevice {
  /** The wrapped device. */
  readonly inner: NetDevice;
  /** What happened to received frames. */
  readonly rxStats: FaultStats;
  /** What happened to transmitted frames. */
  readonly txStats: FaultStats;
  readonly #clock: Clock;
  readonly #rx: FaultStage;
  readonly #tx: FaultStage;
  readonly #maxFrame: number;
  /** One-slot staging buffer a transmit is filled into before the faults are applied. */
  readonly #staging: FrameRing;
  #now = 0;
  #onFrame: FrameReceiver | undefined;
  #outgoing: Uint8Array | undefined;
  readonly #admitRx = (frame: Uint8Array, checksumVerified: boolean): void =>
    this.#rx.admit(frame, checksumVerified, this.#now);
  readonly #deliver = (frame: Uint8Array, checksumVerified: boolean): boolean => {
    this.#onFrame!(frame, checksumVerified);
    return true;
  };
  readonly #copyOutgoing = (buffer: Uint8Array): void => buffer.set(this.#outgoing!);
  readonly #send = (frame: Uint8Array): boolean => {
    this.#outgoing = frame;
    try {
      return this.inner.transmit(frame.length, this.#copyOutgoing);
    } finally {
      this.#outgoing = undefined;
    }
  };

  /**
   * @param inner The device whose traffic is damaged.
   * @param options Seed, clock and the faults per direction.
   * @throws {@link PhyError} `INVALID_OPTION` for a probability outside 0..1, a negative
   *   delay, a non-positive size or rate, or a non-positive queue length.
   */
  constructor(inner: NetDevice, options: FaultInjectorOptions) {
    this.inner = inner;
    this.#clock = options.clock;
    const frames = checkQueueFrames(options.queueFrames ?? 64);
    this.#maxFrame = maxFrameBytes(inner.capabilities);
    this.#rx = new FaultStage(
      options.rx ?? {},
      Xoshiro128StarStar.fromSeed(options.seed, 0),
      frames,
      this.#maxFrame,
    );
    this.#tx = new FaultStage(
      options.tx ?? {},
      Xoshiro128StarStar.fromSeed(options.seed, 1),
      frames,
      this.#maxFrame,
    );
    this.rxStats = this.#rx.stats;
    this.txStats = this.#tx.stats;
    this.#staging = new FrameRing(1, this.#maxFrame);
  }

  /** The inner device's capabilities. */
  get capabilities(): NetDeviceCapabilities {
    return this.inner.capabilities;
  }

  /** The inner device's MAC. */
  get macAddress(): Uint8Array {
    return this.inner.macAddress;
  }

  /**
   * Delivers up to `budget` frames: first held frames now due, then frames pulled one by
   * one from the inner device through the faults (while the holding queue has room).
   */
  receive(onFrame: FrameReceiver, budget: number): number {
    this.#now = this.#clock.now();
    const outer = this.#onFrame;
    this.#onFrame = onFrame;
    try {
      let delivered = this.#rx.release(this.#now, this.#deliver, budget);
      while (delivered < budget && this.#rx.canAdmit) {
        if (this.inner.receive(this.#admitRx, 1) === 0) break;
        delivered += this.#rx.release(this.#now, this.#deliver, budget - delivered);
      }
      return delivered;
    } finally {
      this.#onFrame = outer;
    }
  }

  /**
   * Fills a frame, applies the transmit faults and sends what survives when due. False
   * (without calling `fill`) for a length the inner device cannot send or when the
   * holding queue is full.
   */
  transmit(length: number, fill: FrameFiller): boolean {
    if (!isValidFrameLength(length, this.#maxFrame)) return false;
    const now = this.#clock.now();
    this.#tx.release(now, this.#send, Number.POSITIVE_INFINITY);
    if (!this.#tx.canAdmit) {
      this.#tx.stats.refused++;
      return false;
    }
    const frame = this.#staging.push(length, fill);
    this.#staging.drop();
    this.#tx.admit(frame, false, now);
    this.#tx.release(now, this.#send, Number.POSITIVE_INFINITY);
    return true;
  }

  /**
   * Sends the transmitted frames that are due and the inner device accepts. Returns how
   * many were sent. Received frames need no poll: `receive` releases them.
   */
  poll(): number {
    return this.#tx.release(this.#clock.now(), this.#send, Number.POSITIVE_INFINITY);
  }

  /**
   * When {@link FaultInjector.poll} (for transmitted frames) or `receive` (for received
   * ones) next has something to release, in µs; undefined when nothing is held. A time
   * not after now means "now" (e.g. frames waiting for the inner device).
   */
  pollAt(): number | undefined {
    const tx = this.#tx.nextDue();
    const rx = this.#rx.nextDue();
    if (tx === undefined) return rx;
    if (rx === undefined) return tx;
    return Math.min(tx, rx);
  }
}
