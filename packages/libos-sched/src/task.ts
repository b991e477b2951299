/**
 * Public types of tasks and task groups.
 *
 * @module
 */

import type { AbortSignalLike } from './host-globals.js';

/**
 * The lifecycle of a task: `ready` (runnable, waiting for its turn), `running` (holds
 * the scheduler), `blocked` (waiting on a primitive, timer or join), `done`.
 *
 * @example
 * ```ts
 * if (task.state === 'done') console.log('finished');
 * ```
 */
export type TaskState = 'ready' | 'running' | 'blocked' | 'done';

/**
 * The body of a task: an async function (a plain function also works).
 *
 * @example
 * ```ts
 * const body: TaskFn<number> = async () => {
 *   await sched.sleep(millis(1));
 *   return 42;
 * };
 * ```
 */
export type TaskFn<T> = () => Promise<T> | T;

/**
 * Options for {@link Scheduler.spawn} and {@link TaskGroup.spawn}.
 *
 * @example
 * ```ts
 * sched.spawn(work, { name: 'rx', priority: 1, signal: controller.signal });
 * ```
 */
export interface SpawnOptions {
  /** Name shown in traces and deadlock reports (default `task-<id>`). */
  readonly name?: string;
  /** Higher runs first among ready tasks (default 0). */
  readonly priority?: number;
  /** Aborting this signal cancels the task. Any `AbortSignal` fits. */
  readonly signal?: AbortSignalLike;
}

/**
 * A handle on a spawned task.
 *
 * @example
 * ```ts
 * const t = sched.spawn(async () => 1 + 1, { name: 'adder' });
 * const two = await t.join();
 * ```
 */
export interface Task<T> {
  /** Unique (per scheduler) increasing id. */
  readonly id: number;
  /** The task's name. */
  readonly name: string;
  /** The task's priority. */
  readonly priority: number;
  /** Current lifecycle state. */
  readonly state: TaskState;
  /** Whether cancellation has been requested. */
  readonly cancelled: boolean;
  /**
   * Waits for the task to finish and returns its result (or rethrows its error). From
   * inside a task this is a scheduler blocking point (`join(<name>)`).
   */
  join(): Promise<T>;
  /**
   * Requests cancellation: a blocked task's current wait rejects with a `CANCELLED`
   * {@link SchedError}, and every later blocking operation of the task rejects likewise.
   * A task that has not started yet never runs. No effect on a finished task.
   */
  cancel(reason?: unknown): void;
}

/**
 * A scope of child tasks owned by a parent (structured concurrency, as in Trio's
 * nurseries): the parent's {@link Scheduler.group} call returns only when every child
 * has finished; a child's error cancels its siblings and the group body and is rethrown
 * to the parent; cancelling the parent cancels the children.
 *
 * @example
 * ```ts
 * await sched.group(async (g) => {
 *   g.spawn(fetchA);
 *   g.spawn(fetchB);
 * }); // both done here, or the first error is thrown and the other was cancelled
 * ```
 */
export interface TaskGroup {
  /** The group's name. */
  readonly name: string;
  /** Whether the group has been cancelled (explicitly or by a failing child). */
  readonly cancelled: boolean;
  /** Number of children not yet finished. */
  readonly live: number;
  /** Spawns a child task in this group. */
  spawn<T>(fn: TaskFn<T>, options?: SpawnOptions): Task<T>;
  /** Cancels every child and interrupts the group body. */
  cancel(reason?: unknown): void;
}
