/**
 * The contract between the TCP connection (TCB) and a loss-based congestion
 * controller, plus the shared machinery of RFC 5681 / RFC 6582 / RFC 6675 that every
 * such controller needs (slow start, fast recovery, timeout, idle restart). Concrete
 * algorithms ({@link NewReno}, {@link Cubic}) only decide the congestion-avoidance
 * increase and the multiplicative decrease.
 *
 * What the TCB calls, and when:
 *
 * ```text
 *  event (TCB side)                                   call
 *  ───────────────────────────────────────────────    ─────────────────────────────────────────
 *  ACK advances SND.UNA, not in recovery              onAck(newlyAcked, flightBefore, now, srtt)
 *  3rd duplicate ACK / RFC 6675 loss (enter FR)       onEnterRecovery(flightSize, now, mode)
 *  each further duplicate ACK while in recovery       onDuplicateAck()
 *  partial ACK (SND.UNA < recover)                    onRecoveryAck(newlyAcked, flightSize)
 *  full ACK (SND.UNA ≥ recover)                       onExitRecovery(now, flightAfter?)
 *  retransmission timer expired                       onRetransmitTimeout(flightSize, now)
 *  about to send after nothing sent for idleFor µs    onIdle(idleFor, rto)
 * ```
 */

import type { Micros } from '@libos/sched';
import { TcpError } from './tcp-stream.js';

/**
 * How the TCB runs fast recovery, which decides how the window behaves inside it:
 * - `dupack-inflation`: plain NewReno (RFC 6582 on top of RFC 5681 §3.2): the window
 *   is set to ssthresh + 3·SMSS on entry, grows by SMSS per further duplicate ACK
 *   ({@link CongestionControl.onDuplicateAck}) and is deflated on partial ACKs; the
 *   TCB may send while `SND.NXT − SND.UNA < cwnd`.
 * - `sack-pipe`: SACK-based loss recovery (RFC 6675 §5): the window is set to
 *   ssthresh on entry and left alone during recovery; the TCB may send while
 *   `pipe < cwnd`. Duplicate ACKs and partial ACKs do not change it.
 *
 * @example
 * ```ts
 * import type { RecoveryMode } from '@libos/net';
 * const mode: RecoveryMode = sackPermitted ? 'sack-pipe' : 'dupack-inflation';
 * ```
 */
export type RecoveryMode = 'dupack-inflation' | 'sack-pipe';

/**
 * A sender-side congestion controller (RFC 5681 terms; all windows in bytes). The
 * TCB owns sequence numbers, duplicate-ACK counting, the `recover` point and timers;
 * the controller owns `cwnd` and `ssthresh`. The TCB's send limit is
 * `min(cwnd, peer window)` (RFC 5681 §2).
 *
 * @example
 * ```ts
 * import { newReno, type CongestionControl } from '@libos/net';
 * const cc: CongestionControl = newReno(1460);
 * cc.onAck(1460, 14600, now, srtt);                // new data ACKed
 * cc.onEnterRecovery(14600, now, 'dupack-inflation'); // third duplicate ACK
 * cc.onExitRecovery(now);                            // full ACK: cwnd = ssthresh
 * ```
 */
