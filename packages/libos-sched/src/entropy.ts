/**
 * The entropy interface consumed by libos services (ISNs, ephemeral ports, nonces).
 *
 * @module
 */

/**
 * A source of random bytes. Implemented by {@link HostEntropy} (the host CSPRNG),
 * {@link SeededEntropy} (reproducible, for simulation) and virtio-rng drivers.
 *
 * @example
 * ```ts
 * function nonce(entropy: EntropySource): Uint8Array {
 *   const bytes = new Uint8Array(16);
 *   entropy.fill(bytes);
 *   return bytes;
 * }
 * ```
 */
export interface EntropySource {
  /** Overwrites every byte of `bytes` with random data. */
  fill(bytes: Uint8Array): void;
}

const word = new Uint8Array(4);

/**
 * Draws an unsigned 32-bit integer from any {@link EntropySource} (little-endian).
 *
 * @example
 * ```ts
 * const isn = randomU32(entropy);
 * ```
 */
export function randomU32(source: EntropySource): number {
  source.fill(word);
  return (word[0]! | (word[1]! << 8) | (word[2]! << 16) | (word[3]! << 24)) >>> 0;
}
