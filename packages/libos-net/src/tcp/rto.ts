/**
 * The retransmission-timeout estimator of RFC 6298: a smoothed round-trip time
 * (SRTT), its variation (RTTVAR), the timeout derived from both, and exponential
 * back-off when the timer fires.
 *
 * ```text
 *  sample(R) ──► SRTT, RTTVAR ──► base = clamp(SRTT + max(G, 4·RTTVAR), min, max)
 *  backoff() ──► rto = min(base · 2^backoffs, max)      sample() resets backoffs to 0
 * ```
 */

import type { Micros } from '@libos/sched';
import { TcpError } from './tcp-stream.js';

const SECOND = 1_000_000;
// RFC 6298 §2: α = 1/8, β = 1/4, K = 4.
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;
// RFC 6298 §5.7: the RTO used once data transmission begins after a lost SYN.
const SYN_LOSS_RTO = 3 * SECOND;

/**
 * Tuning of an {@link RtoEstimator}. Every value is in microseconds.
 *
 * @example
 * ```ts
 * import { RtoEstimator, type RtoEstimatorOptions } from '@libos/net';
 * const rfcStrict: RtoEstimatorOptions = { min: 1_000_000 }; // RFC 6298 §2.4
 * new RtoEstimator(rfcStrict).rto; // 1_000_000
 * ```
 */
export interface RtoEstimatorOptions {
  /** RTO before the first RTT sample (RFC 6298 §2.1); default 1 s. */
  readonly initial?: Micros;
  /** Lower bound of a computed RTO; default 200 ms as in Linux (RFC 6298 §2.4 says 1 s). */
  readonly min?: Micros;
  /** Upper bound of the RTO, also capping back-off (RFC 6298 §2.5: at least 60 s); default 60 s. */
  readonly max?: Micros;
  /** Clock granularity G of RFC 6298 §2 (the floor of the variance term); default 1 ms. */
  readonly granularity?: Micros;
}

/**
 * RFC 6298 retransmission-timeout computation. The caller applies Karn's rule
 * (RFC 6298 §3: never sample an RTT from a retransmitted segment, unless timestamps
 * disambiguate it), calls {@link RtoEstimator.backoff} each time the retransmission
 * timer expires (§5.5), and arms the timer with {@link RtoEstimator.rto}.
 *
 * SRTT and RTTVAR are kept exactly (fractional microseconds); the RTO is rounded up
 * to a whole microsecond.
 *
 * @example
 * ```ts
 * import { RtoEstimator } from '@libos/net';
 * const est = new RtoEstimator({ min: 1_000_000 });
 * est.sample(100_000);   // SRTT 100 ms, RTTVAR 50 ms → 100 + 4·50 = 300 ms → 1 s (min)
 * est.rto;               // 1_000_000
 * est.backoff();         // timer expired
 * est.rto;               // 2_000_000
 * ```
 */
export class RtoEstimator {
  readonly #min: Micros;
  readonly #max: Micros;
  readonly #granularity: Micros;
  #srtt: Micros | undefined;
  #rttvar: Micros | undefined;
  #base: Micros;
  #backoffs = 0;

  /**
   * @param opts Initial RTO and bounds; see {@link RtoEstimatorOptions}.
   * @throws {@link TcpError} `EINVAL` if a value is negative or not finite, `min > max`,
   *   or `initial` is outside `[min, max]`.
   */
  constructor(opts: RtoEstimatorOptions = {}) {
    const initial = opts.initial ?? SECOND;
    this.#min = opts.min ?? 200_000;
    this.#max = opts.max ?? 60 * SECOND;
    this.#granularity = opts.granularity ?? 1_000;
    for (const [name, value] of [
      ['initial', initial],
      ['min', this.#min],
      ['max', this.#max],
      ['granularity', this.#granularity],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) {
        throw new TcpError(
          'EINVAL',
          `RtoEstimator ${name} must be a finite non-negative number of µs, got ${value}`,
        );
      }
    }
    if (this.#min > this.#max || initial < this.#min || initial > this.#max) {
      throw new TcpError(
        'EINVAL',
        `RtoEstimator needs min ≤ initial ≤ max, got ${this.#min} ≤ ${initial} ≤ ${this.#max}`,
      );
    }
    this.#base = Math.ceil(initial);
  }

  /** The timeout to arm the retransmission timer with now: the computed RTO times 2^{@link RtoEstimator.backoffs}, capped at `max` (µs). */
  get rto(): Micros {
    // RFC 6298 §5.5 back-off, bounded by the §2.5 maximum.
    return Math.min(this.#base * 2 ** this.#backoffs, this.#max);
  }

  /** The smoothed round-trip time (µs), `undefined` before the first sample. */
  get srtt(): Micros | undefined {
    return this.#srtt;
  }

  /** The round-trip time variation (µs), `undefined` before the first sample. */
  get rttvar(): Micros | undefined {
    return this.#rttvar;
  }

  /** How many times the timer has been backed off since the last sample or {@link RtoEstimator.resetBackoff}. */
  get backoffs(): number {
    return this.#backoffs;
  }

  /**
   * Feeds one round-trip-time measurement (RFC 6298 §2.2–§2.3) and recomputes the RTO,
   * which also clears any back-off (the new estimate replaces the backed-off value).
   *
   * @param rtt The measured round-trip time in µs (finite, ≥ 0).
   * @throws {@link TcpError} `EINVAL` if `rtt` is negative or not finite.
   */
  sample(rtt: Micros): void {
    if (!Number.isFinite(rtt) || rtt < 0) {
      throw new TcpError(
        'EINVAL',
        `RTT sample must be a finite non-negative number of µs, got ${rtt}`,
      );
    }
    if (this.#srtt === undefined || this.#rttvar === undefined) {
      // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      // RFC 6298 §2.3: RTTVAR is updated first, with the old SRTT.
      this.#rttvar = (1 - BETA) * this.#rttvar + BETA * Math.abs(this.#srtt - rtt);
      this.#srtt = (1 - ALPHA) * this.#srtt + ALPHA * rtt;
    }
    // RFC 6298 §2.2/§2.3: RTO <- SRTT + max(G, K·RTTVAR); §2.4/§2.5 bounds.
    const computed = this.#srtt + Math.max(this.#granularity, K * this.#rttvar);
    this.#base = Math.ceil(Math.min(Math.max(computed, this.#min), this.#max));
    this.#backoffs = 0;
  }

  /** The retransmission timer expired (RFC 6298 §5.5): doubles {@link RtoEstimator.rto}, capped at `max`. */
  backoff(): void {
    if (this.rto < this.#max) this.#backoffs += 1;
  }

  /** Drops the back-off so {@link RtoEstimator.rto} returns to the last computed value (e.g. new data was ACKed without a usable sample). */
  resetBackoff(): void {
    this.#backoffs = 0;
  }

  /**
   * RFC 6298 §5.7: the SYN (or SYN-ACK) was retransmitted because the timer expired, so
   * once the connection is established the RTO must be at least 3 s (until a sample).
   * Call this when entering ESTABLISHED after such a timeout. Clears the back-off.
   */
  restartAfterSynTimeout(): void {
    this.#base = Math.min(Math.max(this.#base, SYN_LOSS_RTO), this.#max);
    this.#backoffs = 0;
  }
}
