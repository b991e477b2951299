/**
 * FAT12/16/32 with VFAT long names: on-disk views, format, mount, check.
 *
 * | supported | not supported |
 * |---|---|
 * | format like `mkfs.fat` (type and cluster size by size, FSInfo, backup boot sector) | exFAT; partition tables (wrap the device in a partition first) |
 * | mount, read/write/truncate/append, mkdir/readdir/rmdir, rename across directories, unlink, utimes, statfs, sync | setting/clearing the dirty bit on mount/unmount |
 * | VFAT long names (UTF-16), case-insensitive lookup, case kept | OEM code pages: generated short names are ASCII; existing short-name bytes ≥ 0x80 show as latin-1 |
 * | NT lower-case flags read | NT lower-case flags written (lower-case names get long-name entries instead) |
 * | all FAT copies written; copy 0 read | `BPB_ExtFlags` "mirroring disabled, active FAT n" (copy 0 is always used) |
 * | creation (10 ms), modification (2 s), access (date) times, as UTC | time zones; directory mtime updates on entry changes |
 * | corruption → typed {@link FsCorruptionError} and read-only; `checkFat` ≈ `fsck.fat -n` | repair (`fsck.fat -a`) |
 */
export {
  BOOT_SECTOR_SIZE,
  BootSector,
  type BootSectorProblem,
  type BootSectorRepr,
  emitBootSector,
  type FatType,
  parseBootSector,
} from './boot-sector.js';
export {
  checkFat,
  type FatCheckProblem,
  type FatCheckProblemKind,
  type FatCheckReport,
} from './check-fat.js';
export { type ChainWalk, walkChain } from './cluster-chain.js';
export {
  DIR_ENTRY_SIZE,
  DirEntry,
  ENTRY_END,
  ENTRY_FREE,
  FatAttr,
  NT_LOWER_BASE,
  NT_LOWER_EXT,
} from './dir-entry.js';
export { FatContext } from './fat-context.js';
export {
  type DirectoryLoad,
  type DotEntries,
  FatDirectory,
  type FatDirRecord,
  MAX_DIR_SLOTS,
  type SlotLocation,
} from './fat-directory.js';
export { FatFile, type FatFileHost, type FatOpenFile } from './fat-file.js';
export { type FatGeometryOptions, planFatGeometry } from './fat-geometry.js';
export { type FatEntryKind, FatTable } from './fat-table.js';
export { decodeFatTimestamp, encodeFatTimestamp, type FatTimestamp } from './fat-time.js';
export { FatVolume, type MountFatOptions, mountFat } from './fat-volume.js';
export { type FormatFatOptions, formatFat } from './format-fat.js';
export { emitFsInfo, FSINFO_UNKNOWN, FsInfo, type FsInfoRepr, parseFsInfo } from './fs-info.js';
export {
  LFN_LAST,
  LFN_MAX_UNITS,
  LFN_UNITS_PER_ENTRY,
  LfnEntry,
  lfnChecksum,
} from './lfn-entry.js';
export { SectorCache } from './sector-cache.js';
export {
  type BasisName,
  basisName,
  checkFatName,
  displayShortName,
  exactShortName,
  type FatNameProblem,
  foldFatName,
  generateShortName,
  shortNameKey,
} from './short-name.js';
