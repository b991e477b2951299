/**
 * Entropy from the host CSPRNG (`crypto.getRandomValues`, Web Crypto).
 *
 * @module
 */

import type { EntropySource } from './entropy.js';
import { SchedError } from './errors.js';
import { hostGetRandomValues } from './host-globals.js';

/** Web Crypto's per-call limit: `getRandomValues` throws QuotaExceededError above 65536 bytes. */
const MAX_BYTES_PER_CALL = 65536;

/**
 * An {@link EntropySource} over the host's `crypto.getRandomValues`, chunked at the
 * Web Crypto limit of 65536 bytes per call (W3C Web Cryptography API §10.1.1).
 * Throws `HOST_UNAVAILABLE` on construction if the host has no Web Crypto.
 *
 * @example
 * ```ts
 * const entropy = new HostEntropy();
 * const key = new Uint8Array(32);
 * entropy.fill(key);
 * ```
 */
export class HostEntropy implements EntropySource {
  readonly #getRandomValues: (array: Uint8Array) => Uint8Array;
  readonly #word = new Uint8Array(4);

  constructor() {
    const fn = hostGetRandomValues();
    if (fn === undefined)
      throw new SchedError('HOST_UNAVAILABLE', 'host has no crypto.getRandomValues');
    this.#getRandomValues = fn;
  }

  /** Fills `bytes` from the host CSPRNG, in chunks of at most 65536 bytes. */
  fill(bytes: Uint8Array): void {
    for (let off = 0; off < bytes.length; off += MAX_BYTES_PER_CALL) {
      const end = Math.min(bytes.length, off + MAX_BYTES_PER_CALL);
      this.#getRandomValues(bytes.subarray(off, end));
    }
  }

  /** An unsigned 32-bit random integer. */
  u32(): number {
    const w = this.#word;
    this.fill(w);
    return (w[0]! | (w[1]! << 8) | (w[2]! << 16) | (w[3]! << 24)) >>> 0;
  }
}
