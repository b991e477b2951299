/**
 * Deterministic simulation: virtual time, seeded tie-breaking and seeded entropy.
 *
 * @module
 */

import { DeadlockError, SchedError } from './errors.js';
import { Scheduler, type TraceEvent } from './scheduler.js';
import { SeededEntropy } from './seeded-entropy.js';
import type { Task, TaskFn } from './task.js';
import type { Micros } from './time.js';
import { VirtualClock } from './virtual-clock.js';
import { type Seed, Xoshiro128StarStar } from './xoshiro128.js';

/**
 * Options for {@link Simulation}.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 42, start: 0, timeLimit: seconds(60) });
 * ```
 */
export interface SimulationOptions {
  /** The seed of every random choice: task interleaving and {@link Simulation.entropy} (default 0). */
  readonly seed?: Seed;
  /** Initial virtual time (default 0). */
  readonly start?: Micros;
  /** A run fails with `TIME_LIMIT` rather than advance virtual time beyond this. */
  readonly timeLimit?: Micros;
  /** Receives every scheduling event. */
  readonly trace?: (event: TraceEvent) => void;
  /** Receives errors of failed tasks nobody joins (see {@link SchedulerOptions.onTaskError}). */
  readonly onTaskError?: (error: unknown, task: Task<unknown>) => void;
}

/** Idle steps at one instant before a run is declared a livelock. */
const MAX_IDLE_STEPS_WITHOUT_PROGRESS = 100_000;

/**
 * A closed simulated world: a {@link VirtualClock} that jumps to the next deadline only
 * when every task is blocked, a {@link Scheduler} that breaks ties among equally-ready
 * tasks with xoshiro128** seeded from `seed`, and a {@link SeededEntropy} from the same
 * seed. The same seed replays the same trace; a run in which every task is blocked and
 * nothing is scheduled fails with a {@link DeadlockError} naming the blocked tasks.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 7 });
 * const { scheduler: sched } = sim;
 * const elapsed = await sim.run(async () => {
 *   await sched.sleep(seconds(3)); // returns at once in wall time
 *   return sched.now();
 * }); // 3_000_000
 * ```
 */
export class Simulation {
  /** The seed this simulation was created with. */
  readonly seed: Seed;
  /** The virtual clock. */
  readonly clock: VirtualClock;
  /** The scheduler running in virtual time. */
  readonly scheduler: Scheduler;
  /** Seeded entropy for the simulated world (a stream independent of scheduling). */
  readonly entropy: SeededEntropy;

  readonly #timeLimit: Micros;
  #run: { fail(error: unknown): void } | null = null;
  #idleSteps = 0;

  /** @param options - seed, start time, limits and hooks */
  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 0;
    this.clock = new VirtualClock(options.start ?? 0);
    this.#timeLimit = options.timeLimit ?? Number.MAX_SAFE_INTEGER;
    this.entropy = new SeededEntropy(this.seed, 1);
    this.scheduler = new Scheduler({
      clock: this.clock,
      random: Xoshiro128StarStar.fromSeed(this.seed, 0),
      ...(options.trace !== undefined ? { trace: options.trace } : {}),
      ...(options.onTaskError !== undefined ? { onTaskError: options.onTaskError } : {}),
      driver: {
        idle: () => this.#idle(),
        fault: (e) => this.#fail(e),
      },
    });
  }

  /** The current virtual time. */
  now(): Micros {
    return this.clock.now();
  }

  /**
   * Runs `main` as a task named `main` (or `options.name`) until it settles, advancing
   * virtual time whenever every task is blocked. Resolves with main's result; rejects
   * with its error, a {@link DeadlockError}, or a `TIME_LIMIT` / `LIVELOCK`
   * {@link SchedError}. Other tasks stay where they are when it settles, and continue
   * in the next `run`.
   */
  run<T>(main: TaskFn<T>, options: { readonly name?: string } = {}): Promise<T> {
    if (this.#run !== null)
      throw new SchedError('ALREADY_RUNNING', 'simulation is already running');
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const end = (): void => {
        if (this.#run === record) {
          this.#run = null;
          this.scheduler.setActive(false);
        }
      };
      const record = {
        fail: (error: unknown): void => {
          end();
          if (settled) return;
          settled = true;
          reject(error);
        },
      };
      this.#run = record;
      this.#idleSteps = 0;
      const task = this.scheduler.spawn(
        async () => {
          try {
            return await main();
          } finally {
            end(); // stop dispatching before main finishes: nothing runs after it
          }
        },
        { name: options.name ?? 'main' },
      );
      task.join().then(
        (value) => {
          if (settled) return;
          settled = true;
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error);
        },
      );
      this.scheduler.setActive(true);
    });
  }

  #idle(): boolean {
    const s = this.scheduler;
    s.service();
    if (s.readyCount > 0) {
      this.#idleSteps = 0;
      return true;
    }
    const next = s.nextDeadline();
    const now = this.clock.now();
    if (next === null) {
      this.#fail(new DeadlockError(s.blockedTasks(), now));
      return false;
    }
    if (next > now) {
      if (next > this.#timeLimit) {
        this.#fail(
          new SchedError('TIME_LIMIT', `simulation reached its time limit of ${this.#timeLimit}µs`),
        );
        return false;
      }
      this.clock.advanceTo(next);
      this.#idleSteps = 0;
    } else if (++this.#idleSteps > MAX_IDLE_STEPS_WITHOUT_PROGRESS) {
      this.#fail(
        new SchedError(
          'LIVELOCK',
          `no progress at t=${now}µs: a poller keeps asking to be polled now`,
        ),
      );
      return false;
    }
    return true;
  }

  #fail(error: unknown): void {
    const run = this.#run;
    if (run !== null) run.fail(error);
  }
}