export interface CongestionControl {
  /** Algorithm name, e.g. `'new-reno'` or `'cubic'`. */
  readonly name: string;
  /** The sender maximum segment size (SMSS) the windows are counted in, in bytes. */
  readonly mss: number;
  /** The congestion window in bytes: an integer ≥ {@link CongestionControl.mss}, never NaN or infinite. */
  readonly cwnd: number;
  /** The slow-start threshold in bytes; starts "arbitrarily high" ({@link INITIAL_SSTHRESH}), ≥ 2·SMSS after any loss. */
  readonly ssthresh: number;
  /** Whether the controller is between {@link CongestionControl.onEnterRecovery} and {@link CongestionControl.onExitRecovery} (or a timeout). */
  readonly inRecovery: boolean;
  /**
   * New data was cumulatively acknowledged outside fast recovery: slow start (RFC 5681 §3.1
   * with RFC 3465 L = 2·SMSS) below ssthresh, the algorithm's congestion avoidance above.
   * Calling it during recovery first leaves recovery as {@link CongestionControl.onExitRecovery} would.
   *
   * @param ackedBytes Bytes newly acknowledged by this ACK (SND.UNA advance, SYN/FIN excluded); ≤ 0 is ignored.
   * @param flightSize Bytes outstanding before this ACK (SND.NXT − SND.UNA); informational.
   * @param now Current time (µs).
   * @param rtt The smoothed RTT ({@link RtoEstimator.srtt}) in µs, `undefined` before the first sample.
   */
  onAck(ackedBytes: number, flightSize: number, now: Micros, rtt: Micros | undefined): void;
  /**
   * Loss detected by three duplicate ACKs (RFC 5681 §3.2 step 2, RFC 6582 §3.2 step 2) or by
   * RFC 6675 §5: multiplicative decrease of ssthresh (≥ 2·SMSS) and cwnd. Call once per
   * recovery episode; calls while already in recovery are ignored (RFC 6582 §3.2: one
   * reduction per window of data).
   *
   * @param flightSize Bytes outstanding when loss was detected (SND.NXT − SND.UNA), RFC 5681 eq. 4.
   * @param now Current time (µs).
   * @param mode How the TCB runs this recovery; default `'dupack-inflation'`. See {@link RecoveryMode}.
   */
  onEnterRecovery(flightSize: number, now: Micros, mode?: RecoveryMode): void;
  /**
   * One more duplicate ACK arrived during recovery (after the one that triggered it):
   * in `dupack-inflation` mode cwnd grows by SMSS (RFC 5681 §3.2 step 4); otherwise, or
   * outside recovery, nothing happens.
   */
  onDuplicateAck(): void;
  /**
   * A partial ACK during recovery (RFC 6582 §3.2 step 5): in `dupack-inflation` mode cwnd
   * is deflated by the newly acknowledged bytes, plus SMSS back if at least SMSS was
   * acknowledged (never below SMSS); in `sack-pipe` mode cwnd is unchanged. Ignored
   * outside recovery.
   *
   * @param ackedBytes Bytes newly acknowledged by the partial ACK.
   * @param flightSize Bytes outstanding after the ACK; informational.
   */
  onRecoveryAck(ackedBytes: number, flightSize: number): void;
  /**
   * A full ACK (covering `recover`) ends recovery (RFC 6582 §3.2 step 6): cwnd = ssthresh,
   * or, if `flightSize` is given, min(ssthresh, max(flightSize, SMSS) + SMSS) to avoid a
   * burst. Ignored outside recovery. Do not also call {@link CongestionControl.onAck} for this ACK.
   *
   * @param now Current time (µs).
   * @param flightSize Bytes still outstanding after the full ACK, to select RFC 6582 option 1.
   */
  onExitRecovery(now: Micros, flightSize?: number): void;
  /**
   * The retransmission timer expired (RFC 5681 §3.1 eq. 4 and §3.1 last paragraphs):
   * ssthresh is reduced (≥ 2·SMSS), cwnd = 1·SMSS (the loss window), recovery is
   * abandoned. A repeated timeout with no new data ACKed in between keeps ssthresh.
   *
   * @param flightSize Bytes outstanding when the timer fired (before any go-back-N rewind of SND.NXT).
   * @param now Current time (µs).
   */
  onRetransmitTimeout(flightSize: number, now: Micros): void;
  /**
   * RFC 5681 §4.1 restart: call before sending new data when nothing has been sent for
   * `idleFor` µs. If `idleFor > rto`, cwnd becomes min(IW, cwnd) (RW).
   *
   * @param idleFor Time since the last data segment was sent (µs).
   * @param rto The current retransmission timeout ({@link RtoEstimator.rto}).
   */
  onIdle?(idleFor: Micros, rto: Micros): void;
}

/**
 * Builds a fresh {@link CongestionControl} for one connection, given its SMSS in bytes.
 *
 * @example
 * ```ts
 * import { cubic, newReno, type CongestionControlFactory } from '@libos/net';
 * const pick: CongestionControlFactory = preferCubic ? cubic : newReno;
 * const cc = pick(1460);
 * ```
 */
export type CongestionControlFactory = (mss: number) => CongestionControl;

/**
 * The initial slow-start threshold in bytes: "arbitrarily high" (RFC 5681 §3.1), here the
 * largest window a peer can advertise (65535 · 2^14, RFC 7323 §2.3).
 *
 * @example
 * ```ts
 * import { INITIAL_SSTHRESH, newReno } from '@libos/net';
 * newReno(1460).ssthresh === INITIAL_SSTHRESH; // true
 * ```
 */
