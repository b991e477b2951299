/**
 * Rate limits of the fault injector: a frame budget per fixed interval and a byte token
 * bucket, both driven by the caller's clock.
 */
import { PhyError } from './phy-error.js';

/**
 * A rate limit: frames per interval and/or bytes per second. A frame over either limit
 * is dropped (as a policer does), not delayed.
 *
 * @example
 * ```ts
 * import type { RateLimit } from '@libos/net';
 * const tenPerMs: RateLimit = { framesPerInterval: 10, intervalMicros: 1_000 };
 * const oneMbit: RateLimit = { bytesPerSecond: 125_000, burstBytes: 3_000 };
 * ```
 */
export interface RateLimit {
  /** Frames admitted per interval (the budget refills at each interval boundary). */
  readonly framesPerInterval?: number;
  /** Length of that interval in µs. Default 1 s. */
  readonly intervalMicros?: number;
  /** Sustained byte rate of a token bucket refilled continuously. */
  readonly bytesPerSecond?: number;
  /** Bucket size in bytes (the largest burst). Default: 100 ms worth, at least one largest frame. */
  readonly burstBytes?: number;
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new PhyError('INVALID_OPTION', `${name} ${value} is not a positive number`);
  }
  return value;
}

/** Enforces a {@link RateLimit}; state starts full at the first frame seen. */
export class RateLimiter {
  readonly #framesPerInterval: number | undefined;
  readonly #interval: number;
  readonly #bytesPerMicro: number;
  readonly #burst: number;
  #windowStart = Number.NaN;
  #framesLeft = 0;
  #tokens = 0;
  #lastRefill = Number.NaN;

  /**
   * @param limit The limit.
   * @param largestFrame Lower bound of the default burst.
   * @throws {@link PhyError} `INVALID_OPTION` for non-positive values.
   */
  constructor(limit: RateLimit, largestFrame: number) {
    this.#framesPerInterval = positive(limit.framesPerInterval, 'framesPerInterval');
    this.#interval = positive(limit.intervalMicros, 'intervalMicros') ?? 1_000_000;
    const bytesPerSecond = positive(limit.bytesPerSecond, 'bytesPerSecond');
    this.#bytesPerMicro = bytesPerSecond === undefined ? 0 : bytesPerSecond / 1_000_000;
    this.#burst =
      positive(limit.burstBytes, 'burstBytes') ??
      Math.max(largestFrame, (bytesPerSecond ?? 0) / 10);
    if (this.#framesPerInterval !== undefined && !Number.isInteger(this.#framesPerInterval)) {
      throw new PhyError('INVALID_OPTION', 'framesPerInterval must be an integer');
    }
  }

  /** Whether a frame of `length` bytes may pass at `now`; consumes budget if so. */
  admit(length: number, now: number): boolean {
    const frames = this.#framesPerInterval;
    if (frames !== undefined) {
      if (!(now - this.#windowStart < this.#interval)) {
        // Align windows to the first one: [start + k·interval, start + (k+1)·interval).
        this.#windowStart = Number.isNaN(this.#windowStart)
          ? now
          : now - ((now - this.#windowStart) % this.#interval);
        this.#framesLeft = frames;
      }
      if (this.#framesLeft < 1) return false;
    }
    if (this.#bytesPerMicro > 0) {
      this.#tokens = Number.isNaN(this.#lastRefill)
        ? this.#burst
        : Math.min(this.#burst, this.#tokens + (now - this.#lastRefill) * this.#bytesPerMicro);
      this.#lastRefill = now;
      if (this.#tokens < length) return false;
      this.#tokens -= length;
    }
    if (frames !== undefined) this.#framesLeft--;
    return true;
  }
}
