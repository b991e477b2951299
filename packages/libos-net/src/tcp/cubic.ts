/**
 * CUBIC congestion control (RFC 9438): the window follows a cubic function of the time
 * since the last congestion event, concave up to the previous maximum W_max, flat
 * near it, convex beyond; never slower than an AIMD flow with the same decrease
 * (the Reno-friendly region).
 *
 * ```text
 *  cwnd                                         ..··
 *    │                 convex (probing) ──► .·'
 *  W_max ┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄┄·····'
 *    │            ..···'''      ▲ plateau at t = K
 *    │       .·''  ◄── concave
 *  β·W_max ·'
 *    └──────────────────────────────┬────────────────► t (since epoch start)
 *                                   K = ∛(W_max·(1−β)/C)
 * ```
 *
 * Windows are kept in bytes; the cubic formula is evaluated in segments (C = 0.4
 * segments/s³) and scaled by SMSS.
 */

import type { Micros } from '@libos/sched';
import {
  type CongestionControlFactory,
  type CongestionEvent,
  LossBasedCongestionControl,
} from './congestion-control.js';

// RFC 9438 §4.1 constants.
const C = 0.4;
const BETA = 0.7;
// RFC 9438 §4.3: α_cubic = 3·(1 − β_cubic) / (1 + β_cubic).
const ALPHA_AIMD = (3 * (1 - BETA)) / (1 + BETA);
const MICROS_PER_SECOND = 1_000_000;

/**
 * CUBIC (RFC 9438) on top of the shared RFC 5681 slow start, fast recovery and timeout
 * handling of {@link LossBasedCongestionControl}.
 *
 * - Multiplicative decrease (§4.6): ssthresh = FlightSize · β_cubic (0.7), floored at 2·SMSS.
 * - Fast convergence (§4.7): on loss, W_max = cwnd·(1 + β)/2 if cwnd is below the previous
 *   W_max, else cwnd.
 * - Timeout (§4.8): cwnd = 1·SMSS as in Reno; the first congestion-avoidance epoch after it
 *   uses K = 0 and W_max = the window at its start.
 * - Each congestion-avoidance epoch starts on the first ACK after slow start or recovery
 *   (§4.2: t_epoch, cwnd_epoch, K = ∛((W_max − cwnd_epoch)/C), W_est = cwnd_epoch).
 * - Per ACK (§4.3–§4.5): W_est += α·acked/cwnd; if W_cubic(t) < W_est the window follows
 *   W_est (Reno-friendly), else it moves toward target = W_cubic(t + RTT) clamped to
 *   [cwnd, 1.5·cwnd] by (target − cwnd)/cwnd per acknowledged SMSS.
 *
 * Not implemented: HyStart++ (slow start is standard), spurious-loss undo (§4.9).
 *
 * @example
 * ```ts
 * import { Cubic } from '@libos/net';
 * const cc = new Cubic(1000);
 * cc.onEnterRecovery(100_000, 0, 'sack-pipe'); // W_max 100 kB, ssthresh = cwnd = 70 kB
 * cc.onExitRecovery(0);
 * cc.onAck(1000, 70_000, 1_000_000, 50_000);    // epoch starts, K = ∛(30/0.4) ≈ 4.217 s
 * ```
 */
export class Cubic extends LossBasedCongestionControl {
  /** `'cubic'`. */
  readonly name = 'cubic';
  #wMax: number | undefined;
  #epochStart: Micros | undefined;
  #k = 0;
  #wEst = 0;
  #alpha = 1;
  #cwndPrior = 0;

  /** W_max in bytes: the window before the last reduction (after fast convergence), `undefined` before any loss or after a timeout until the next epoch starts. */
  get wMax(): number | undefined {
    return this.#wMax;
  }

  /** Start of the current congestion-avoidance epoch (µs), `undefined` outside one. */
  get epochStart(): Micros | undefined {
    return this.#epochStart;
  }

  /** K of the current epoch in seconds: when W_cubic reaches W_max (RFC 9438 §4.2). */
  get k(): number {
    return this.#k;
  }

  /** W_est of the current epoch in bytes (RFC 9438 §4.3). */
  get renoEstimate(): number {
    return this.#wEst;
  }

