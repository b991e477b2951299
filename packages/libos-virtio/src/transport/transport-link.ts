import type { WaitResult } from '@libos/mem';

/**
 * A running {@link TransportLink.watch}.
 *
 * @example
 * ```ts
 * const watch = link.watch(base + MmioDoorbell.NOTIFY_SEQ, onNotify);
 * watch.stop();
 * ```
 */
export interface LinkWatch {
  /** Stops watching; the callback is never called again. Idempotent. */
  stop(): void;
}

/**
 * How the two sides of a transport wake each other: the only part that differs between
 * an inline (same-thread) and a worker (cross-thread) device. All protocol code — the
 * trap mailbox, the posted doorbells, the interrupt line — is shared and talks to the
 * doorbell words through this interface. A word is always updated (atomically) *before*
 * it is rung, and every watcher re-reads the words it cares about, so spurious or
 * coalesced wake-ups are harmless.
 *
 * @example
 * ```ts
 * import { InlineLink, type TransportLink } from '@libos/virtio';
 * const link: TransportLink = new InlineLink(memory);
 * const watch = link.watch(addr, () => console.log('rung'));
 * memory.atomicAddU32(addr, 1);
 * link.ring(addr); // logs 'rung'
 * watch.stop();
 * ```
 */
export interface TransportLink {
  /**
   * Wakes whoever watches or waits on the 32-bit doorbell word at `addr`.
   *
   * @param addr - guest address of the word, a multiple of 4
   */
  ring(addr: number): void;
  /**
   * Calls `onRing` after the word at `addr` is rung (and once at the start, to pick up
   * anything rung before watching began).
   *
   * @param addr - guest address of the word, a multiple of 4
   * @param onRing - called with no arguments; must not throw
   * @returns a handle that stops the watch
   */
  watch(addr: number, onRing: () => void): LinkWatch;
  /**
   * Resolves once the word at `addr` no longer holds `expected` (`'not-equal'` if it
   * already differs, `'ok'` when woken), or with `'timed-out'`.
   *
   * @param addr - guest address of the word, a multiple of 4
   * @param expected - the value the caller last saw
   * @param timeoutMs - upper bound on the wait in milliseconds
   * @returns how the wait ended
   */
  waitForChange(addr: number, expected: number, timeoutMs: number): Promise<WaitResult>;
}
