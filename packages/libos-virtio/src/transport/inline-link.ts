import type { GuestMemory, WaitResult } from '@libos/mem';
import type { LinkWatch, TransportLink } from './transport-link.js';

/**
 * A same-thread {@link TransportLink}: `ring` runs the watchers of the word
 * synchronously, so an inline device applies a trapped register write before the
 * driver's `await` even starts, and a driver's interrupt callback runs inside the
 * device's `raiseInterrupt`. Fully deterministic: no timers, no Atomics waits, works on
 * non-shared memory. Nested rings (a watcher that rings) are queued and run in order
 * after the current watcher returns, never re-entrantly.
 *
 * Because the other side always answers inside `ring`, {@link InlineLink.waitForChange}
 * never waits: a word that has not changed by then never will, so it reports
 * `'timed-out'` at once. Attach both sides to the same `InlineLink`.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { InlineLink, MmioDeviceTransport, MmioDriverTransport } from '@libos/virtio';
 * const memory = new GuestMemory(1 << 20);
 * const link = new InlineLink(memory);
 * const device = new MmioDeviceTransport({ memory, base: 0, link, deviceId: 4, features, queueMaxSizes: [64] });
 * const driver = new MmioDriverTransport({ memory, base: 0, link });
 * ```
 */
export class InlineLink implements TransportLink {
  readonly #memory: GuestMemory;
  readonly #watchers = new Map<number, Set<() => void>>();
  readonly #pending: number[] = [];
  #draining = false;

  /** @param memory - the guest memory holding the doorbell words */
  constructor(memory: GuestMemory) {
    this.#memory = memory;
  }

  /**
   * Runs every watcher of `addr` now (or, when called from a watcher, right after it).
   * If a watcher throws, the remaining ones still run and the first error is rethrown.
   *
   * @param addr - guest address of the doorbell word
   * @example
   * ```ts
   * link.ring(base + MmioDoorbell.NOTIFY_SEQ);
   * ```
   */
  ring(addr: number): void {
    this.#pending.push(addr);
    if (this.#draining) return;
    this.#draining = true;
    let failure: { readonly error: unknown } | null = null;
    try {
      for (let next = this.#pending.shift(); next !== undefined; next = this.#pending.shift()) {
        const watchers = this.#watchers.get(next);
        if (watchers === undefined) continue;
        for (const watcher of [...watchers]) {
          if (!watchers.has(watcher)) continue; // stopped by an earlier watcher
          try {
            watcher();
          } catch (error) {
            failure ??= { error };
          }
        }
      }
    } finally {
      this.#draining = false;
    }
    if (failure !== null) throw failure.error;
  }

  /**
   * Registers `onRing` for `addr` and calls it once right away.
   *
   * @param addr - guest address of the doorbell word
   * @param onRing - the watcher
   * @returns a handle that unregisters it
   * @example
   * ```ts
   * const watch = link.watch(base + MmioDoorbell.INTERRUPT_SEQ, () => count++);
   * watch.stop();
   * ```
   */
  watch(addr: number, onRing: () => void): LinkWatch {
    let set = this.#watchers.get(addr);
    if (set === undefined) {
      set = new Set();
      this.#watchers.set(addr, set);
    }
    const watcher = (): void => onRing();
    set.add(watcher);
    const watchers = set;
    onRing();
    return {
      stop: () => {
        watchers.delete(watcher);
      },
    };
  }

  /**
   * `'not-equal'` if the word changed, else `'timed-out'` immediately (see the class notes).
   *
   * @param addr - guest address of the word
   * @param expected - the value last seen
   * @param _timeoutMs - ignored: inline waits never block
   * @returns how the wait ended
   * @example
   * ```ts
   * await link.waitForChange(base + MmioDoorbell.TRAP_ACK, seq - 1, 100); // 'not-equal'
   * ```
   */
  waitForChange(addr: number, expected: number, _timeoutMs: number): Promise<WaitResult> {
    const now = this.#memory.atomicLoadU32(addr);
    return Promise.resolve(now !== expected >>> 0 ? 'not-equal' : 'timed-out');
  }
}
