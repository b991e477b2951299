/**
 * The contract between the run loop and sans-IO components (protocol stacks, device
 * models): "poll me at this time", as in smoltcp's `Interface::poll` / `poll_at`.
 *
 * @module
 */

import type { Micros } from './time.js';

/**
 * A sans-IO component driven by the run loop. After every `poll`, the loop asks
 * `pollAt()` for the next time the component must be polled (`null`: only when woken).
 * A component whose `pollAt()` changes for another reason (a socket was written, a
 * device raised an interrupt) rings its {@link PollerHandle.ring} doorbell.
 *
 * @example
 * ```ts
 * const retransmitter: Poller = {
 *   pollAt: () => (pending ? rtoDeadline : null),
 *   poll: (now) => {
 *     if (now >= rtoDeadline) retransmit(now);
 *   },
 * };
 * ```
 */
export interface Poller {
  /** The next time this component must be polled, or `null` for "only when woken". */
  pollAt(): Micros | null;
  /** Does whatever work is due at `now`. Must not block. */
  poll(now: Micros): void;
}

/**
 * A registered {@link Poller}.
 *
 * @example
 * ```ts
 * const handle = sched.addPoller(nic, 'nic0');
 * device.onInterrupt(() => handle.ring()); // doorbell: poll soon, re-read pollAt()
 * handle.remove();
 * ```
 */
export interface PollerHandle {
  /** The poller's name. */
  readonly name: string;
  /** Doorbell: poll as soon as possible, then re-read `pollAt()`. Wakes an idle real-time loop. */
  ring(): void;
  /** Unregisters the poller; it is never polled again. */
  remove(): void;
}
