/**
 * The run loop: tasks, blocking points, timers and pollers, driven one task at a time.
 *
 * ## Execution model
 *
 * Tasks are ordinary async functions. Exactly one task holds the scheduler at a time.
 * Every blocking operation (sleep, yield, channel, mutex, semaphore, event, join, group)
 * goes through {@link Scheduler.block}: the running task registers a {@link Waiter} with
 * a primitive and hands the scheduler over; the scheduler then picks the next ready task
 * (highest priority first; ties FIFO or by a seeded PRNG) and resumes it by settling the
 * promise it is blocked on. So the scheduler always knows which tasks are blocked and on
 * what, and — given the same seed — interleaves them identically on every run.
 *
 * When no task is ready the {@link SchedulerDriver} decides what happens: the
 * {@link Simulation} jumps virtual time to the next deadline (or reports a
 * {@link DeadlockError}); the {@link RealTimeLoop} parks on a host timer until the next
 * deadline or a doorbell.
 *
 * Awaiting a promise that does not come from this scheduler (host I/O, `Promise.all`
 * over several scheduler operations) inside a task is outside the deterministic model: the
 * task keeps the scheduler while it waits, and the run stalls until that promise settles.
 *
 * @module
 */

import type { Clock } from './clock.js';
import { type BlockedTask, cancelledError, SchedError } from './errors.js';
import type { AbortSignalLike } from './host-globals.js';
import type { Poller, PollerHandle } from './poller.js';
import { ReadyQueue } from './ready-queue.js';
import type { SpawnOptions, Task, TaskFn, TaskGroup } from './task.js';
import { type GroupOps, GroupRecord, type TaskOps, TaskRecord } from './task-record.js';
import { assertMicros, type Micros } from './time.js';
import { type TimerId, TimerWheel } from './timer-wheel.js';
import type { Timers } from './timers.js';
import { Waiter } from './waiter.js';

/**
 * What a scheduler does when no task is ready, and where errors raised outside any task
 * (in timer callbacks and pollers) go. Implemented by {@link Simulation} and
 * {@link RealTimeLoop}; write your own to embed the scheduler in another event loop.
 *
 * @example
 * ```ts
 * const manual: SchedulerDriver = {
 *   idle: () => false, // park until someone calls scheduler.kick()
 *   fault: (error) => console.error(error),
 * };
 * ```
 */
export interface SchedulerDriver {
  /**
   * Called when no task is ready. Typically calls {@link Scheduler.service} and may
   * advance time. Returns `true` to make the scheduler look for ready tasks again,
   * `false` to park until {@link Scheduler.kick}.
   */
  idle(): boolean;
  /** An error thrown by a timer callback or a poller, or by the driver itself. */
  fault(error: unknown): void;
}

/**
 * One scheduling event, for tracing and determinism checks.
 *
 * @example
 * ```ts
 * const events: TraceEvent[] = [];
 * const sim = new Simulation({ seed: 1, trace: (e) => events.push(e) });
 * ```
 */
export interface TraceEvent {
  /** Clock time of the event. */
  readonly time: Micros;
  /** `spawn`: task created; `run`: task given the scheduler; `block`: task waits; `finish`: task done. */
  readonly kind: 'spawn' | 'run' | 'block' | 'finish';
  /** The task's name. */
  readonly task: string;
  /** For `block`, what the task waits on; for `finish`, `ok` or `error`. */
  readonly detail: string;
}

/**
 * Chooses among equally-ready tasks. {@link Xoshiro128StarStar} fits.
 *
 * @example
 * ```ts
 * const fifo: TieBreaker = { below: () => 0 };
 * ```
 */
export interface TieBreaker {
  /** Returns an integer in [0, n): the index of the task to run, oldest first. */
  below(n: number): number;
}

/**
 * Options for {@link Scheduler}.
 *
 * @example
 * ```ts
 * const sched = new Scheduler({ clock: new VirtualClock(), random: Xoshiro128StarStar.fromSeed(1) });
 * ```
 */
export interface SchedulerOptions {
  /** The time base for sleeps and pollers. */
  readonly clock: Clock;
  /** Idle behaviour and fault sink; default: service due work, then park. */
  readonly driver?: SchedulerDriver;
  /** Breaks ties among equally-ready tasks; omitted: FIFO. */
  readonly random?: TieBreaker;
  /** Receives every scheduling event. */
  readonly trace?: (event: TraceEvent) => void;
  /**
   * Receives the error of a failed task that is in no group and has no joiner when it
   * fails (it is also kept for a later {@link Task.join}).
   */
  readonly onTaskError?: (error: unknown, task: Task<unknown>) => void;
}

