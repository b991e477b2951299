/**
 * Reproducible entropy for deterministic simulation.
 *
 * @module
 */

import type { EntropySource } from './entropy.js';
import { type Seed, Xoshiro128StarStar } from './xoshiro128.js';

/**
 * An {@link EntropySource} driven by xoshiro128** from a seed: the same seed yields
 * the same bytes. Not cryptographically secure — for simulations and tests only.
 *
 * @example
 * ```ts
 * const a = new SeededEntropy(7);
 * const b = new SeededEntropy(7);
 * a.u32() === b.u32(); // true
 * ```
 */
export class SeededEntropy implements EntropySource {
  readonly #rng: Xoshiro128StarStar;

  /**
   * @param seed - the seed
   * @param stream - selects an independent stream for the same seed (default 0)
   */
  constructor(seed: Seed, stream = 0) {
    this.#rng = Xoshiro128StarStar.fromSeed(seed, stream);
  }

  /** Fills `bytes` with the generator's output (little-endian words). */
  fill(bytes: Uint8Array): void {
    this.#rng.fill(bytes);
  }

  /** The next unsigned 32-bit integer of the stream. */
  u32(): number {
    return this.#rng.nextU32();
  }
}