export const INITIAL_SSTHRESH = 65_535 * 2 ** 14;

/**
 * The initial congestion window of RFC 6928 §2: min(10·MSS, max(2·MSS, 14600)) bytes.
 *
 * @param mss The sender maximum segment size in bytes.
 * @returns The initial window in bytes.
 *
 * @example
 * ```ts
 * import { initialWindow } from '@libos/net';
 * initialWindow(1460); // 14600
 * initialWindow(536);  // 5360
 * initialWindow(9000); // 18000
 * ```
 */
export function initialWindow(mss: number): number {
  return Math.min(10 * mss, Math.max(2 * mss, 14_600));
}

/**
 * What caused a multiplicative decrease: fast-retransmit loss detection or an expired
 * retransmission timer.
 *
 * @example
 * ```ts
 * import type { CongestionEvent } from '@libos/net';
 * const e: CongestionEvent = 'timeout';
 * ```
 */
export type CongestionEvent = 'loss' | 'timeout';

/**
 * The RFC 5681 / 6582 / 6675 skeleton shared by loss-based controllers: slow start with
 * appropriate byte counting, fast recovery in either {@link RecoveryMode}, the timeout
 * loss window, and idle restart. Subclasses supply the congestion-avoidance increase
 * and the new ssthresh on a congestion event.
 *
 * @example
 * ```ts
 * import { LossBasedCongestionControl, type CongestionEvent } from '@libos/net';
 * class Halving extends LossBasedCongestionControl {
 *   readonly name = 'halving';
 *   protected congestionAvoidance(acked: number): void { this.window += (this.mss * acked) / this.window; }
 *   protected decrease(flight: number, _now: number, _e: CongestionEvent): number { return flight / 2; }
 * }
 * ```
 */
export abstract class LossBasedCongestionControl implements CongestionControl {
  /** Algorithm name. */
  abstract readonly name: string;
  /** The SMSS in bytes. */
  readonly mss: number;
  /** The congestion window in bytes, possibly fractional (exposed floored as {@link LossBasedCongestionControl.cwnd}). */
  protected window: number;
  /** The slow-start threshold in bytes. */
  protected threshold: number = INITIAL_SSTHRESH;
  #recovery: RecoveryMode | undefined;
  #timedOut = false;

  /**
   * @param mss The sender maximum segment size in bytes (a positive safe integer).
   * @throws {@link TcpError} `EINVAL` if `mss` is not a positive safe integer.
   */
  constructor(mss: number) {
    if (!Number.isSafeInteger(mss) || mss <= 0) {
      throw new TcpError('EINVAL', `congestion control needs a positive integer MSS, got ${mss}`);
    }
    this.mss = mss;
    // RFC 6928 §2 initial window.
    this.window = initialWindow(mss);
  }

  /** The congestion window in whole bytes (≥ SMSS). */
  get cwnd(): number {
    return Math.floor(this.window);
  }

  /** The slow-start threshold in bytes. */
  get ssthresh(): number {
    return this.threshold;
  }

  /** Whether fast recovery is in progress. */
  get inRecovery(): boolean {
    return this.#recovery !== undefined;
  }

  /**
   * The congestion-avoidance increase for `ackedBytes` newly acknowledged while
   * cwnd ≥ ssthresh; updates {@link LossBasedCongestionControl.window}.
   *
   * @param ackedBytes Bytes newly acknowledged (> 0).
   * @param now Current time (µs).
   * @param rtt Smoothed RTT (µs) if known.
   */
  protected abstract congestionAvoidance(
    ackedBytes: number,
    now: Micros,
    rtt: Micros | undefined,
  ): void;

  /**
   * The multiplicative decrease: returns the new ssthresh in bytes (the caller floors it
   * at 2·SMSS) and updates any algorithm state. Called once per congestion event, with
   * {@link LossBasedCongestionControl.window} still holding the pre-loss window.
   *
   * @param flightSize Bytes outstanding at the event (≥ 0).
   * @param now Current time (µs).
   * @param event What detected the loss.
   */
  protected abstract decrease(flightSize: number, now: Micros, event: CongestionEvent): number;

