import type { GuestMemory, WaitResult } from '@libos/mem';
import type { LinkWatch, TransportLink } from './transport-link.js';

/**
 * Options for {@link AtomicsLink}.
 *
 * @example
 * ```ts
 * import { AtomicsLink, type AtomicsLinkOptions } from '@libos/virtio';
 * const options: AtomicsLinkOptions = { onWatcherError: (e) => console.error(e) };
 * const link = new AtomicsLink(memory, options);
 * ```
 */
export interface AtomicsLinkOptions {
  /** Receives an error thrown by a watcher callback (default: ignored, the watch goes on). */
  readonly onWatcherError?: (error: unknown) => void;
}

/**
 * A cross-thread {@link TransportLink} over a `SharedArrayBuffer`: `ring` is
 * `Atomics.notify`, watchers are loops on `Atomics.waitAsync` (through
 * `GuestMemory.waitAsync`), so neither side ever blocks its thread. Each thread
 * creates its own `AtomicsLink` over the same shared memory.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { AtomicsLink, MmioDeviceTransport } from '@libos/virtio';
 * // in the worker: memory wraps the SharedArrayBuffer posted by the main thread
 * const memory = new GuestMemory(workerData.buffer);
 * const device = new MmioDeviceTransport({ memory, base, link: new AtomicsLink(memory), deviceId, features, queueMaxSizes });
 * device.start();
 * ```
 */
export class AtomicsLink implements TransportLink {
  readonly #memory: GuestMemory;
  readonly #onWatcherError: (error: unknown) => void;

  /**
   * @param memory - SharedArrayBuffer-backed guest memory
   * @param options - error reporting
   */
  constructor(memory: GuestMemory, options: AtomicsLinkOptions = {}) {
    this.#memory = memory;
    this.#onWatcherError = options.onWatcherError ?? (() => {});
  }

  /**
   * `Atomics.notify` on the word: wakes every waiter in every thread.
   *
   * @param addr - guest address of the doorbell word
   * @example
   * ```ts
   * link.ring(base + MmioDoorbell.INTERRUPT_SEQ);
   * ```
   */
  ring(addr: number): void {
    this.#memory.notify(addr);
  }

  /**
   * Starts an asynchronous loop that calls `onRing` whenever the word's value changes
   * (and once at the start). Changes that happen while `onRing` runs are coalesced.
   *
   * @param addr - guest address of the doorbell word
   * @param onRing - the watcher
   * @returns a handle that ends the loop (it wakes the loop so nothing stays pending)
   * @example
   * ```ts
   * const watch = link.watch(base + MmioDoorbell.NOTIFY_SEQ, () => device.pollNotifications());
   * watch.stop();
   * ```
   */
  watch(addr: number, onRing: () => void): LinkWatch {
    const memory = this.#memory;
    let stopped = false;
    const call = (): void => {
      try {
        onRing();
      } catch (error) {
        this.#onWatcherError(error);
      }
    };
    const loop = async (): Promise<void> => {
      let seen = memory.atomicLoadU32(addr);
      call();
      while (!stopped) {
        const now = memory.atomicLoadU32(addr);
        if (now !== seen) {
          seen = now;
          call();
          continue;
        }
        await memory.waitAsync(addr, now | 0);
      }
    };
    void loop().catch((error: unknown) => this.#onWatcherError(error));
    return {
      stop: () => {
        if (stopped) return;
        stopped = true;
        memory.notify(addr);
      },
    };
  }

  /**
   * `Atomics.waitAsync` on the word, bounded by `timeoutMs`.
   *
   * @param addr - guest address of the word
   * @param expected - the value last seen
   * @param timeoutMs - upper bound on the wait
   * @returns how the wait ended
   * @example
   * ```ts
   * const r = await link.waitForChange(base + MmioDoorbell.TRAP_ACK, lastAck, 1000);
   * ```
   */
  waitForChange(addr: number, expected: number, timeoutMs: number): Promise<WaitResult> {
    return this.#memory.waitAsync(addr, expected | 0, timeoutMs);
  }
}