/**
 * Options of one blocking operation.
 *
 * @example
 * ```ts
 * await sched.sleep(seconds(5), { signal: AbortSignal.timeout(1000) });
 * ```
 */
export interface BlockOptions {
  /** Aborting this signal cancels the operation (it rejects with `CANCELLED`). */
  readonly signal?: AbortSignalLike;
  /** `false` makes the wait immune to task cancellation (default `true`). */
  readonly cancellable?: boolean;
}

/**
 * Options for {@link Scheduler.group}.
 *
 * @example
 * ```ts
 * await sched.group(body, { name: 'fetchers' });
 * ```
 */
export interface GroupOptions {
  /** Name for diagnostics (default `group-<n>`). */
  readonly name?: string;
}

type TimerCallback = (deadline: Micros) => void;

interface PollerEntry {
  readonly poller: Poller;
  readonly name: string;
  due: boolean;
  removed: boolean;
  timer: TimerId;
  readonly onTimer: TimerCallback;
}

/** Service timers and pollers every this many scheduling decisions, so busy tasks cannot starve them. */
const SERVICE_INTERVAL_MASK = 63;
/** Poll passes per service round: pollers rung during a pass are polled in the next. */
const MAX_POLL_PASSES = 8;

function isCancellation(e: unknown): boolean {
  return e instanceof SchedError && e.code === 'CANCELLED';
}

/**
 * The task scheduler and run loop core. Usually obtained from a {@link Simulation} or a
 * {@link RealTimeLoop}, which supply the clock and the idle behaviour.
 *
 * @example
 * ```ts
 * const sim = new Simulation({ seed: 1 });
 * const sched = sim.scheduler;
 * await sim.run(async () => {
 *   const t = sched.spawn(async () => {
 *     await sched.sleep(millis(5));
 *     return sched.now();
 *   });
 *   return t.join(); // 5000
 * });
 * ```
 */
export class Scheduler implements Clock, Timers {
  /** The scheduler's time base. */
  readonly clock: Clock;

  readonly #wheel: TimerWheel<TimerCallback>;
  readonly #ready = new ReadyQueue<TaskRecord>();
  readonly #tasks = new Set<TaskRecord>();
  readonly #pollers: PollerEntry[] = [];
  readonly #pick: ((n: number) => number) | null;
  readonly #trace: ((event: TraceEvent) => void) | undefined;
  readonly #onTaskError: ((error: unknown, task: Task<unknown>) => void) | undefined;
  readonly #driver: SchedulerDriver;
  #current: TaskRecord | null = null;
  /** A task just resumed whose continuation has not started yet (see {@link Scheduler.block}). */
  #handoff: TaskRecord | null = null;
  /** A task that blocked in the current synchronous section, until the next task continues. */
  #justBlocked: TaskRecord | null = null;
  #dispatching = false;
  #servicing = false;
  #active = false;
  #dueCount = 0;
  #decisions = 0;
  #nextTaskId = 1;
  #nextGroupId = 1;
  #nextPollerId = 1;