  /**
   * Called after the window was cut back for a restart after idle (RFC 5681 §4.1);
   * algorithms with time-based growth reset their epoch here. Default: nothing.
   */
  protected restarted(): void {}

  /** {@inheritDoc CongestionControl.onAck} */
  onAck(ackedBytes: number, _flightSize: number, now: Micros, rtt: Micros | undefined): void {
    if (!(ackedBytes > 0)) return;
    if (this.#recovery !== undefined) this.onExitRecovery(now);
    this.#timedOut = false;
    let acked = ackedBytes;
    if (this.window < this.threshold) {
      // RFC 5681 §3.1 eq. 2 with RFC 3465 §2.2 L = 2·SMSS; slow start stops at ssthresh
      // and any remainder is counted as congestion avoidance.
      const room = this.threshold - this.window;
      const increase = Math.min(acked, 2 * this.mss, room);
      this.window += increase;
      if (increase < room) return;
      acked -= increase;
      if (acked <= 0) return;
    }
    this.congestionAvoidance(acked, now, rtt);
  }

  /** {@inheritDoc CongestionControl.onEnterRecovery} */
  onEnterRecovery(flightSize: number, now: Micros, mode: RecoveryMode = 'dupack-inflation'): void {
    if (this.#recovery !== undefined) return;
    this.#cut(flightSize, now, 'loss');
    this.#recovery = mode;
    this.window =
      mode === 'sack-pipe'
        ? this.threshold // RFC 6675 §5 step (4.2): cwnd = ssthresh
        : this.threshold + 3 * this.mss; // RFC 5681 §3.2 step 3: ssthresh + 3·SMSS
  }

  /** {@inheritDoc CongestionControl.onDuplicateAck} */
  onDuplicateAck(): void {
    // RFC 5681 §3.2 step 4: inflate by one segment that has left the network.
    if (this.#recovery === 'dupack-inflation') this.window += this.mss;
  }

  /** {@inheritDoc CongestionControl.onRecoveryAck} */
  onRecoveryAck(ackedBytes: number, _flightSize: number): void {
    if (!(ackedBytes > 0) || this.#recovery === undefined) return;
    this.#timedOut = false;
    if (this.#recovery === 'sack-pipe') return; // RFC 6675: pipe, not cwnd, tracks progress.
    // RFC 6582 §3.2 step 5: deflate by the newly acknowledged data, add back SMSS if ≥ SMSS.
    const addBack = ackedBytes >= this.mss ? this.mss : 0;
    this.window = Math.max(this.window - ackedBytes + addBack, this.mss);
  }

  /** {@inheritDoc CongestionControl.onExitRecovery} */
  onExitRecovery(_now: Micros, flightSize?: number): void {
    if (this.#recovery === undefined) return;
    this.#recovery = undefined;
    this.#timedOut = false;
    // RFC 6582 §3.2 step 6: option 1 when the flight size is known, else option 2.
    this.window =
      flightSize !== undefined && flightSize >= 0
        ? Math.min(this.threshold, Math.max(flightSize, this.mss) + this.mss)
        : this.threshold;
  }

  /** {@inheritDoc CongestionControl.onRetransmitTimeout} */
  onRetransmitTimeout(flightSize: number, now: Micros): void {
    this.#recovery = undefined;
    // RFC 5681 §3.1: ssthresh is held constant when the same segment times out again.
    if (!this.#timedOut) this.#cut(flightSize, now, 'timeout');
    this.#timedOut = true;
    // RFC 5681 §3.1: cwnd = LW = 1 full-sized segment.
    this.window = this.mss;
  }

  /** {@inheritDoc CongestionControl.onIdle} */
  onIdle(idleFor: Micros, rto: Micros): void {
    if (!(idleFor > rto) || this.#recovery !== undefined) return;
    // RFC 5681 §4.1: RW = min(IW, cwnd).
    this.window = Math.min(initialWindow(this.mss), this.window);
    this.restarted();
  }

  #cut(flightSize: number, now: Micros, event: CongestionEvent): void {
    const flight = flightSize > 0 && Number.isFinite(flightSize) ? flightSize : 0;
    // RFC 5681 eq. 4 floor: ssthresh ≥ 2·SMSS.
    this.threshold = Math.max(Math.floor(this.decrease(flight, now, event)), 2 * this.mss);
  }
}
