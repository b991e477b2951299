/** Reflected CRC-32 polynomial (IEEE 802.3), as UEFI 2.x §5.3.2 uses for GPT. */
const POLYNOMIAL = 0xedb88320;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * The CRC-32 (IEEE 802.3, reflected, init and final XOR `0xffffffff`) of `bytes`: the
 * checksum GPT headers and partition entry arrays carry (UEFI 2.x §5.3.2).
 *
 * @param bytes The data.
 * @returns The checksum as an unsigned 32-bit number.
 * @example
 * ```ts
 * import { crc32 } from '@libos/fs';
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