  readonly #fireTimer = (callback: TimerCallback, deadline: Micros): void => {
    try {
      callback(deadline);
    } catch (e) {
      this.#driver.fault(e);
    }
  };

  readonly #wakeAtOnce = (w: Waiter): void => this.wake(w, undefined);

  readonly #taskOps: TaskOps = {
    join: (task) => this.#join(task),
    cancel: (task, reason) => this.#cancelTask(task, reason),
  };

  readonly #groupOps: GroupOps = {
    spawn: (group, fn, options) => this.#spawn(fn, options, group),
    cancel: (group, reason) => this.#cancelGroup(group, reason),
  };

  /** @param options - clock, driver, tie-breaking and hooks */
  constructor(options: SchedulerOptions) {
    this.clock = options.clock;
    this.#wheel = new TimerWheel<TimerCallback>({ now: Math.max(0, options.clock.now()) });
    const random = options.random;
    this.#pick = random === undefined ? null : (n) => random.below(n);
    this.#trace = options.trace;
    this.#onTaskError = options.onTaskError;
    this.#driver = options.driver ?? {
      idle: () => {
        this.service();
        return this.#ready.size > 0;
      },
      fault: (e) => {
        void Promise.reject(e); // surfaces as an unhandled rejection
      },
    };
  }

  /** The clock's current time. */
  now(): Micros {
    return this.clock.now();
  }

  /** Whether the scheduler is dispatching tasks (see {@link Scheduler.setActive}). */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Starts or pauses dispatching. While inactive, tasks that become ready wait; the
   * running task (if any) continues until it blocks. Drivers call this.
   */
  setActive(active: boolean): void {
    this.#active = active;
    if (active) this.#dispatch();
  }

  /** The task holding the scheduler, or `null` outside any task. */
  get currentTask(): Task<unknown> | null {
    return this.#current;
  }

  /** Number of tasks ready to run (not counting the running one). */
  get readyCount(): number {
    return this.#ready.size;
  }

  /** Number of tasks not yet finished. */
  get liveTaskCount(): number {
    return this.#tasks.size;
  }

  /** Number of armed timers (sleeps, poller deadlines, {@link Scheduler.setTimer}). */
  get timerCount(): number {
    return this.#wheel.size;
  }

  /** Every blocked task and what it waits on, in creation order. */
  blockedTasks(): BlockedTask[] {
    const out: BlockedTask[] = [];
    for (const t of this.#tasks) {
      if (t.state === 'blocked') out.push({ task: t.name, waitingOn: t.waiter?.what ?? 'unknown' });
    }
    return out;
  }

  /**
   * The earliest time at which a timer or poller needs service: the current time if a
   * poller's doorbell has rung, `null` if nothing is scheduled.
   */
  nextDeadline(): Micros | null {
    if (this.#dueCount > 0) return this.clock.now();
    return this.#wheel.nextDeadline();
  }

  // ── tasks ─────────────────────────────────────────────────────────────────

  /** Creates a task running `fn`. It starts when the scheduler next picks it. */
  spawn<T>(fn: TaskFn<T>, options: SpawnOptions = {}): Task<T> {
    return this.#spawn(fn, options, null) as Task<T>;
  }

  /**
   * Runs `body` with a new {@link TaskGroup} and returns its result once every child
   * has finished. The first error (of a child or of the body) cancels the remaining
   * children and the body, and is rethrown. Cancelling the calling task cancels the
   * children; the group still waits for them to finish.
   */
  async group<T>(
    body: (group: TaskGroup) => Promise<T> | T,
    options: GroupOptions = {},
  ): Promise<T> {
    const parent = this.#current;
    const g = new GroupRecord(
      this.#groupOps,
      options.name ?? `group-${this.#nextGroupId++}`,
      parent,
    );
    parent?.scopes.push(g);
    let value: T | undefined;
    let failed = false;
    let bodyError: unknown;
    try {
      value = await body(g);
    } catch (e) {
      failed = true;
      bodyError = e;
      if (!g.hasError && !(g.cancelled && isCancellation(e))) {
        g.hasError = true;
        g.error = e;
      }
      this.#cancelGroup(g, e);
    }
    while (g.children.size > 0) {
      await this.block<void>(
        `group(${g.name})`,
        (w) => {
          g.joinWaiter = w;
          w.detach = () => {
            g.joinWaiter = null;
          };
        },
        { cancellable: false },
      );
    }
    g.closed = true;
    if (parent !== null) {
      const i = parent.scopes.lastIndexOf(g);
      if (i >= 0) parent.scopes.splice(i, 1);
    }
    if (g.hasError) throw g.error;
    if (failed) throw bodyError;
    if (parent !== null) {
      const cancelled = this.#cancellationOf(parent);
      if (cancelled !== null) throw cancelled;
    }
    return value as T;
  }

  /**
   * Gives other ready tasks of the same or higher priority a turn; the caller goes to the
   * back of its priority (or is re-picked by the seeded PRNG in a simulation). Outside a
   * task it resolves at once.
   */
  yield(): Promise<void> {
    if (this.#current === null) return Promise.resolve();
    return this.block<void>('yield', this.#wakeAtOnce);
  }

  /** Blocks the calling task for `duration` µs of the scheduler's clock. */
  sleep(duration: Micros, options?: BlockOptions): Promise<void> {
    assertMicros(duration, 'duration');
    return this.sleepUntil(this.clock.now() + Math.max(0, duration), options);
  }

  /** Blocks the calling task until the clock reaches `deadline`. */
  sleepUntil(deadline: Micros, options?: BlockOptions): Promise<void> {
    assertMicros(deadline, 'deadline');
    return this.block<void>(
      `sleep(until ${deadline}µs)`,
      (w) => {
        const id = this.#wheel.arm(deadline, () => this.wake(w, undefined));
        w.detach = () => {
          this.#wheel.cancel(id);
        };
        // A caller outside any task may have armed an earlier deadline than the one an
        // idle real-time loop is parked on.
        if (w.task === null) this.kick();
      },
      options,
    );
  }

  /** Throws the `CANCELLED` error if the calling task has been cancelled. */
  checkCancelled(): void {
    const t = this.#current;
    if (t === null) return;
    const e = this.#cancellationOf(t);
    if (e !== null) throw e;
  }

  // ── timers and pollers ─────────────────────────────────────────────────────

  /**
   * Arms a callback timer at `deadline` (µs on the scheduler's clock). The callback runs
   * outside any task and must not block; errors go to the driver's `fault`.
   */
  setTimer(deadline: Micros, callback: (deadline: Micros) => void): TimerId {
    const id = this.#wheel.arm(deadline, callback);
    this.kick();
    return id;
  }

  /** Cancels a timer from {@link Scheduler.setTimer}; `false` if it already fired or was cancelled. */
  cancelTimer(id: TimerId): boolean {
    return this.#wheel.cancel(id);
  }

  /**
   * Registers a sans-IO {@link Poller}. It is polled once soon, then at every
   * `pollAt()` it reports, and whenever its handle's doorbell rings.
   */
  addPoller(poller: Poller, name?: string): PollerHandle {
    const entry: PollerEntry = {
      poller,
      name: name ?? `poller-${this.#nextPollerId++}`,
      due: true,
      removed: false,
      timer: -1,
      onTimer: () => {
        entry.timer = -1;
        if (!entry.due && !entry.removed) {
          entry.due = true;
          this.#dueCount++;
        }
      },
    };
    this.#pollers.push(entry);
    this.#dueCount++;
    this.kick();
    return {
      name: entry.name,
      ring: () => {
        if (entry.removed) return;
        if (!entry.due) {
          entry.due = true;
          this.#dueCount++;
        }
        this.kick();
      },
      remove: () => {
        if (entry.removed) return;
        entry.removed = true;
        if (entry.due) {
          entry.due = false;
          this.#dueCount--;
        }
        if (entry.timer !== -1) this.#wheel.cancel(entry.timer);
        const i = this.#pollers.indexOf(entry);
        if (i >= 0) this.#pollers.splice(i, 1);
      },
    };
  }

  /**
   * Fires every timer due at the clock's current time and polls every due poller (in
   * registration order). Drivers call this when idle; the scheduler also calls it every
   * 64 scheduling decisions.
   */
  service(): void {
    if (this.#servicing) return;
    this.#servicing = true;
    try {
      const now = this.clock.now();
      this.#wheel.expire(now, this.#fireTimer);
      for (let pass = 0; pass < MAX_POLL_PASSES && this.#dueCount > 0; pass++) {
        for (const entry of this.#pollers.slice()) {
          if (!entry.due || entry.removed) continue;
          entry.due = false;
          this.#dueCount--;
          try {
            entry.poller.poll(now);
          } catch (e) {
            this.#driver.fault(e);
          }
          if (entry.removed) continue;
          if (entry.timer !== -1) this.#wheel.cancel(entry.timer);
          const at = entry.poller.pollAt();
          entry.timer = at === null ? -1 : this.#wheel.arm(at, entry.onTimer);
        }
      }
    } finally {
      this.#servicing = false;
    }
  }

  /**
   * Looks for work now if the scheduler is idle: drivers call it when a host timer
   * fires; doorbells and {@link Scheduler.setTimer} call it too. No effect while a
   * task runs (the work is picked up when it blocks).
   */
  kick(): void {
    this.#dispatch();
  }

  // ── the blocking-point protocol (for primitives) ───────────────────────────

  /**
   * Blocks the calling task until the {@link Waiter} passed to `register` is woken with
   * {@link Scheduler.wake} (the promise resolves with the value) or
   * {@link Scheduler.wakeWithError}. `register` must store the waiter where the waking
   * side finds it and set `w.detach` to undo that (called if the wait is cancelled).
   * `what` describes the wait in deadlock reports. Outside a task the wait is untracked
   * and settles as soon as it is woken. A cancelled task's wait rejects at once.
   */
  block<T>(what: string, register: (w: Waiter) => void, options?: BlockOptions): Promise<T> {
    if (this.#current === null && this.#justBlocked !== null) {
      // A task blocked in this synchronous section and no task has continued since: this
      // call comes from that task's code, which has already given up the scheduler.
      throw new SchedError(
        'INVALID_ARGUMENT',
        `${what}: a task started a blocking operation while already blocked; await each ` +
          'operation before the next (use a task group for concurrency, not Promise.all)',
      );
    }
    const task = this.#current;
    const w = new Waiter(task, what);
    const promise = new Promise<T>((resolve, reject) => {
      w.resolve = resolve as (value: unknown) => void;
      w.reject = reject;
    });
    if (options?.cancellable === false) w.cancellable = false;
    if (task !== null && w.cancellable) {
      const e = this.#cancellationOf(task);
      if (e !== null) {
        w.settled = true;
        w.reject(e);
        return promise;
      }
    }
    const signal = options?.signal;
    if (signal?.aborted) {
      w.settled = true;
      w.reject(cancelledError(signal.reason));
      return promise;
    }
    if (task !== null) {
      task.waiter = w;
      task.state = 'blocked';
      this.#emit('block', task, what);
      // Registered before the caller's `await`, so it runs just before the task continues.
      promise.then(task.resumed, task.resumed);
    }
    register(w);
    if (signal !== undefined && !w.settled) {
      const onAbort = (): void => {
        if (w.settled) return;
        w.detach?.();
        this.wakeWithError(w, cancelledError(signal.reason));
      };
      w.signal = signal;
      w.onAbort = onAbort;
      signal.addEventListener('abort', onAbort);
    }
    if (task !== null && this.#current === task) {
      this.#current = null;
      this.#justBlocked = task;
      this.#dispatch();
    }
    return promise;
  }

  /** Completes a wait successfully with `value`. Ignored if the wait already completed. */
  wake(w: Waiter, value: unknown): void {
    if (w.settled) return;
    w.ok = true;
    w.outcome = value;
    this.#settle(w);
  }

  /** Completes a wait with `error`. Ignored if the wait already completed. */
  wakeWithError(w: Waiter, error: unknown): void {
    if (w.settled) return;
    w.ok = false;
    w.outcome = error;
    this.#settle(w);
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #settle(w: Waiter): void {
    w.settled = true;
    w.detach = null;
    w.queue?.remove(w);
    if (w.signal !== null && w.onAbort !== null) {
      w.signal.removeEventListener('abort', w.onAbort);
      w.signal = null;
      w.onAbort = null;
    }
    const task = w.task as TaskRecord | null;
    if (task === null || task.waiter !== w) {
      if (w.ok) w.resolve(w.outcome);
      else w.reject(w.outcome);
      return;
    }
    this.#makeReady(task);
  }

  #makeReady(task: TaskRecord): void {
    task.state = 'ready';
    this.#ready.push(task);
    if (this.#current === null) this.#dispatch();
  }

  #dispatch(): void {
    if (this.#current !== null || this.#handoff !== null || this.#dispatching) return;
    if (!this.#active) {
      this.#justBlocked = null;
      return;
    }
    this.#dispatching = true;
    try {
      for (;;) {
        if ((++this.#decisions & SERVICE_INTERVAL_MASK) === 0) this.service();
        const task = this.#ready.pop(this.#pick);
        if (task !== undefined) {
          this.#resume(task);
          return;
        }
        if (!this.#active || !this.#driver.idle()) {
          this.#justBlocked = null; // parked: later calls come from outside
          return;
        }
      }
    } catch (e) {
      this.#driver.fault(e);
    } finally {
      this.#dispatching = false;
    }
  }

  #resume(task: TaskRecord): void {
    this.#handoff = task;
    task.state = 'running';
    this.#emit('run', task, '');
    const start = task.start;
    if (start !== null) {
      task.start = null;
      start();
      return;
    }
    const w = task.waiter;
    task.waiter = null;
    if (w === null) return;
    if (w.ok) w.resolve(w.outcome);
    else w.reject(w.outcome);
  }

  #spawn(fn: TaskFn<unknown>, options: SpawnOptions, group: GroupRecord | null): TaskRecord {
    if (group?.closed) throw new SchedError('INVALID_ARGUMENT', `group ${group.name} has finished`);
    const priority = options.priority ?? group?.parent?.priority ?? 0;
    if (!Number.isSafeInteger(priority)) {
      throw new SchedError('INVALID_ARGUMENT', `priority must be an integer, got ${priority}`);
    }
    const id = this.#nextTaskId++;
    const task = new TaskRecord(this.#taskOps, id, options.name ?? `task-${id}`, priority, group);
    task.resumed = () => {
      this.#justBlocked = null;
      if (this.#handoff === task) {
        this.#handoff = null;
        this.#current = task;
      }
    };
    this.#tasks.add(task);
    group?.children.add(task);
    const gate = new Promise<void>((resolve) => {
      task.start = resolve;
    });
    gate
      .then(() => {
        task.resumed();
        if (task.cancelled) throw cancelledError(task.cancelReason);
        return fn();
      })
      .then(
        (value) => this.#finish(task, true, value),
        (error: unknown) => this.#finish(task, false, error),
      );
    if (group?.cancelled) {
      task.cancelled = true;
      task.cancelReason = group.cancelReason;
    }
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        task.cancelled = true;
        task.cancelReason = signal.reason;
      } else {
        const onAbort = (): void => this.#cancelTask(task, signal.reason);
        signal.addEventListener('abort', onAbort);
        task.abortCleanup = () => signal.removeEventListener('abort', onAbort);
      }
    }
    this.#emit('spawn', task, '');
    this.#makeReady(task);
    return task;
  }

  #finish(task: TaskRecord, ok: boolean, outcome: unknown): void {
    task.state = 'done';
    task.ok = ok;
    task.outcome = outcome;
    task.waiter = null;
    this.#tasks.delete(task);
    task.abortCleanup?.();
    task.abortCleanup = null;
    if (this.#current === task) this.#current = null;
    if (this.#handoff === task) this.#handoff = null;
    this.#emit('finish', task, ok ? 'ok' : 'error');
    const observed = task.joiners.length > 0 || task.group !== null;
    for (let w = task.joiners.shift(); w !== null; w = task.joiners.shift()) {
      if (ok) this.wake(w, outcome);
      else this.wakeWithError(w, outcome);
    }
    if (task.group !== null) this.#childDone(task.group, task);
    if (!ok && !observed) this.#onTaskError?.(outcome, task);
    this.#dispatch();
  }

  #join(task: TaskRecord): Promise<unknown> {
    if (task.state === 'done') {
      return task.ok ? Promise.resolve(task.outcome) : Promise.reject(task.outcome);
    }
    return this.block<unknown>(`join(${task.name})`, (w) => {
      task.joiners.push(w);
      w.detach = () => {
        task.joiners.remove(w);
      };
    });
  }

  #childDone(g: GroupRecord, child: TaskRecord): void {
    g.children.delete(child);
    if (!child.ok && !isCancellation(child.outcome)) {
      if (!g.hasError) {
        g.hasError = true;
        g.error = child.outcome;
      }
      this.#cancelGroup(g, child.outcome);
    }
    if (g.children.size === 0 && g.joinWaiter !== null) {
      const w = g.joinWaiter;
      g.joinWaiter = null;
      this.wake(w, undefined);
    }
  }

  #cancelTask(task: TaskRecord, reason: unknown): void {
    if (task.state === 'done') return;
    if (!task.cancelled) {
      task.cancelled = true;
      task.cancelReason = reason;
    }
    for (const g of task.scopes.slice()) this.#cancelGroup(g, reason);
    this.#interrupt(task);
  }

  #cancelGroup(g: GroupRecord, reason: unknown): void {
    if (g.cancelled) return;
    g.cancelled = true;
    g.cancelReason = reason;
    for (const child of [...g.children]) this.#cancelTask(child, reason);
    if (g.parent !== null) this.#interrupt(g.parent);
  }

  /** Interrupts a blocked task's cancellable wait if the task or one of its scopes is cancelled. */
  #interrupt(task: TaskRecord): void {
    const w = task.waiter;
    if (task.state !== 'blocked' || w === null || w.settled || !w.cancellable) return;
    const e = this.#cancellationOf(task);
    if (e === null) return;
    w.detach?.();
    this.wakeWithError(w, e);
  }

  #cancellationOf(task: TaskRecord): SchedError | null {
    if (task.cancelled) return cancelledError(task.cancelReason);
    for (const g of task.scopes) if (g.cancelled) return cancelledError(g.cancelReason);
    return null;
  }

  #emit(kind: TraceEvent['kind'], task: TaskRecord, detail: string): void {
    this.#trace?.({ time: this.clock.now(), kind, task: task.name, detail });
  }
}
