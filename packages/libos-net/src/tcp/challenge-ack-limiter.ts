/**
 * The per-connection rate limit on RFC 5961 challenge ACKs.
 */
import type { Micros } from '@libos/sched';

/**
 * Allows at most `limit` challenge ACKs per `interval` µs (RFC 5961 §7 recommends a
 * limit; per connection avoids Linux's old global-counter side channel, CVE-2016-5696).
 *
 * @example
 * ```ts
 * import { ChallengeAckLimiter } from '@libos/net';
 * const limiter = new ChallengeAckLimiter(10, 5_000_000);
 * if (limiter.allow(now)) sendChallengeAck();
 * ```
 */
export class ChallengeAckLimiter {
  /** Challenge ACKs allowed per interval. */
  readonly limit: number;
  /** Interval length in µs. */
  readonly interval: Micros;
  #windowStart = Number.NEGATIVE_INFINITY;
  #sent = 0;

  /**
   * @param limit Challenge ACKs allowed per interval (default 10).
   * @param interval Interval length in µs (default 5 s).
   */
  constructor(limit = 10, interval: Micros = 5_000_000) {
    this.limit = limit;
    this.interval = interval;
  }

  /**
   * Whether one more challenge ACK may be sent at `now`; counts it when allowed.
   *
   * @param now Current time (µs).
   */
  allow(now: Micros): boolean {
    if (now - this.#windowStart >= this.interval) {
      this.#windowStart = now;
      this.#sent = 0;
    }
    if (this.#sent >= this.limit) return false;
    this.#sent++;
    return true;
  }
}
