/**
 * Typed access to the few host globals this package uses.
 *
 * The core of `@libos/sched` is compiled with `lib: ES2023` and no host types, so
 * `performance`, `setTimeout`, `crypto` and `AbortSignal` are not declared. This file
 * is the single place that reaches into `globalThis` for them, with the narrowest
 * structural types that Node.js and browsers both satisfy.
 *
 * @module
 */

/** Opaque handle returned by the host's `setTimeout`. */
export type HostTimeoutHandle = unknown;

/**
 * The structural subset of the DOM `AbortSignal` that this package relies on.
 * Real `AbortSignal`s from Node.js and browsers satisfy it.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const signal: AbortSignalLike = controller.signal;
 * ```
 */
export interface AbortSignalLike {
  /** True once the signal has been aborted. */
  readonly aborted: boolean;
  /** The value passed to `abort(reason)`, if any. */
  readonly reason?: unknown;
  /** Registers `listener` for the `'abort'` event. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Removes a listener registered with {@link AbortSignalLike.addEventListener}. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

interface HostPerformance {
  now(): number;
}
interface HostCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
}
interface HostGlobals {
  performance?: HostPerformance;
  crypto?: HostCrypto;
  setTimeout?: (callback: () => void, ms: number) => HostTimeoutHandle;
  clearTimeout?: (handle: HostTimeoutHandle) => void;
  Date?: { now(): number };
}

const host = globalThis as unknown as HostGlobals;

/** Milliseconds from the host's monotonic clock (`performance.now()`), or `Date.now()` as a fallback. */
export function hostMillis(): number {
  const perf = host.performance;
  if (perf !== undefined) return perf.now();
  return host.Date?.now() ?? 0;
}

/** Whether the host provides `setTimeout` and `clearTimeout`. */
export function hostHasTimers(): boolean {
  return typeof host.setTimeout === 'function' && typeof host.clearTimeout === 'function';
}

/** Calls the host's `setTimeout`. Callers check {@link hostHasTimers} first. */
export function hostSetTimeout(callback: () => void, ms: number): HostTimeoutHandle {
  const set = host.setTimeout;
  if (set === undefined) throw new Error('host has no setTimeout');
  return set(callback, ms);
}

/** Calls the host's `clearTimeout`. */
export function hostClearTimeout(handle: HostTimeoutHandle): void {
  host.clearTimeout?.(handle);
}

/** The host's `crypto.getRandomValues`, or `undefined` when the host has none. */
export function hostGetRandomValues(): ((array: Uint8Array) => Uint8Array) | undefined {
  const c = host.crypto;
  if (c === undefined || typeof c.getRandomValues !== 'function') return undefined;
  return (array) => c.getRandomValues(array);
}
