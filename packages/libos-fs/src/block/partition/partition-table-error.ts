/**
 * What is wrong with a partition table, or with partitions handed to a writer.
 *
 * @example
 * ```ts
 * import type { PartitionTableErrorKind } from '@libos/fs';
 * const damaged = (k: PartitionTableErrorKind) => k === 'bad-crc' || k === 'bad-header';
 * ```
 */
export type PartitionTableErrorKind =
  /** Two partitions share sectors. */
  | 'overlap'
  /** A partition reaches past the end of the disk, or of the usable area. */
  | 'beyond-end'
  /** A GPT header or entry array has a wrong CRC32, and no intact copy exists. */
  | 'bad-crc'
  /** A GPT header is malformed (signature, size, locations), and no intact copy exists. */
  | 'bad-header'
  /** The chain of MBR extended boot records loops or is too long. */
  | 'ebr-loop'
  /** A partition's start or size is not representable or is zero. */
  | 'bad-extent'
  /** A GUID is not in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` form, or is repeated. */
  | 'bad-guid'
  /** A name, type or count does not fit the format. */
  | 'unsupported';

/**
 * Error thrown by partition table readers and writers, with a stable `kind`; `code` is
 * always `EINVAL` (a bad table or a bad request, not a device failure — device failures
 * surface as {@link BlockDeviceError}).
 *
 * @example
 * ```ts
 * import { PartitionTableError, readPartitionTable } from '@libos/fs';
 * try { await readPartitionTable(disk); } catch (e) {
 *   if (e instanceof PartitionTableError && e.kind === 'bad-crc') console.log('GPT damaged');
 * }
 * ```
 */
export class PartitionTableError extends Error {
  /** Node-style code, always `EINVAL`. */
  readonly code = 'EINVAL';

  /**
   * @param kind What is wrong.
   * @param message Details, for people.
   */
  constructor(
    readonly kind: PartitionTableErrorKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = 'PartitionTableError';
  }
}
