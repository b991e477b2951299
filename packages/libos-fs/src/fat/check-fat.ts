/**
 * `checkFat`: a read-only consistency check of a FAT volume that reports what
 * `fsck.fat -n` (dosfstools) would: damaged chains (loops, cross-links, out-of-range or
 * broken), size/chain disagreements, bad `.`/`..`, orphaned or mismatched long-name
 * entries, duplicate names, lost clusters, a wrong FSInfo free count, FAT copies that
 * differ, and the dirty bit. The walk is bounded everywhere (ownership map per
 * cluster), so a hostile image cannot make it loop.
 */
import type { BlockDevice } from '../block-device.js';
import type { CorruptionKind } from '../fs-error.js';
import { BootSector, type FatType, parseBootSector } from './boot-sector.js';
import { DIR_ENTRY_SIZE, DirEntry, ENTRY_END, ENTRY_FREE, FatAttr } from './dir-entry.js';
import { FatTable } from './fat-table.js';
import { FSINFO_UNKNOWN, parseFsInfo } from './fs-info.js';
import { LFN_LAST, LfnEntry, lfnChecksum } from './lfn-entry.js';
import { displayShortName, foldFatName, shortNameKey } from './short-name.js';

/**
 * Kinds of problem {@link checkFat} reports: the {@link CorruptionKind}s plus the
 * volume-level findings fsck.fat also repairs.
 *
 * @example
 * ```ts
 * import type { FatCheckProblemKind } from '@libos/fs';
 * const serious = (k: FatCheckProblemKind) => k !== 'free-count' && k !== 'dirty';
 * ```
 */
export type FatCheckProblemKind =
  | CorruptionKind
  | 'lost-clusters'
  | 'free-count'
  | 'fats-differ'
  | 'dirty';

/**
 * One finding of {@link checkFat}.
 *
 * @example
 * ```ts
 * import type { FatCheckProblem } from '@libos/fs';
 * const line = (p: FatCheckProblem) => `${p.kind}: ${p.where}`;
 * ```
 */
export interface FatCheckProblem {
  /** What kind of problem. */
  readonly kind: FatCheckProblemKind;
  /** Where, for people (a path, a cluster, a field). */
  readonly where: string;
}

/**
 * What {@link checkFat} found. `clean` is true exactly when `fsck.fat -n` would exit 0.
 *
 * @example
 * ```ts
 * import type { FatCheckReport } from '@libos/fs';
 * const summary = (r: FatCheckReport) => `${r.files} files, ${r.problems.length} problems`;
 * ```
 */
export interface FatCheckReport {
  /** No problems found. */
  readonly clean: boolean;
  /** Every problem found, in the order found. */
  readonly problems: readonly FatCheckProblem[];
  /** FAT type (undefined when the boot sector is unusable). */
  readonly type: FatType | undefined;
  /** Files reached from the root. */
  readonly files: number;
  /** Directories reached from the root (not counting the root). */
  readonly directories: number;
  /** Data clusters on the volume. */
  readonly totalClusters: number;
  /** Clusters owned by reachable files and directories. */
  readonly usedClusters: number;
  /** Clusters free in the FAT. */
  readonly freeClusters: number;
  /** Clusters allocated in the FAT but owned by nothing reachable. */
  readonly lostClusters: number;
  /** Chains that run into a cluster another chain owns. */
  readonly crossLinks: number;
  /** The FSInfo free count (FAT32; undefined when absent or unknown). */
  readonly fsInfoFreeCount: number | undefined;
  /** Whether the boot sector's dirty bit is set. */
  readonly dirty: boolean;
}

/** Directory depth beyond which the walk stops (a directory loop is caught earlier). */
const MAX_DEPTH = 256;

/**
 * Checks the FAT volume on `device` without writing anything.
 *
 * @param device The device holding the volume.
 * @returns The findings.
 * @example
 * ```ts
 * import { RamDisk, checkFat, formatFat } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 4096 });
 * await formatFat(disk, { clock: { now: () => 0 } });
 * (await checkFat(disk)).clean; // true
 * ```
 */
