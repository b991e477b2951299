/**
 * Internal bookkeeping of tasks and groups. The public surface is the {@link Task} and
 * {@link TaskGroup} interfaces; these classes implement them for the {@link Scheduler}.
 *
 * @module
 */

import { SchedError } from './errors.js';
import type { Prioritised } from './ready-queue.js';
import type { SpawnOptions, Task, TaskFn, TaskGroup, TaskState } from './task.js';
import { type Waiter, type WaiterOwner, WaitQueue } from './waiter.js';

function noop(): void {}

/** Scheduler operations a task handle delegates to. */
export interface TaskOps {
  join(task: TaskRecord): Promise<unknown>;
  cancel(task: TaskRecord, reason: unknown): void;
}

/** Scheduler operations a group handle delegates to. */
export interface GroupOps {
  spawn(group: GroupRecord, fn: TaskFn<unknown>, options: SpawnOptions): TaskRecord;
  cancel(group: GroupRecord, reason: unknown): void;
}

/** A task's full state. */
export class TaskRecord implements Task<unknown>, WaiterOwner, Prioritised {
  state: TaskState = 'ready';
  cancelled = false;
  cancelReason: unknown = undefined;
  /** The wait the task is blocked in (or was just woken from and not yet resumed). */
  waiter: Waiter | null = null;
  /** Starts the task body the first time the task is scheduled. */
  start: (() => void) | null = null;
  ok = true;
  outcome: unknown = undefined;
  readonly joiners = new WaitQueue();
  /** Groups whose body runs in this task, innermost last (cancel scopes). */
  readonly scopes: GroupRecord[] = [];
  abortCleanup: (() => void) | null = null;
  /** Runs just before the task's code continues after a resume: makes it the current task. */
  resumed: () => void = noop;

  constructor(
    readonly ops: TaskOps,
    readonly id: number,
    readonly name: string,
    readonly priority: number,
    readonly group: GroupRecord | null,
  ) {}

  join(): Promise<unknown> {
    return this.ops.join(this);
  }

  cancel(reason?: unknown): void {
    this.ops.cancel(this, reason ?? new SchedError('CANCELLED', `task ${this.name} cancelled`));
  }
}

/** A task group's full state. */
export class GroupRecord implements TaskGroup {
  cancelled = false;
  cancelReason: unknown = undefined;
  closed = false;
  hasError = false;
  error: unknown = undefined;
  readonly children = new Set<TaskRecord>();
  /** The parent's wait for the last child, while the parent is in that wait. */
  joinWaiter: Waiter | null = null;

  constructor(
    readonly ops: GroupOps,
    readonly name: string,
    readonly parent: TaskRecord | null,
  ) {}

  get live(): number {
    return this.children.size;
  }

  spawn<T>(fn: TaskFn<T>, options: SpawnOptions = {}): Task<T> {
    return this.ops.spawn(this, fn, options) as Task<T>;
  }

  cancel(reason?: unknown): void {
    this.ops.cancel(this, reason ?? new SchedError('CANCELLED', `group ${this.name} cancelled`));
  }
}
