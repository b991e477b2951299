/**
 * Well-known GPT partition type GUIDs (UEFI 2.x §5.3.3 table 5-7 for the first two; the
 * others as Linux and Windows register them), in the upper-case form readers return.
 *
 * @example
 * ```ts
 * import { GPT_TYPE, writeGpt } from '@libos/fs';
 * const esp = { start: 2048, size: 4096, type: GPT_TYPE.efiSystem, guid: '…', name: 'EFI' };
 * ```
 */
export const GPT_TYPE = {
  /** EFI System Partition. */
  efiSystem: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
  /** Partition with a legacy MBR inside. */
  legacyMbr: '024DEE41-33E7-11D3-9D69-0008C781F39F',
  /** Microsoft basic data (FAT, exFAT, NTFS). */
  basicData: 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7',
  /** Linux filesystem data. */
  linuxFilesystem: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
  /** Linux swap. */
  linuxSwap: '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F',
} as const;
