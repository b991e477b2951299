/**
 * One direction of the fault injector: decides each frame's fate with a seeded
 * generator, then holds survivors until they are due.
 *
 * ```text
 *   admit(frame) ─▶ oversize? ─▶ rate limit? ─▶ drop? ─▶ corrupt / duplicate / reorder?
 *                                                          │                    │
 *                                              queue (FIFO, due = now + delay)  held slot
 *   release(now) ◀── frames with due ≤ now, a held frame right after the next newer one
 * ```
 */
import type { Xoshiro128StarStar } from '@libos/sched';
import { FrameRing } from './frame-ring.js';
import { PhyError } from './phy-error.js';
import { type RateLimit, RateLimiter } from './rate-limiter.js';

/**
 * Faults applied to one direction of a {@link FaultInjector}. Every field is optional;
 * an empty config passes frames unchanged.
 *
 * @example
 * ```ts
 * import type { FaultConfig } from '@libos/net';
 * const lossy: FaultConfig = { dropProbability: 0.05, corruptProbability: 0.01, delayMicros: 2_000 };
 * ```
 */
export interface FaultConfig {
  /** Chance (0..1) that a frame is lost. */
  readonly dropProbability?: number;
  /** Chance (0..1) that a frame is delivered twice. */
  readonly duplicateProbability?: number;
  /** Chance (0..1) that one random bit of a frame is flipped. */
  readonly corruptProbability?: number;
  /** Chance (0..1) that a frame is held back and delivered after the next one. */
  readonly reorderProbability?: number;
  /** Longest a reordered frame waits for a newer one to overtake it, µs. Default 1000. */
  readonly reorderHoldMicros?: number;
  /** Latency added to every frame, µs (frames wait until `now >= due`). Default 0. */
  readonly delayMicros?: number;
  /** Frames longer than this many bytes are dropped. */
  readonly maxFrameSize?: number;
  /** Frames over this rate are dropped. */
  readonly rateLimit?: RateLimit;
}

/**
 * What a {@link FaultInjector} did in one direction.
 *
 * @example
 * ```ts
 * import type { FaultStats } from '@libos/net';
 * const lossRate = (s: FaultStats): number => (s.dropped + s.rateLimited + s.oversize) / s.frames;
 * ```
 */
export interface FaultStats {
  /** Frames offered to the injector. */
  frames: number;
  /** Frames (and duplicates) handed on. */
  passed: number;
  /** Frames lost to `dropProbability`. */
  dropped: number;
  /** Frames lost to the rate limit. */
  rateLimited: number;
  /** Frames lost for exceeding `maxFrameSize`. */
  oversize: number;
  /** Frames with a flipped bit. */
  corrupted: number;
  /** Frames duplicated. */
  duplicated: number;
  /** Frames held back to be overtaken. */
  reordered: number;
  /** Transmit calls refused because the holding queue was full (back-pressure). */
  refused: number;
}

/** Hands on a frame; false when the receiver cannot take it now (back-pressure). */
export type FrameEmitter = (frame: Uint8Array, checksumVerified: boolean) => boolean;

function probability(value: number | undefined, name: string): number {
  const p = value ?? 0;
  if (!(p >= 0 && p <= 1)) throw new PhyError('INVALID_OPTION', `${name} ${p} is outside 0..1`);
  return p;
}

function micros(value: number | undefined, name: string, fallback: number): number {
  const v = value ?? fallback;
  if (!(v >= 0) || !Number.isFinite(v)) {
    throw new PhyError('INVALID_OPTION', `${name} ${v} is not a non-negative number of µs`);
  }
  return v;
}

/** One direction's fault logic and holding queue. */
export class FaultStage {
  /** Counters. */
  readonly stats: FaultStats = {
    frames: 0,
    passed: 0,
    dropped: 0,
    rateLimited: 0,
    oversize: 0,
    corrupted: 0,
    duplicated: 0,
    reordered: 0,
    refused: 0,
  };
  readonly #rng: Xoshiro128StarStar;
  readonly #drop: number;
  readonly #duplicate: number;
  readonly #corrupt: number;
  readonly #reorder: number;
  readonly #reorderHold: number;
  readonly #delay: number;
  readonly #maxFrameSize: number;
  readonly #limiter: RateLimiter | undefined;
  readonly #queue: FrameRing;
  readonly #held: FrameRing;
  #heldDeadline = 0;
  /** Frames pushed to / taken from the queue, to know when a newer frame overtook the held one. */
  #pushed = 0;
  #popped = 0;
  #heldAfter = 0;

