import type { PartitionTableErrorKind } from './partition-table-error.js';

/**
 * A partition found in an MBR (DOS) table. Numbers follow Linux: 1–4 for the primary
 * records, 5 and up for logical partitions in the extended partition's chain.
 *
 * @example
 * ```ts
 * import type { MbrPartition } from '@libos/fs';
 * const isLinux = (p: MbrPartition) => p.type === 0x83;
 * ```
 */
export interface MbrPartition {
  /** Which table it came from. */
  readonly scheme: 'mbr';
  /** Linux partition number (`sda1` → 1; logical partitions start at 5). */
  readonly number: number;
  /** First sector (LBA). */
  readonly start: number;
  /** Length in sectors. */
  readonly size: number;
  /** The partition type byte ("system ID"), e.g. `0x83` Linux, `0x0c` FAT32 LBA, `0x05` extended. */
  readonly type: number;
  /** The boot indicator (0x80) is set. */
  readonly bootable: boolean;
  /** A primary record, the extended container, or a logical partition inside it. */
  readonly kind: 'primary' | 'extended' | 'logical';
}

/**
 * A partition found in a GPT (UEFI 2.x §5.3.3).
 *
 * @example
 * ```ts
 * import { GPT_TYPE, type GptPartition } from '@libos/fs';
 * const isEsp = (p: GptPartition) => p.type === GPT_TYPE.efiSystem;
 * ```
 */
export interface GptPartition {
  /** Which table it came from. */
  readonly scheme: 'gpt';
  /** 1-based index of its entry in the partition entry array. */
  readonly number: number;
  /** First sector (StartingLBA). */
  readonly start: number;
  /** Length in sectors (EndingLBA − StartingLBA + 1). */
  readonly size: number;
  /** PartitionTypeGUID, upper-case text form. */
  readonly type: string;
  /** UniquePartitionGUID, upper-case text form. */
  readonly guid: string;
  /** PartitionName (up to 36 UTF-16 code units). */
  readonly name: string;
  /** The 64 attribute bits. */
  readonly attributes: bigint;
}

/**
 * A partition of either scheme; `scheme` tells which.
 *
 * @example
 * ```ts
 * import type { Partition } from '@libos/fs';
 * const describe = (p: Partition) => `${p.number}: ${p.start}+${p.size}`;
 * ```
 */
export type Partition = MbrPartition | GptPartition;

/**
 * Damage found in one copy of a GPT while the other copy was intact (and used).
 *
 * @example
 * ```ts
 * import type { GptDamage } from '@libos/fs';
 * const explain = (d: GptDamage) => `${d.copy} GPT: ${d.kind} (${d.message})`;
 * ```
 */
export interface GptDamage {
  /** Which copy is damaged. */
  readonly copy: 'primary' | 'backup';
  /** What is wrong with it. */
  readonly kind: PartitionTableErrorKind;
  /** Details, for people. */
  readonly message: string;
}

/**
 * What {@link readPartitionTable} found.
 *
 * @example
 * ```ts
 * import { readPartitionTable } from '@libos/fs';
 * const table = await readPartitionTable(disk);
 * if (table.scheme === 'gpt' && table.damage.length > 0) console.log('repair the GPT');
 * ```
 */
export interface PartitionTable {
  /** `'none'` when sector 0 has no boot signature. */
  readonly scheme: 'mbr' | 'gpt' | 'none';
  /** The partitions, in entry order (MBR: primary records, then logical ones). */
  readonly partitions: readonly Partition[];
  /** GPT: the disk GUID. MBR: the disk signature as `0x` + 8 hex digits. `null` for none. */
  readonly diskId: string | null;
  /** GPT: the copy the partitions came from. */
  readonly gptCopy: 'primary' | 'backup' | null;
  /** GPT: damage found in either copy while the other one was intact and used (empty when both are intact). */
  readonly damage: readonly GptDamage[];
}