export async function checkFat(device: BlockDevice): Promise<FatCheckReport> {
  const problems: FatCheckProblem[] = [];
  const report = (kind: FatCheckProblemKind, where: string) => problems.push({ kind, where });
  const first = new Uint8Array(Math.max(512, device.sectorSize));
  await device.read(0, first);
  const geo = parseBootSector(first);
  const empty = {
    type: undefined,
    files: 0,
    directories: 0,
    totalClusters: 0,
    usedClusters: 0,
    freeClusters: 0,
    lostClusters: 0,
    crossLinks: 0,
    fsInfoFreeCount: undefined,
    dirty: false,
  };
  if (typeof geo === 'string') {
    report('bad-boot-sector', `sector 0: ${geo}`);
    return { clean: false, problems, ...empty };
  }
  const bps = geo.bytesPerSector;
  const ratio = bps / device.sectorSize;
  if (!Number.isInteger(ratio) || ratio < 1 || geo.totalSectors * ratio > device.sectorCount) {
    report('bad-boot-sector', 'sector 0: geometry does not fit the device');
    return { clean: false, problems, ...empty, type: geo.type };
  }
  const read = async (sector: number, count: number): Promise<Uint8Array> => {
    const buf = new Uint8Array(count * bps);
    await device.read(sector * ratio, buf);
    return buf;
  };
  const dirty = (new BootSector(first).stateFlags(geo.type === 32) & 1) !== 0;
  if (dirty) report('dirty', 'boot sector state flags');
  const fatBytes = await read(geo.reservedSectors, geo.fatSectors);
  const fat = new FatTable(geo.type, fatBytes, bps, geo.clusterCount);
  for (let copy = 1; copy < geo.numFats; copy++) {
    const other = await read(geo.reservedSectors + copy * geo.fatSectors, geo.fatSectors);
    const otherFat = new FatTable(geo.type, other, bps, geo.clusterCount);
    for (let c = 2; c <= fat.maxCluster; c++) {
      if (fat.get(c) !== otherFat.get(c)) {
        report('fats-differ', `FAT copy ${copy + 1}, cluster ${c}`);
        break;
      }
    }
  }
  const cb = bps * geo.sectorsPerCluster;
  const owner = new Int32Array(fat.maxCluster + 1);
  let nextId = 1;
  let crossLinks = 0;
  let files = 0;
  let directories = 0;

  /** Walks and claims a chain; returns its clusters (stopping at the first problem). */
  const claim = (start: number, path: string): number[] => {
    const id = nextId++;
    const clusters: number[] = [];
    if (start < 2 || start > fat.maxCluster) {
      report('out-of-range', `${path}: first cluster ${start}`);
      return clusters;
    }
    let c = start;
    for (;;) {
      if (owner[c] === id) {
        report('chain-loop', `${path}: cluster ${c}`);
        return clusters;
      }
      if (owner[c] !== 0) {
        crossLinks++;
        report('cross-link', `${path}: cluster ${c}`);
        return clusters;
      }
      owner[c] = id;
      clusters.push(c);
      const next = fat.get(c);
      const kind = fat.kind(next);
      if (kind === 'end') return clusters;
      if (kind === 'free' || kind === 'bad') {
        report('broken-chain', `${path}: cluster ${c} → ${next}`);
        return clusters;
      }
      if (kind === 'reserved') {
        report('out-of-range', `${path}: cluster ${c} → ${next}`);
        return clusters;
      }
      c = next;
    }
  };

  const readClusters = async (clusters: number[]): Promise<Uint8Array> => {
    const out = new Uint8Array(clusters.length * cb);
    for (let i = 0; i < clusters.length; i++) {
      out.set(
        await read(
          geo.firstDataSector + (clusters[i]! - 2) * geo.sectorsPerCluster,
          geo.sectorsPerCluster,
        ),
        i * cb,
      );
    }
    return out;
  };

  const visitDir = async (
    bytes: Uint8Array,
    path: string,
    self: number,
    parent: number,
    isRoot: boolean,
    depth: number,
  ) => {
    const slots = bytes.length / DIR_ENTRY_SIZE;
    const names = new Set<string>();
    let expect = 0;
    let sum = -1;
    let units: number[] = [];
    const orphan = (slot: number) =>
      report('bad-directory-entry', `${path}: orphaned long-name entry at slot ${slot}`);
    if (!isRoot) {
      const dot = new DirEntry(bytes, 0);
      const dotdot = new DirEntry(bytes, DIR_ENTRY_SIZE);
      if (slots < 2 || shortNameKey(dot.rawName) !== '.          ' || dot.firstCluster !== self) {
        report('bad-dot-entry', `${path}: "."`);
      }
      if (
        slots < 2 ||
        shortNameKey(dotdot.rawName) !== '..         ' ||
        dotdot.firstCluster !== parent
      ) {
        report('bad-dot-entry', `${path}: ".."`);
      }
    }
    for (let slot = isRoot ? 0 : 2; slot < slots; slot++) {
      const e = new DirEntry(bytes, slot * DIR_ENTRY_SIZE);
      const marker = e.marker;
      if (marker === ENTRY_END) {
        if (expect !== 0) orphan(slot);
        break;
      }
      if (marker === ENTRY_FREE) {
        if (expect !== 0) orphan(slot);
        expect = 0;
        continue;
      }
      if (e.isLongName) {
        const l = new LfnEntry(bytes, slot * DIR_ENTRY_SIZE);
        const ord = l.ordinal;
        if (ord & LFN_LAST) {
          if (expect !== 0) orphan(slot);
          expect = ord & 0x1f;
          sum = l.checksum;
          units = new Array<number>(expect * 13).fill(0xffff);
          if (expect === 0) {
            orphan(slot);
            continue;
          }
        } else if (expect <= 0 || ord !== expect || l.checksum !== sum) {
          orphan(slot);
          expect = 0;
          continue;
        }
        for (let i = 0; i < 13; i++) units[(expect - 1) * 13 + i] = l.unit(i);
        expect--;
        if (expect === 0) expect = -1;
        continue;
      }
      const raw = e.rawName;
      let name = displayShortName(raw, e.ntRes);
      if (expect !== 0) {
        if (expect === -1 && lfnChecksum(raw) === sum) {
          let end = units.indexOf(0);
          if (end < 0) end = units.length;
          name = String.fromCharCode(...units.slice(0, end));
        } else {
          orphan(slot);
        }
        expect = 0;
      }
      if ((e.attr & FatAttr.VOLUME_ID) !== 0) {
        if (!isRoot) report('bad-directory-entry', `${path}: volume label entry`);
        continue;
      }
      const key = shortNameKey(raw);
      if (key === '.          ' || key === '..         ') {
        report('bad-dot-entry', `${path}: extra "${key.trim()}" at slot ${slot}`);
        continue;
      }
      const folded = foldFatName(name);
      const full = `${path === '/' ? '' : path}/${name}`;
      if (names.has(folded) || names.has(`\u0000${key}`))
        report('bad-directory-entry', `${full}: duplicate name`);
      names.add(folded);
      names.add(`\u0000${key}`);
      if ((e.attr & FatAttr.DIRECTORY) !== 0) {
        directories++;
        const clusters = e.firstCluster === 0 ? [] : claim(e.firstCluster, full);
        if (e.firstCluster === 0)
          report('bad-directory-entry', `${full}: directory without clusters`);
        if (clusters.length > 0 && depth < MAX_DEPTH) {
          await visitDir(
            await readClusters(clusters),
            full,
            e.firstCluster,
            isRoot ? 0 : self,
            false,
            depth + 1,
          );
        }
      } else {
        files++;
        const size = e.fileSize;
        const want = Math.ceil(size / cb);
        if (e.firstCluster === 0) {
          if (size !== 0) report('size-mismatch', `${full}: ${size} bytes, no clusters`);
          continue;
        }
        const clusters = claim(e.firstCluster, full);
        if (clusters.length !== want) {
          report('size-mismatch', `${full}: ${size} bytes, chain of ${clusters.length} clusters`);
        }
      }
    }
  };

  if (geo.type === 32) {
    const rootClusters = claim(geo.rootCluster, '/');
    await visitDir(await readClusters(rootClusters), '/', geo.rootCluster, 0, true, 0);
  } else {
    await visitDir(await read(geo.rootDirSector, geo.rootDirSectors), '/', 0, 0, true, 0);
  }

  let free = 0;
  let used = 0;
  let lost = 0;
  for (let c = 2; c <= fat.maxCluster; c++) {
    const kind = fat.kind(fat.get(c));
    if (kind === 'free') free++;
    else if (owner[c] !== 0) used++;
    else if (kind !== 'bad') lost++;
  }
  if (lost > 0) report('lost-clusters', `${lost} clusters allocated but unreachable`);
  let fsInfoFreeCount: number | undefined;
  if (geo.type === 32 && geo.fsInfoSector !== 0) {
    const info = parseFsInfo(await read(geo.fsInfoSector, 1));
    if (info !== 'bad-signature' && info.freeCount !== FSINFO_UNKNOWN) {
      fsInfoFreeCount = info.freeCount;
      if (info.freeCount !== free)
        report('free-count', `FSInfo says ${info.freeCount} free, FAT has ${free}`);
    }
  }
  return {
    clean: problems.length === 0,
    problems,
    type: geo.type,
    files,
    directories,
    totalClusters: geo.clusterCount,
    usedClusters: used,
    freeClusters: free,
    lostClusters: lost,
    crossLinks,
    fsInfoFreeCount,
    dirty,
  };
}
