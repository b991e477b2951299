/**
 * The scheduler on the host event loop, in real time.
 *
 * @module
 */

import type { Clock } from './clock.js';
import { SchedError } from './errors.js';
import { HostClock } from './host-clock.js';
import {
  type HostTimeoutHandle,
  hostClearTimeout,
  hostHasTimers,
  hostSetTimeout,
} from './host-globals.js';
import { Scheduler, type TraceEvent } from './scheduler.js';
import type { Task, TaskFn } from './task.js';
import type { Micros } from './time.js';
import { type Seed, Xoshiro128StarStar } from './xoshiro128.js';

/**
 * Options for {@link RealTimeLoop}.
 *
 * @example
 * ```ts
 * const loop = new RealTimeLoop({ onFault: (e) => console.error(e) });
 * ```
 */
export interface RealTimeLoopOptions {
  /** The clock (default a {@link HostClock}). */
  readonly clock?: Clock;
  /** If given, ties among equally-ready tasks are broken by xoshiro128** from this seed; otherwise FIFO. */
  readonly seed?: Seed;
  /** Receives errors from timer callbacks and pollers (default: rethrown as an unhandled rejection). */
  readonly onFault?: (error: unknown) => void;
  /** Receives every scheduling event. */
  readonly trace?: (event: TraceEvent) => void;
  /** Receives errors of failed tasks nobody joins. */
  readonly onTaskError?: (error: unknown, task: Task<unknown>) => void;
}

/** Host timers take a signed 32-bit millisecond delay. */
const MAX_HOST_DELAY_MS = 0x7fffffff;

/**
 * Drives a {@link Scheduler} on the host event loop: when no task is ready it parks on
 * one host `setTimeout` set for the next deadline; {@link RealTimeLoop.wake} (or a
 * poller's doorbell) wakes it early, e.g. from a device interrupt; {@link RealTimeLoop.stop}
 * ends it.
 *
 * @example
 * ```ts
 * const loop = new RealTimeLoop();
 * const sched = loop.scheduler;
 * const value = await loop.run(async () => {
 *   await sched.sleep(millis(10)); // a real 10 ms
 *   return 'done';
 * });
 * ```
 */
export class RealTimeLoop {
  /** The clock. */
  readonly clock: Clock;
  /** The scheduler this loop drives. */
  readonly scheduler: Scheduler;

  readonly #onFault: ((error: unknown) => void) | undefined;
  #running = false;
  #hostTimer: HostTimeoutHandle | null = null;
  readonly #runs = new Set<(error: unknown) => void>();

  /** @param options - clock, tie-breaking seed and hooks */
  constructor(options: RealTimeLoopOptions = {}) {
    if (!hostHasTimers())
      throw new SchedError('HOST_UNAVAILABLE', 'host has no setTimeout/clearTimeout');
    this.clock = options.clock ?? new HostClock();
    this.#onFault = options.onFault;
    this.scheduler = new Scheduler({
      clock: this.clock,
      ...(options.seed !== undefined ? { random: Xoshiro128StarStar.fromSeed(options.seed) } : {}),
      ...(options.trace !== undefined ? { trace: options.trace } : {}),
      ...(options.onTaskError !== undefined ? { onTaskError: options.onTaskError } : {}),
      driver: {
        idle: () => this.#idle(),
        fault: (e) => this.#fault(e),
      },
    });
  }

  /** Whether the loop is running. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts dispatching tasks. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.scheduler.setActive(true);
  }

  /**
   * Stops the loop: no task is resumed and the host timer is cleared. Pending
   * {@link RealTimeLoop.run} calls reject with `NOT_RUNNING`. Tasks stay suspended and
   * continue if the loop is started again.
   */
  stop(): void {
    this.#running = false;
    this.scheduler.setActive(false);
    this.#clearHostTimer();
    const runs = [...this.#runs];
    this.#runs.clear();
    for (const fail of runs) fail(new SchedError('NOT_RUNNING', 'loop stopped'));
  }

  /**
   * The loop's doorbell: if it is parked, it services due timers and pollers now instead
   * of at its host timer. Safe to call from any host callback.
   */
  wake(): void {
    if (!this.#running) return;
    this.scheduler.kick();
  }

  /**
   * Starts the loop if needed and runs `main` as a task; resolves or rejects with its
   * outcome. The loop keeps running afterwards until {@link RealTimeLoop.stop}.
   */
  run<T>(main: TaskFn<T>, options: { readonly name?: string } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        this.#runs.delete(fail);
        reject(error);
      };
      this.#runs.add(fail);
      this.scheduler.spawn(
        async () => {
          let value: T;
          try {
            value = await main();
          } catch (e) {
            fail(e);
            return;
          }
          if (settled) return;
          settled = true;
          this.#runs.delete(fail);
          resolve(value);
        },
        { name: options.name ?? 'main' },
      );
      this.start();
    });
  }

  #idle(): boolean {
    const s = this.scheduler;
    s.service();
    if (s.readyCount > 0) return true;
    this.#clearHostTimer();
    const next: Micros | null = s.nextDeadline();
    if (next === null || !this.#running) return false;
    const delayMs = Math.min(
      MAX_HOST_DELAY_MS,
      Math.max(0, Math.ceil((next - this.clock.now()) / 1000)),
    );
    this.#hostTimer = hostSetTimeout(() => {
      this.#hostTimer = null;
      if (this.#running) this.scheduler.kick();
    }, delayMs);
    return false;
  }

  #clearHostTimer(): void {
    if (this.#hostTimer !== null) {
      hostClearTimeout(this.#hostTimer);
      this.#hostTimer = null;
    }
  }

  #fault(error: unknown): void {
    if (this.#onFault !== undefined) {
      this.#onFault(error);
      return;
    }
    const runs = [...this.#runs];
    if (runs.length > 0) {
      for (const fail of runs) fail(error);
      return;
    }
    void Promise.reject(error);
  }
}
