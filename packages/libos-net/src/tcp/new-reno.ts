/**
 * NewReno congestion control: RFC 5681 slow start and congestion avoidance with
 * RFC 3465 appropriate byte counting, RFC 6582 fast recovery (in
 * {@link LossBasedCongestionControl}), halving on loss.
 */

import type { Micros } from '@libos/sched';
import {
  type CongestionControlFactory,
  type CongestionEvent,
  LossBasedCongestionControl,
} from './congestion-control.js';

/**
 * NewReno (RFC 5681, RFC 6582). Congestion avoidance counts acknowledged bytes
 * (RFC 3465 §2.1): once a full cwnd worth of bytes has been acknowledged, cwnd grows
 * by one SMSS. On loss or timeout, ssthresh = max(FlightSize / 2, 2·SMSS)
 * (RFC 5681 eq. 4).
 *
 * @example
 * ```ts
 * import { NewReno } from '@libos/net';
 * const cc = new NewReno(1000);
 * cc.cwnd;                         // 10000 (RFC 6928 IW)
 * cc.onAck(1000, 10000, 0, undefined);
 * cc.cwnd;                         // 11000 (slow start)
 * cc.onEnterRecovery(11000, 0);    // ssthresh 5500, cwnd 8500
 * cc.onExitRecovery(0);            // cwnd 5500
 * ```
 */
export class NewReno extends LossBasedCongestionControl {
  /** `'new-reno'`. */
  readonly name = 'new-reno';
  #bytesAcked = 0;

  /** RFC 3465 §2.1 byte counting: +SMSS each time a full cwnd has been acknowledged. */
  protected congestionAvoidance(ackedBytes: number, _now: Micros, _rtt: Micros | undefined): void {
    this.#bytesAcked += ackedBytes;
    if (this.#bytesAcked >= this.window) {
      this.#bytesAcked -= this.window;
      this.window += this.mss;
    }
  }

  /** RFC 5681 eq. 4: FlightSize / 2 (floored at 2·SMSS by the caller). */
  protected decrease(flightSize: number, _now: Micros, _event: CongestionEvent): number {
    this.#bytesAcked = 0;
    return flightSize / 2;
  }
}

/**
 * Factory for {@link NewReno}.
 *
 * @param mss The sender maximum segment size in bytes.
 * @returns A NewReno controller with the RFC 6928 initial window.
 *
 * @example
 * ```ts
 * import { newReno } from '@libos/net';
 * newReno(1460).cwnd; // 14600
 * ```
 */
export const newReno: CongestionControlFactory = (mss) => new NewReno(mss);
