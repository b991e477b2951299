import type { BlockDevice } from './block-device.js';
import { BlockDeviceError } from './block-device-error.js';

/**
 * Validates a read or write request against the {@link BlockDevice} contract and
 * returns the number of sectors it covers. Implementations call it first, so a bad
 * request is refused before any byte moves.
 *
 * @param device Geometry of the device (`sectorSize`, `sectorCount`, `readOnly`).
 * @param sector First sector of the request.
 * @param byteLength Length of the caller's buffer.
 * @param kind `'write'` also checks that the device is writable.
 * @throws {@link BlockDeviceError} `EINVAL` for a bad sector number, a length that is
 *   not a positive multiple of the sector size, or a range past the end; `EROFS` for a
 *   write to a read-only device.
 * @example
 * ```ts
 * import { checkBlockRequest } from '@libos/fs';
 * const disk = { sectorSize: 512, sectorCount: 8, readOnly: false };
 * checkBlockRequest(disk, 6, 1024, 'read'); // 2
 * ```
 */
export function checkBlockRequest(
  device: Pick<BlockDevice, 'sectorSize' | 'sectorCount' | 'readOnly'>,
  sector: number,
  byteLength: number,
  kind: 'read' | 'write',
): number {
  if (!Number.isSafeInteger(sector) || sector < 0) {
    throw new BlockDeviceError('EINVAL', `sector ${sector} is not a non-negative integer`);
  }
  if (byteLength <= 0 || byteLength % device.sectorSize !== 0) {
    throw new BlockDeviceError(
      'EINVAL',
      `length ${byteLength} is not a positive multiple of the ${device.sectorSize}-byte sector`,
    );
  }
  const count = byteLength / device.sectorSize;
  // Compare without forming sector + count, which could exceed 2^53.
  if (sector >= device.sectorCount || count > device.sectorCount - sector) {
    throw new BlockDeviceError(
      'EINVAL',
      `sectors ${sector}..${sector + count - 1} are past the end (${device.sectorCount} sectors)`,
    );
  }
  if (kind === 'write' && device.readOnly) {
    throw new BlockDeviceError('EROFS', 'the device is read-only');
  }
  return count;
}

/**
 * Validates a discard request (`count` sectors from `sector`) against the
 * {@link BlockDevice} contract, like {@link checkBlockRequest} does for reads and
 * writes. Implementations call it first, so a bad request is refused before any effect.
 *
 * @param device Geometry of the device (`sectorSize`, `sectorCount`, `readOnly`).
 * @param sector First sector to discard.
 * @param count Number of sectors.
 * @throws {@link BlockDeviceError} `EINVAL` for a count that is not a positive integer or
 *   a range past the end; `EROFS` on a read-only device.
 * @example
 * ```ts
 * import { checkDiscardRequest } from '@libos/fs';
 * checkDiscardRequest({ sectorSize: 512, sectorCount: 8, readOnly: false }, 2, 3); // ok
 * ```
 */
export function checkDiscardRequest(
  device: Pick<BlockDevice, 'sectorSize' | 'sectorCount' | 'readOnly'>,
  sector: number,
  count: number,
): void {
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new BlockDeviceError('EINVAL', `discard count ${count} is not a positive integer`);
  }
  if (count > device.sectorCount) {
    throw new BlockDeviceError('EINVAL', `discard of ${count} sectors is past the end`);
  }
  checkBlockRequest(device, sector, count * device.sectorSize, 'write');
}
