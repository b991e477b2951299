/**
 * Calendar time for file timestamps, passed in so file system code stays sans-IO and
 * deterministic under simulation. `now()` returns milliseconds since the Unix epoch
 * (UTC), like `Date.now()`.
 *
 * @example
 * ```ts
 * import type { WallClock } from '@libos/fs';
 * const system: WallClock = { now: () => Date.now() };
 * const frozen: WallClock = { now: () => Date.UTC(2024, 0, 1) };
 * ```
 */
export interface WallClock {
  /** Milliseconds since 1970-01-01T00:00:00Z. */
  now(): number;
}
