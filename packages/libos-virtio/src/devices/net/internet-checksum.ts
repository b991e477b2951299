/**
 * Adds the bytes `[start, end)` of `bytes`, as big-endian 16-bit words (an odd last
 * byte padded with zero), to the 32-bit ones'-complement accumulator `sum` (RFC 1071 §4.1).
 * Fold with {@link finishInternetChecksum}. Allocation-free.
 *
 * @param bytes - the data
 * @param start - first byte (inclusive)
 * @param end - last byte (exclusive)
 * @param sum - accumulator to add to (0 to start)
 * @returns the new accumulator, not yet folded
 * @example
 * ```ts
 * import { addInternetChecksum, finishInternetChecksum } from '@libos/virtio';
 * const checksum = finishInternetChecksum(addInternetChecksum(ipHeader, 0, 20, 0));
 * ```
 */
export function addInternetChecksum(
  bytes: Uint8Array,
  start: number,
  end: number,
  sum: number,
): number {
  let acc = sum;
  let i = start;
  const even = end - ((end - start) & 1);
  for (; i < even; i += 2) {
    acc += (bytes[i]! << 8) | bytes[i + 1]!;
    // Keep the accumulator far below 2^53: fold the carries now and then.
    if (acc > 0x7fff_ffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  }
  if (i < end) acc += bytes[i]! << 8;
  return acc;
}

/**
 * Folds an accumulator from {@link addInternetChecksum} to 16 bits with end-around carry
 * and complements it: the value to store in an IP/TCP/UDP checksum field (RFC 1071).
 *
 * @param sum - the accumulator
 * @returns the checksum, 0..0xffff
 * @example
 * ```ts
 * import { addInternetChecksum, finishInternetChecksum } from '@libos/virtio';
 * finishInternetChecksum(addInternetChecksum(Uint8Array.of(0xff, 0xff), 0, 2, 0)); // 0
 * ```
 */
export function finishInternetChecksum(sum: number): number {
  return ~foldInternetChecksum(sum) & 0xffff;
}

/**
 * Folds an accumulator to 16 bits with end-around carry, without complementing: the
 * "partial" pseudo-header sum a driver leaves in the checksum field for the device to
 * complete (virtio 1.2 §5.1.6.2).
 *
 * @param sum - the accumulator
 * @returns the folded sum, 0..0xffff
 * @example
 * ```ts
 * import { foldInternetChecksum } from '@libos/virtio';
 * foldInternetChecksum(0x1_0001); // 2
 * ```
 */
export function foldInternetChecksum(sum: number): number {
  let acc = sum;
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}
