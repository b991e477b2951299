import { PartitionTableError } from './partition-table-error.js';

/** The extent of a partition, as the layout checks see it. */
export interface Extent {
  /** Partition number, for messages. */
  readonly number: number;
  /** First sector. */
  readonly start: number;
  /** Length in sectors. */
  readonly size: number;
}

/**
 * Checks that each extent is a positive safe-integer range inside `[first, last]` and that
 * no two extents share a sector.
 *
 * @throws {@link PartitionTableError} `bad-extent`, `beyond-end` or `overlap`.
 */
export function checkLayout(extents: readonly Extent[], first: number, last: number): void {
  for (const e of extents) {
    if (!Number.isSafeInteger(e.start) || !Number.isSafeInteger(e.size) || e.size < 1) {
      throw new PartitionTableError(
        'bad-extent',
        `partition ${e.number}: start ${e.start}, size ${e.size}`,
      );
    }
    if (e.start < first || e.start + e.size - 1 > last) {
      throw new PartitionTableError(
        'beyond-end',
        `partition ${e.number} (sectors ${e.start}..${e.start + e.size - 1}) is outside ${first}..${last}`,
      );
    }
  }
  const sorted = [...extents].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.start < a.start + a.size) {
      throw new PartitionTableError('overlap', `partitions ${a.number} and ${b.number} overlap`);
    }
  }
}
