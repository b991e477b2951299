import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError } from '../block-device-error.js';
import { checkBlockRequest, checkDiscardRequest } from '../check-block-request.js';

/**
 * Size and behaviour of a {@link BlockCache}. Give the capacity in sectors or in bytes
 * (not both); the default is 2048 sectors.
 *
 * @example
 * ```ts
 * import type { BlockCacheOptions } from '@libos/fs';
 * const options: BlockCacheOptions = { capacityBytes: 4 * 1024 * 1024, maxWriteSectors: 256 };
 * ```
 */
export interface BlockCacheOptions {
  /** How many sectors the cache holds at most. */
  readonly capacitySectors?: number;
  /** How many bytes of sector data the cache holds at most (rounded down to whole sectors). */
  readonly capacityBytes?: number;
  /** Longest write-back request, in sectors, when adjacent dirty sectors are coalesced. Default 128. */
  readonly maxWriteSectors?: number;
}

/**
 * Counters of a {@link BlockCache} since it was created.
 *
 * @example
 * ```ts
 * import type { BlockCacheStats } from '@libos/fs';
 * const hitRate = (s: BlockCacheStats) => s.hits / Math.max(1, s.hits + s.misses);
 * ```
 */
export interface BlockCacheStats {
  /** Sectors read from the cache. */
  readonly hits: number;
  /** Sectors that had to be read from the device below. */
  readonly misses: number;
  /** Write requests the cache sent to the device below (each may cover many sectors). */
  readonly writebacks: number;
  /** Sectors written to the device below. */
  readonly sectorsWrittenBack: number;
  /** Sectors dropped from the cache to make room. */
  readonly evictions: number;
  /** Write-back requests the device below failed (the data stayed dirty). */
  readonly writebackErrors: number;
}

/** One cached sector. */
interface Entry {
  readonly sector: number;
  /** Index of the entry's slot in the cache's slab. */
  readonly slot: number;
  /** The sector's bytes: the entry's slot of the slab. */
  readonly data: Uint8Array;
  /** False only while the first read from below is in flight and no write has landed yet. */
  valid: boolean;
  /** Bumped by every write; the entry is dirty while `gen > writtenGen`. */
  gen: number;
  /** The `gen` the device below last acknowledged. */
  writtenGen: number;
  /** Settles (never rejects) when the fill or write-back in flight for this entry ends. */
  io: Promise<void> | null;
  /** Neighbour towards the least recently used end of the LRU list. */
  older: Entry | null;
  /** Neighbour towards the most recently used end of the LRU list. */
  newer: Entry | null;
}

/** How many times a request retries making room before it bypasses the cache. */
const ROOM_ATTEMPTS = 64;
const noop = (): void => {};
/** The promise of every request that completed without waiting. */
const DONE: Promise<void> = Promise.resolve();

const isDirty = (e: Entry): boolean => e.gen > e.writtenGen;

/** Calls a device method, turning a synchronous throw into a rejection. */
function request(f: () => Promise<void>): Promise<void> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * A bounded write-back cache in front of a {@link BlockDevice}, itself a `BlockDevice`.
 *
 * - Reads are served from memory when cached; misses read the device below once per run
 *   of adjacent missing sectors and keep the result. Reads larger than half the cache
 *   bypass it instead of flushing it out.
 * - Writes complete when the data is in the cache; dirty sectors reach the device below on
 *   eviction or {@link BlockCache.flush}, adjacent dirty sectors coalesced into one request.
 * - Eviction is least-recently-used (an intrusive linked list, O(1) per access); sectors
 *   whose fill or write-back is in flight are skipped until it ends.
 * - `flush()` writes back every sector dirty when it was called, waits for those writes,
 *   then flushes the device below — so the durability contract holds through the cache.
 * - A failed write-back leaves the data dirty (nothing is lost on `EIO`) and rejects the
 *   request that needed it (a flush, or a write that needed room).
 * - Concurrent requests on the same sectors are safe: a read miss reserves its sectors, and
 *   a write that lands while the read is in flight wins over the older disk contents.
 *
 * Memory is bounded by design: sector data lives in one slab of `capacitySectors` slots
 * allocated up front, and write-back gathers runs into a few reused staging buffers.
 *
 * `discard` is offered when the device below has it: it drops the cached sectors of the
 * range (dirty data included) and passes the discard down; write-backs to the range wait
 * until it completes, so a later write is never overtaken by the discard. A read-only
 * device below makes a read-only cache.
 *
 * @example
 * ```ts
 * import { BlockCache, RamDisk } from '@libos/fs';
 * const disk = new RamDisk({ sectorCount: 4096 });
 * const cache = new BlockCache(disk, { capacitySectors: 256 });
 * await cache.write(10, new Uint8Array(512).fill(1)); // in memory only
 * await cache.flush(); // now on `disk`, and flushed
 * cache.stats.writebacks; // 1
 * ```
 */
