/**
 * The Node-style codes a {@link BlockDevice} rejects with.
 *
 * @example
 * ```ts
 * import type { BlockDeviceErrorCode } from '@libos/fs';
 * const retryable = (code: BlockDeviceErrorCode) => code === 'EIO';
 * ```
 */
export type BlockDeviceErrorCode = 'EINVAL' | 'EROFS' | 'EIO';

/**
 * Error rejected by block devices. `code` is stable and matches Node's `errno` names,
 * so file system layers can pass it straight through.
 *
 * @example
 * ```ts
 * import { BlockDeviceError } from '@libos/fs';
 * try { await disk.write(0, data); } catch (e) {
 *   if (e instanceof BlockDeviceError && e.code === 'EROFS') console.log('mounted read-only');
 * }
 * ```
 */
export class BlockDeviceError extends Error {
  /**
   * @param code The stable error code.
   * @param message What went wrong, for people.
   */
  constructor(
    readonly code: BlockDeviceErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'BlockDeviceError';
  }
}
