/**
 * Errors thrown by `@libos/sched` on API misuse, each with a stable string `code`.
 *
 * @module
 */

/**
 * The stable codes of {@link SchedError}.
 *
 * - `INVALID_TIME`: a time or duration that is not a safe integer number of µs.
 * - `INVALID_ARGUMENT`: any other out-of-range argument.
 * - `CLOCK_BACKWARDS`: a {@link VirtualClock} was asked to go back in time.
 * - `DEADLOCK`: every task is blocked and nothing can wake one (see {@link DeadlockError}).
 * - `CANCELLED`: the task or operation was cancelled.
 * - `CHANNEL_CLOSED`: send on a closed channel, or receive on a closed and drained one.
 * - `NOT_OWNER`: a mutex was unlocked by a task that does not hold it.
 * - `NOT_RUNNING`: the loop is not running (e.g. it was stopped).
 * - `ALREADY_RUNNING`: a loop or simulation was started twice.
 * - `TIME_LIMIT`: a simulation reached its time limit.
 * - `LIVELOCK`: a simulation made no progress (a poller kept asking to be polled in the past).
 * - `HOST_UNAVAILABLE`: the host lacks a required global (timers, crypto).
 */
export type SchedErrorCode =
  | 'INVALID_TIME'
  | 'INVALID_ARGUMENT'
  | 'CLOCK_BACKWARDS'
  | 'DEADLOCK'
  | 'CANCELLED'
  | 'CHANNEL_CLOSED'
  | 'NOT_OWNER'
  | 'NOT_RUNNING'
  | 'ALREADY_RUNNING'
  | 'TIME_LIMIT'
  | 'LIVELOCK'
  | 'HOST_UNAVAILABLE';

/**
 * The error class of `@libos/sched`. Match on {@link SchedError.code}, not on the message.
 *
 * @example
 * ```ts
 * try {
 *   clock.advanceTo(0);
 * } catch (e) {
 *   if (e instanceof SchedError && e.code === 'CLOCK_BACKWARDS') console.log('refused');
 * }
 * ```
 */
export class SchedError extends Error {
  /** Stable machine-readable code. */
  readonly code: SchedErrorCode;

  /**
   * @param code - the stable code
   * @param message - a human-readable explanation
   * @param options - standard error options (`cause`)
   */
  constructor(code: SchedErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SchedError';
    this.code = code;
  }
}

/**
 * One blocked task in a {@link DeadlockError}: who is stuck and on what.
 *
 * @example
 * ```ts
 * const b: BlockedTask = { task: 'producer', waitingOn: 'channel.send(jobs)' };
 * ```
 */
export interface BlockedTask {
  /** The task's name. */
  readonly task: string;
  /** What the task is blocked on, e.g. `mutex.lock(db)`. */
  readonly waitingOn: string;
}

/**
 * Every task is blocked, no timer is armed and no poller has a deadline: nothing can
 * ever make progress. Raised by the simulation, which sees the whole closed world.
 *
 * @example
 * ```ts
 * try {
 *   await sim.run(main);
 * } catch (e) {
 *   if (e instanceof DeadlockError) console.log(e.blocked.map((b) => b.task));
 * }
 * ```
 */
export class DeadlockError extends SchedError {
  /** The blocked tasks and what each waits on, in task-creation order. */
  readonly blocked: readonly BlockedTask[];

  /**
   * @param blocked - the blocked tasks
   * @param now - the virtual time at which the deadlock was found
   */
  constructor(blocked: readonly BlockedTask[], now: number) {
    const list = blocked.map((b) => `${b.task} (waiting on ${b.waitingOn})`).join(', ');
    super('DEADLOCK', `deadlock at t=${now}µs: all tasks blocked and no timer armed: ${list}`);
    this.name = 'DeadlockError';
    this.blocked = blocked;
  }
}

/**
 * Creates the `CANCELLED` error a cancelled operation rejects with.
 *
 * @example
 * ```ts
 * throw cancelledError('group failed');
 * ```
 */
export function cancelledError(reason: unknown): SchedError {
  const text = reason instanceof Error ? reason.message : String(reason ?? 'cancelled');
  return new SchedError('CANCELLED', `cancelled: ${text}`, { cause: reason });
}