export class BlockCache implements BlockDevice {
  /** Bytes per sector, as the device below. */
  readonly sectorSize: number;
  /** Number of sectors, as the device below. */
  readonly sectorCount: number;
  /** Whether the device below is read-only. */
  readonly readOnly: boolean;
  /** The most sectors the cache holds. */
  readonly capacitySectors: number;
  /**
   * Drops the cached range and discards it below; present when the device below has
   * discard. Contents of the range are unspecified afterwards, but writes made after the
   * call win.
   */
  readonly discard?: (sector: number, count: number) => Promise<void>;

  readonly #lower: BlockDevice;
  readonly #maxWrite: number;
  /** Cached sectors by number. */
  readonly #entries = new Map<number, Entry>();
  /** Least recently used end of the LRU list (an intrusive doubly linked list). */
  #oldest: Entry | null = null;
  /** Most recently used end of the LRU list. */
  #newest: Entry | null = null;
  /** Sector data of every entry: `capacitySectors` slots, allocated once. */
  readonly #slab: Uint8Array;
  /** Slots not used by an entry (a stack). */
  readonly #freeSlots: number[];
  /** Entries of the read being served from memory (reused, cleared after each use). */
  readonly #hitScratch: (Entry | undefined)[] = [];
  /** Discards in flight below: write-backs that overlap one wait for it. */
  readonly #discards = new Set<{ start: number; end: number; done: Promise<void> }>();
  /** Entries whose newest data has not reached the device below. */
  readonly #dirty = new Set<Entry>();
  /** Reusable buffers that write-backs are gathered into, by length. */
  readonly #staging = new Map<number, Uint8Array[]>();
  /** Bytes held in `#staging`, at most an eighth of the slab (and one longest run). */
  #stagingBytes = 0;
  #hits = 0;
  #misses = 0;
  #writebacks = 0;
  #sectorsWrittenBack = 0;
  #evictions = 0;
  #writebackErrors = 0;

