/**
 * `entropy()`: a virtio-rng for a libos unikernel.
 *
 * @module
 */
export { type EntropyHandle, type EntropyOptions, entropy } from './entropy.js';
