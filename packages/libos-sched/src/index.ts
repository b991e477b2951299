/**
 * `@libos/sched`: the time unit, clocks, timer wheel, entropy, tasks, synchronisation
 * primitives and the run loop of libos — in real time or in deterministic simulation.
 *
 * @packageDocumentation
 */

export {
  Channel,
  type ChannelOptions,
  type TryRecvEmpty,
  type TryRecvResult,
  type TryRecvValue,
} from './channel.js';
export type { Clock } from './clock.js';
export { type EntropySource, randomU32 } from './entropy.js';
export {
  type BlockedTask,
  cancelledError,
  DeadlockError,
  SchedError,
  type SchedErrorCode,
} from './errors.js';
export { Event } from './event.js';
export { HostClock } from './host-clock.js';
export { HostEntropy } from './host-entropy.js';
export type { AbortSignalLike } from './host-globals.js';
export { Mutex } from './mutex.js';
export type { Poller, PollerHandle } from './poller.js';
export { RealTimeLoop, type RealTimeLoopOptions } from './real-time-loop.js';
export {
  type BlockOptions,
  type GroupOptions,
  Scheduler,
  type SchedulerDriver,
  type SchedulerOptions,
  type TieBreaker,
  type TraceEvent,
} from './scheduler.js';
export { SeededEntropy } from './seeded-entropy.js';
export { Semaphore } from './semaphore.js';
export { Simulation, type SimulationOptions } from './simulation.js';
export type { SpawnOptions, Task, TaskFn, TaskGroup, TaskState } from './task.js';
export {
  assertMicros,
  isMicros,
  MICROS_PER_MILLI,
  MICROS_PER_SECOND,
  type Micros,
  millis,
  seconds,
  toMillis,
  toSeconds,
} from './time.js';
export { type TimerId, TimerWheel, type TimerWheelOptions } from './timer-wheel.js';
export type { Timers } from './timers.js';
export { VirtualClock } from './virtual-clock.js';
export { Waiter, type WaiterOwner, WaitQueue } from './waiter.js';
export { type Seed, seedToBigInt, splitMix64Words, Xoshiro128StarStar } from './xoshiro128.js';