  /**
   * @param config The faults.
   * @param rng This direction's generator.
   * @param queueFrames Holding queue length.
   * @param frameBytes Largest frame.
   * @throws {@link PhyError} `INVALID_OPTION` for out-of-range settings.
   */
  constructor(
    config: FaultConfig,
    rng: Xoshiro128StarStar,
    queueFrames: number,
    frameBytes: number,
  ) {
    this.#rng = rng;
    this.#drop = probability(config.dropProbability, 'dropProbability');
    this.#duplicate = probability(config.duplicateProbability, 'duplicateProbability');
    this.#corrupt = probability(config.corruptProbability, 'corruptProbability');
    this.#reorder = probability(config.reorderProbability, 'reorderProbability');
    this.#reorderHold = micros(config.reorderHoldMicros, 'reorderHoldMicros', 1000);
    this.#delay = micros(config.delayMicros, 'delayMicros', 0);
    const max = config.maxFrameSize ?? Number.POSITIVE_INFINITY;
    if (!(max >= 1)) throw new PhyError('INVALID_OPTION', `maxFrameSize ${max} is not positive`);
    this.#maxFrameSize = Math.min(max, frameBytes);
    this.#limiter = config.rateLimit ? new RateLimiter(config.rateLimit, frameBytes) : undefined;
    this.#queue = new FrameRing(queueFrames, frameBytes);
    this.#held = new FrameRing(1, frameBytes);
  }

  /** Whether another frame can be admitted (the holding queue has room). */
  get canAdmit(): boolean {
    return !this.#queue.full;
  }

  /** Frames waiting (queued plus held back). */
  get pending(): number {
    return this.#queue.count + this.#held.count;
  }

  /** When the next waiting frame is due, or undefined when none waits. */
  nextDue(): number | undefined {
    let due: number | undefined = this.#queue.empty ? undefined : this.#queue.headDue;
    if (!this.#held.empty && (due === undefined || this.#heldDeadline < due)) {
      due = this.#heldDeadline;
    }
    return due;
  }

  /**
   * Decides the fate of one frame at `now` and keeps copies of the survivors. The caller
   * checks {@link FaultStage.canAdmit} first.
   */
  admit(frame: Uint8Array, checksumVerified: boolean, now: number): void {
    const stats = this.stats;
    const length = frame.length;
    stats.frames++;
    if (length > this.#maxFrameSize) {
      stats.oversize++;
      return;
    }
    if (this.#limiter && !this.#limiter.admit(length, now)) {
      stats.rateLimited++;
      return;
    }
    const rng = this.#rng;
    if (this.#drop > 0 && rng.nextFloat() < this.#drop) {
      stats.dropped++;
      return;
    }
    const corrupt = this.#corrupt > 0 && rng.nextFloat() < this.#corrupt;
    const duplicate = this.#duplicate > 0 && rng.nextFloat() < this.#duplicate;
    const reorder = this.#reorder > 0 && rng.nextFloat() < this.#reorder;
    const bit = corrupt ? rng.below(length * 8) : -1;
    const verified = checksumVerified && !corrupt;
    const due = now + this.#delay;
    let copy: Uint8Array;
    if (reorder && this.#held.empty) {
      copy = this.#held.pushCopy(frame, due, verified);
      this.#heldDeadline = due + this.#reorderHold;
      this.#heldAfter = this.#pushed;
      stats.reordered++;
    } else {
      copy = this.#queue.pushCopy(frame, due, verified);
      this.#pushed++;
    }
    if (corrupt) {
      copy[bit >>> 3]! ^= 1 << (bit & 7);
      stats.corrupted++;
    }
    if (duplicate && !this.#queue.full) {
      this.#queue.pushCopy(copy, due, verified);
      this.#pushed++;
      stats.duplicated++;
    }
  }

  /**
   * Hands frames due at `now` to `emit`, oldest first, at most `budget`; a held-back
   * frame goes right after the first newer frame, or alone at its deadline. Stops when
   * `emit` refuses. Returns how many were handed on.
   */
  release(now: number, emit: FrameEmitter, budget: number): number {
    const queue = this.#queue;
    const held = this.#held;
    let n = 0;
    while (n < budget) {
      // Held frame: out once a newer frame overtook it, or at its deadline once every
      // older frame has left.
      if (
        !held.empty &&
        (this.#popped > this.#heldAfter ||
          (this.#popped === this.#heldAfter && this.#heldDeadline <= now))
      ) {
        if (!emit(held.peek(), held.headVerified)) break;
        held.drop();
        n++;
        continue;
      }
      if (queue.empty || queue.headDue > now) break;
      if (!emit(queue.peek(), queue.headVerified)) break;
      queue.drop();
      this.#popped++;
      n++;
    }
    this.stats.passed += n;
    return n;
  }
}
