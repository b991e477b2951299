import type { GuestMemory, WaitResult } from '@libos/mem';
import type { LinkWatch, TransportLink } from './transport-link.js';

/** One registered watcher; `stopped` lets a ring in progress skip it. */
interface Watcher {
  readonly onRing: () => void;
  stopped: boolean;
}

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
  /** Copy-on-write lists: `watch` / `stop` replace a list, `ring` iterates it as is. */
  readonly #watchers = new Map<number, readonly Watcher[]>();
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
    if (this.#draining) {
      this.#pending.push(addr);
      return;
    }
    this.#draining = true;
    const pending = this.#pending;
    let failure: { readonly error: unknown } | null = null;
    try {
      let next = 0;
      for (let at: number | undefined = addr; at !== undefined; at = pending[next++]) {
        const watchers = this.#watchers.get(at);
        if (watchers === undefined) continue;
        // No copy per doorbell: a list is never mutated, only replaced.
        for (const watcher of watchers) {
          if (watcher.stopped) continue; // stopped by an earlier watcher
          try {
            watcher.onRing();
          } catch (error) {
            failure ??= { error };
          }
        }
      }
    } finally {
      pending.length = 0;
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
    const watcher: Watcher = { onRing: () => onRing(), stopped: false };
    this.#watchers.set(addr, [...(this.#watchers.get(addr) ?? []), watcher]);
    onRing();
    return {
      stop: () => {
        if (watcher.stopped) return;
        watcher.stopped = true;
        const rest = (this.#watchers.get(addr) ?? []).filter((w) => w !== watcher);
        if (rest.length === 0) this.#watchers.delete(addr);
        else this.#watchers.set(addr, rest);
      },
    };
  }

  waitForChange(addr: number, expected: number, _timeoutMs: number): Promise<WaitResult> {
    const now = this.#memory.atomicLoadU32(addr);
    return Promise.resolve(now !== expected >>> 0 ? 'not-equal' : 'timed-out');
  }
}