  /**
   * W_cubic(t) of the current epoch in bytes (RFC 9438 §4.2 eq. 1), for `t` seconds after
   * the epoch start. `undefined` outside an epoch.
   *
   * @param t Seconds since the epoch start.
   * @returns The cubic window in bytes.
   */
  windowAt(t: number): number | undefined {
    if (this.#wMax === undefined || this.#epochStart === undefined) return undefined;
    return this.#cubic(t, this.#wMax);
  }

  /** RFC 9438 §4.2–§4.5 growth. */
  protected congestionAvoidance(ackedBytes: number, now: Micros, rtt: Micros | undefined): void {
    const mss = this.mss;
    if (this.#epochStart === undefined) this.#startEpoch(now);
    const wMax = this.#wMax ?? this.window;
    // §4.3: W_est += α_cubic · segments_acked / cwnd (in bytes: α · acked · SMSS / cwnd).
    this.#wEst += (this.#alpha * ackedBytes * mss) / this.window;
    if (this.#wEst >= this.#cwndPrior) this.#alpha = 1; // §4.3: α_cubic = 1 once W_est ≥ cwnd_prior.
    const t = Math.max(0, now - (this.#epochStart ?? now)) / MICROS_PER_SECOND;
    if (this.#cubic(t, wMax) < this.#wEst) {
      // §4.3 Reno-friendly region: cwnd = W_est (never shrinking without loss).
      this.window = Math.max(this.window, this.#wEst);
      return;
    }
    // §4.4/§4.5: target = W_cubic(t + RTT), clamped to [cwnd, 1.5·cwnd].
    const horizon = t + (rtt !== undefined && rtt > 0 ? rtt / MICROS_PER_SECOND : 0);
    const target = Math.min(Math.max(this.#cubic(horizon, wMax), this.window), 1.5 * this.window);
    // cwnd += (target − cwnd)/cwnd per acknowledged segment.
    this.window += ((target - this.window) / this.window) * ackedBytes;
  }

  /** RFC 9438 §4.6–§4.8 decrease; returns FlightSize · β_cubic. */
  protected decrease(flightSize: number, _now: Micros, event: CongestionEvent): number {
    const cwnd = this.window;
    if (event === 'timeout') {
      // §4.8: the next epoch uses K = 0 and W_max = its starting window.
      this.#wMax = undefined;
    } else if (this.#wMax !== undefined && cwnd < this.#wMax) {
      // §4.7 fast convergence: release bandwidth to newer flows.
      this.#wMax = (cwnd * (1 + BETA)) / 2;
    } else {
      this.#wMax = cwnd;
    }
    this.#cwndPrior = cwnd;
    this.#epochStart = undefined;
    return flightSize * BETA;
  }

  /** After an idle restart the next epoch starts afresh from the reduced window. */
  protected override restarted(): void {
    this.#epochStart = undefined;
  }

  #startEpoch(now: Micros): void {
    const cwnd = this.window;
    this.#epochStart = now;
    if (this.#wMax === undefined || this.#wMax <= cwnd) {
      // §4.8 (and no earlier loss): K = 0, W_max = cwnd_epoch.
      this.#wMax = cwnd;
      this.#k = 0;
    } else {
      // §4.2 eq. 2: K = ∛((W_max − cwnd_epoch) / C), in segments.
      this.#k = Math.cbrt((this.#wMax - cwnd) / this.mss / C);
    }
    this.#wEst = cwnd; // §4.3: W_est = cwnd_epoch.
    this.#alpha = cwnd >= this.#cwndPrior ? 1 : ALPHA_AIMD;
  }

  /** §4.2 eq. 1 in bytes: (C·(t − K)³ + W_max/SMSS) · SMSS. */
  #cubic(t: number, wMax: number): number {
    const d = t - this.#k;
    return (C * d * d * d + wMax / this.mss) * this.mss;
  }
}

/**
 * Factory for {@link Cubic}.
 *
 * @param mss The sender maximum segment size in bytes.
 * @returns A CUBIC controller with the RFC 6928 initial window.
 *
 * @example
 * ```ts
 * import { cubic } from '@libos/net';
 * cubic(1460).name; // 'cubic'
 * ```
 */
export const cubic: CongestionControlFactory = (mss) => new Cubic(mss);