  /**
   * @param lower The device to cache.
   * @param options Capacity and coalescing limit.
   * @throws {@link BlockDeviceError} `EINVAL` for a capacity below one sector or both capacities given.
   */
  constructor(lower: BlockDevice, options: BlockCacheOptions = {}) {
    this.#lower = lower;
    this.sectorSize = lower.sectorSize;
    this.sectorCount = lower.sectorCount;
    this.readOnly = lower.readOnly;
    if (options.capacitySectors !== undefined && options.capacityBytes !== undefined) {
      throw new BlockDeviceError('EINVAL', 'give the cache capacity in sectors or bytes, not both');
    }
    const capacity =
      options.capacitySectors ??
      (options.capacityBytes === undefined
        ? 2048
        : Math.floor(options.capacityBytes / lower.sectorSize));
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new BlockDeviceError('EINVAL', `cache capacity ${capacity} is below one sector`);
    }
    const maxWrite = options.maxWriteSectors ?? 128;
    if (!Number.isSafeInteger(maxWrite) || maxWrite < 1) {
      throw new BlockDeviceError('EINVAL', `maxWriteSectors ${maxWrite} is not a positive integer`);
    }
    this.capacitySectors = capacity;
    this.#maxWrite = maxWrite;
    this.#slab = new Uint8Array(capacity * lower.sectorSize);
    this.#freeSlots = Array.from({ length: capacity }, (_, i) => capacity - 1 - i);
    const lowerDiscard = lower.discard;
    if (lowerDiscard) {
      this.discard = async (sector, count) => {
        checkDiscardRequest(this, sector, count);
        await this.#discard(sector, count, () => lowerDiscard.call(lower, sector, count));
      };
    }
  }

  /** A snapshot of the counters. */
  get stats(): BlockCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      writebacks: this.#writebacks,
      sectorsWrittenBack: this.#sectorsWrittenBack,
      evictions: this.#evictions,
      writebackErrors: this.#writebackErrors,
    };
  }

  /** Sectors held now (including ones being read in). */
  get cachedSectors(): number {
    return this.#entries.size;
  }

  /** Sectors whose newest data has not reached the device below. */
  get dirtySectors(): number {
    return this.#dirty.size;
  }

  /** Whether `sector` is cached now (does not count as a use). */
  has(sector: number): boolean {
    return this.#entries.get(sector)?.valid === true;
  }

  /** Reads through the cache (a request served entirely from memory completes at once). */
  read(sector: number, buffer: Uint8Array): Promise<void> {
    let count: number;
    try {
      count = checkBlockRequest(this, sector, buffer.length, 'read');
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.#readHits(sector, count, buffer)) return DONE;
    return this.#readMisses(sector, count, buffer);
  }

  async #readMisses(sector: number, count: number, buffer: Uint8Array): Promise<void> {
    const ss = this.sectorSize;
    let pending = Array.from({ length: count }, (_, i) => i);
    for (let attempt = 0; pending.length > 0; attempt++) {
      const next: number[] = [];
      const missing: number[] = [];
      const waits: Promise<void>[] = [];
      for (const i of pending) {
        const e = this.#entries.get(sector + i);
        if (e?.valid) {
          buffer.set(e.data, i * ss);
          this.#touch(e);
          this.#hits++;
        } else if (e) {
          next.push(i); // someone else is reading it in: wait, then look again
          if (e.io) waits.push(e.io);
        } else {
          missing.push(i);
        }
      }
      if (missing.length > 0) {
        const room = this.capacitySectors - this.#entries.size;
        if (missing.length <= room) {
          waits.push(...this.#fillRuns(sector, missing, buffer));
        } else if (missing.length > this.capacitySectors / 2 || attempt >= ROOM_ATTEMPTS) {
          waits.push(...this.#readRuns(sector, missing, buffer));
        } else {
          next.push(...missing);
          waits.push(this.#makeRoom(missing.length - room).catch(noop));
        }
      }
      if (waits.length === 0 && next.length > 0) {
        // Unreachable while every reserved entry carries its fill: guards against spinning.
        throw new BlockDeviceError(
          'EIO',
          `sector ${sector + next[0]!} is reserved with no read in flight`,
        );
      }
      await Promise.all(waits);
      pending = next;
    }
  }

  /** Writes into the cache; the data reaches the device below on eviction or flush. */
  async write(sector: number, data: Uint8Array): Promise<void> {
    const count = checkBlockRequest(this, sector, data.length, 'write');
    const ss = this.sectorSize;
    const chunk = Math.max(1, Math.floor(this.capacitySectors / 2));
    for (let done = 0; done < count; done += chunk) {
      const first = sector + done;
      const n = Math.min(chunk, count - done);
      for (let attempt = 0; ; attempt++) {
        let missing = 0;
        for (let i = 0; i < n; i++) if (!this.#entries.has(first + i)) missing++;
        const room = this.capacitySectors - this.#entries.size;
        if (missing <= room) break;
        if (attempt >= ROOM_ATTEMPTS) {
          throw new BlockDeviceError('EIO', 'the cache could not make room for a write');
        }
        await this.#makeRoom(missing - room);
      }
      // From here to the end of the chunk nothing awaits: the chunk lands atomically.
      for (let i = 0; i < n; i++) {
        const s = first + i;
        let e = this.#entries.get(s);
        if (e) this.#touch(e);
        else e = this.#insert(s);
        const at = (done + i) * ss;
        e.data.set(data.subarray(at, at + ss));
        e.valid = true;
        e.gen++;
        this.#dirty.add(e);
      }
    }
  }

  /**
   * Writes back every sector that was dirty when called (coalesced), waits for those
   * writes to complete, then flushes the device below.
   */
  async flush(): Promise<void> {
    if (this.readOnly) return this.#lower.flush();
    const targets: [Entry, number][] = [];
    for (const e of this.#dirty) targets.push([e, e.gen]);
    targets.sort((a, b) => a[0].sector - b[0].sector);
    const unsatisfied = () =>
      targets.filter(([e, gen]) => e.writtenGen < gen && this.#entries.get(e.sector) === e);
    // Phase 1: let fills and write-backs already in flight end (they may carry older data).
    await Promise.all(unsatisfied().flatMap(([e]) => (e.io ? [e.io] : [])));
    // Phase 2: write back what is still dirty. Any I/O in flight now began after phase 1
    // started, so it carries data at least as new as the flush needs.
    const raw: Promise<void>[] = [];
    const waits: Promise<void>[] = [];
    for (const [e] of unsatisfied()) {
      if (e.io) waits.push(e.io);
      else if (isDirty(e)) raw.push(this.#writeBack(e).done);
    }
    await Promise.all([...raw, ...waits]);
    const left = unsatisfied();
    if (left.length > 0) {
      throw new BlockDeviceError('EIO', `write-back of sector ${left[0]![0].sector} failed`);
    }
    await this.#lower.flush();
  }

  /** Serves the whole request from valid cached sectors, if it can; else changes nothing. */
  #readHits(sector: number, count: number, buffer: Uint8Array): boolean {
    const hits = this.#hitScratch;
    for (let i = 0; i < count; i++) {
      const e = this.#entries.get(sector + i);
      if (e?.valid !== true) {
        hits.fill(undefined, 0, i);
        return false;
      }
      hits[i] = e;
    }
    const ss = this.sectorSize;
    for (let i = 0; i < count; i++) {
      const e = hits[i]!;
      hits[i] = undefined;
      buffer.set(e.data, i * ss);
      this.#touch(e);
    }
    this.#hits += count;
    return true;
  }

  /** Creates an empty (not yet valid) entry for `sector` at the most recently used end. */
  #insert(sector: number): Entry {
    const ss = this.sectorSize;
    const slot = this.#freeSlots.pop();
    if (slot === undefined) throw new Error('BlockCache: no free slot (room was not made)');
    const e: Entry = {
      sector,
      slot,
      data: this.#slab.subarray(slot * ss, (slot + 1) * ss),
      valid: false,
      gen: 0,
      writtenGen: 0,
      io: null,
      older: this.#newest,
      newer: null,
    };
    if (this.#newest) this.#newest.newer = e;
    else this.#oldest = e;
    this.#newest = e;
    this.#entries.set(sector, e);
    return e;
  }

  /** Drops `e` from the cache. */
  #remove(e: Entry): void {
    this.#unlink(e);
    this.#entries.delete(e.sector);
    this.#freeSlots.push(e.slot);
  }

  /** Moves `e` to the most recently used end. */
  #touch(e: Entry): void {
    if (this.#newest === e) return;
    this.#unlink(e);
    e.older = this.#newest;
    if (this.#newest) this.#newest.newer = e;
    else this.#oldest = e;
    this.#newest = e;
  }

  #unlink(e: Entry): void {
    if (e.older) e.older.newer = e.newer;
    else this.#oldest = e.newer;
    if (e.newer) e.newer.older = e.older;
    else this.#newest = e.older;
    e.older = null;
    e.newer = null;
  }

  /** Reserves the missing sectors and reads each run of adjacent ones from below. */
  #fillRuns(sector: number, missing: readonly number[], buffer: Uint8Array): Promise<void>[] {
    const out: Promise<void>[] = [];
    forEachRun(missing, (from, n) => out.push(this.#fill(sector + from, n, buffer, from)));
    return out;
  }

  /** Reads runs of sectors straight from below without caching them. */
  #readRuns(sector: number, missing: readonly number[], buffer: Uint8Array): Promise<void>[] {
    const ss = this.sectorSize;
    const out: Promise<void>[] = [];
    forEachRun(missing, (from, n) => {
      this.#misses += n;
      out.push(
        request(() => this.#lower.read(sector + from, buffer.subarray(from * ss, (from + n) * ss))),
      );
    });
    return out;
  }

  #fill(first: number, n: number, buffer: Uint8Array, offset: number): Promise<void> {
    const ss = this.sectorSize;
    const target = buffer.subarray(offset * ss, (offset + n) * ss);
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) entries.push(this.#insert(first + i));
    this.#misses += n;
    const done = request(() => this.#lower.read(first, target)).then(
      () => {
        entries.forEach((e, i) => {
          e.io = null;
          const slice = target.subarray(i * ss, (i + 1) * ss);
          if (e.valid) {
            slice.set(e.data); // a write landed meanwhile: it is newer
          } else {
            e.data.set(slice);
            e.valid = true;
          }
        });
      },
      (err: unknown) => {
        for (const e of entries) {
          e.io = null;
          if (!e.valid) this.#remove(e);
        }
        throw err;
      },
    );
    const settled = done.then(noop, noop);
    for (const e of entries) e.io = settled;
    return done;
  }

  /**
   * Writes `e` back together with the dirty, idle sectors adjacent to it.
   * `done` rejects with the device's error; the data then stays dirty.
   */
  #writeBack(e: Entry): { done: Promise<void>; count: number } {
    const canJoin = (x: Entry | undefined): x is Entry =>
      x !== undefined && x.io === null && x.valid && isDirty(x);
    let lo = e.sector;
    let hi = e.sector + 1;
    while (hi - lo < this.#maxWrite && canJoin(this.#entries.get(hi))) hi++;
    while (hi - lo < this.#maxWrite && lo > 0 && canJoin(this.#entries.get(lo - 1))) lo--;
    const ss = this.sectorSize;
    const run: Entry[] = [];
    const gens: number[] = [];
    const data = this.#takeStaging((hi - lo) * ss);
    for (let s = lo; s < hi; s++) {
      const x = s === e.sector ? e : this.#entries.get(s)!;
      data.set(x.data, (s - lo) * ss);
      run.push(x);
      gens.push(x.gen);
    }
    this.#writebacks++;
    const release = () => this.#giveStaging(data);
    const gate = this.#discardsOver(lo, hi);
    const write = () => request(() => this.#lower.write(lo, data));
    const done = (gate ? gate.then(write) : write()).then(
      () => {
        release();
        run.forEach((x, i) => {
          x.io = null;
          x.writtenGen = Math.max(x.writtenGen, gens[i]!);
          if (!isDirty(x)) this.#dirty.delete(x);
        });
        this.#sectorsWrittenBack += run.length;
      },
      (err: unknown) => {
        release();
        for (const x of run) x.io = null;
        this.#writebackErrors++;
        throw err;
      },
    );
    const settled = done.then(noop, noop);
    for (const x of run) x.io = settled;
    return { done, count: run.length };
  }

  /** Settles when the discards in flight that overlap `[lo, hi)` end; null if none do. */
  #discardsOver(lo: number, hi: number): Promise<void> | null {
    const waits: Promise<void>[] = [];
    for (const d of this.#discards) if (d.start < hi && lo < d.end) waits.push(d.done);
    return waits.length > 0 ? Promise.all(waits).then(noop) : null;
  }

  /**
   * Drops the range's entries as of now (waiting for their fills and write-backs to end, so
   * no request below is reordered with the discard), then runs `below`. Entries written
   * after the call are kept: their data is newer than the discard.
   */
  async #discard(sector: number, count: number, below: () => Promise<void>): Promise<void> {
    const end = sector + count;
    let finish = noop;
    const record = { start: sector, end, done: new Promise<void>((r) => (finish = r)) };
    this.#discards.add(record);
    try {
      const snapshot: [Entry, number][] = [];
      const busy: Promise<void>[] = [];
      const scan = (from: number, to: number, visit: (e: Entry) => void) => {
        if (to - from <= this.#entries.size) {
          for (let s = from; s < to; s++) {
            const e = this.#entries.get(s);
            if (e) visit(e);
          }
        } else {
          for (const e of [...this.#entries.values()])
            if (e.sector >= from && e.sector < to) visit(e);
        }
      };
      scan(sector, end, (e) => {
        snapshot.push([e, e.gen]);
        if (e.io) busy.push(e.io);
      });
      await Promise.all(busy);
      for (const [e, gen] of snapshot) {
        // Written after the discard began: newer than the discard, keep it.
        if (this.#entries.get(e.sector) !== e || e.gen > gen || e.io) continue;
        this.#dirty.delete(e);
        this.#remove(e);
      }
      await below();
    } finally {
      this.#discards.delete(record);
      finish();
    }
  }

  /** A buffer of `bytes` for a write-back, reused when one is kept. */
  #takeStaging(bytes: number): Uint8Array {
    const kept = this.#staging.get(bytes)?.pop();
    if (!kept) return new Uint8Array(bytes);
    this.#stagingBytes -= bytes;
    return kept;
  }

  /** Keeps a finished write-back's buffer for reuse, within the byte budget. */
  #giveStaging(buffer: Uint8Array): void {
    const budget = Math.max(this.#slab.length / 8, this.#maxWrite * this.sectorSize);
    if (this.#stagingBytes + buffer.length > budget) return;
    let kept = this.#staging.get(buffer.length);
    if (!kept) {
      kept = [];
      this.#staging.set(buffer.length, kept);
    }
    kept.push(buffer);
    this.#stagingBytes += buffer.length;
  }

  /**
   * Frees `needed` slots: drops clean idle sectors from the least recently used end and
   * starts write-back of dirty ones met on the way. Resolves when it freed enough, or when
   * the I/O it waited for ended (the caller then looks again); rejects if a write-back it
   * needed failed.
   */
  async #makeRoom(needed: number): Promise<void> {
    let freed = 0;
    let coming = 0;
    const started: Promise<void>[] = [];
    const busy: Promise<void>[] = [];
    for (let e = this.#oldest; e !== null && freed + coming < needed; ) {
      const newer: Entry | null = e.newer;
      if (e.io) {
        busy.push(e.io);
      } else if (isDirty(e)) {
        const wb = this.#writeBack(e);
        wb.done.catch(noop);
        started.push(wb.done);
        coming += wb.count;
      } else {
        this.#remove(e);
        this.#evictions++;
        freed++;
      }
      e = newer;
    }
    if (freed >= needed) return;
    if (started.length > 0) await Promise.all(started);
    else if (busy.length > 0) await Promise.race(busy);
  }
}

/** Calls `f(first, length)` for each run of consecutive numbers in the ascending `xs`. */
function forEachRun(xs: readonly number[], f: (first: number, length: number) => void): void {
  let i = 0;
  while (i < xs.length) {
    let j = i + 1;
    while (j < xs.length && xs[j] === xs[j - 1]! + 1) j++;
    f(xs[i]!, j - i);
    i = j;
  }
}
