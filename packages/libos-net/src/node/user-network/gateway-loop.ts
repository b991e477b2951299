/**
 * Drives the gateway {@link Stack} of a user-mode network in real time: it polls when
 * woken (a frame from the guest, host socket activity) and when the stack's `pollAt()`
 * falls due, and never otherwise.
 */
import type { Clock } from '@libos/sched';
import type { Stack } from '../../stack/stack.js';

/** Frames received in one poll that suggest more are waiting: poll again at once. */
const BUSY_FRAMES = 1;

/**
 * A wakeable poll loop over one stack: `wake()` schedules a poll on the next turn of the
 * event loop (coalesced), and after each poll a timer is set for `pollAt()`. A deadline
 * already due is retried after 1 ms unless frames keep arriving, so a stack waiting for
 * a full link to drain does not spin. `stop()` clears every timer.
 *
 * @example
 * ```ts
 * // Internal to createUserNetwork (not exported from the package).
 * const loop = new GatewayLoop(stack, new HostClock());
 * loop.wake();
 * loop.stop();
 * ```
 */
export class GatewayLoop {
  /** Polls run so far. */
  polls = 0;
  readonly #stack: Stack;
  readonly #clock: Clock;
  #immediate: ReturnType<typeof setImmediate> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /**
   * @param stack The stack to poll.
   * @param clock Its clock (µs).
   */
  constructor(stack: Stack, clock: Clock) {
    this.#stack = stack;
    this.#clock = clock;
  }

  /** Whether {@link GatewayLoop.stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Polls soon (on the next event-loop turn); calls before then coalesce. */
  wake(): void {
    if (this.#stopped || this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#run();
    });
  }

  /** Stops the loop: no poll runs afterwards. Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#immediate = undefined;
    this.#timer = undefined;
  }

  #run(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const frames = this.#stack.poll(this.#clock.now());
    this.polls++;
    if (frames >= BUSY_FRAMES) {
      this.wake();
      return;
    }
    const at = this.#stack.pollAt();
    if (at === null) return;
    const delayMs = Math.max(1, Math.ceil((at - this.#clock.now()) / 1000));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#run();
    }, delayMs);
  }
}
