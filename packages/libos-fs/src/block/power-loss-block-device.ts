import { type EntropySource, randomU32, SeededEntropy } from '@libos/sched';
import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError } from '../block-device-error.js';
import { checkBlockRequest } from '../check-block-request.js';

/**
 * Which unflushed writes a {@link PowerLossBlockDevice.powerCut} lets reach the disk.
 * - `'none'`: every unflushed write is lost (the default).
 * - `'all'`: every unflushed write survives.
 * - `'prefix'`: the first `keep` writes in completion order survive (`keep` random if omitted).
 * - `'subset'`: each write survives with probability ½, independently.
 *
 * @example
 * ```ts
 * import type { PowerCutSurvivors } from '@libos/fs';
 * const worstCase: PowerCutSurvivors = 'none';
 * ```
 */
export type PowerCutSurvivors = 'none' | 'all' | 'prefix' | 'subset';

/**
 * How a {@link PowerLossBlockDevice.powerCut} treats the writes completed since the last
 * completed flush. Random choices come from `entropy`, or from a `SeededEntropy` built
 * from `seed` (default seed 0), so a cut is reproducible.
 *
 * @example
 * ```ts
 * import type { PowerCutOptions } from '@libos/fs';
 * const harsh: PowerCutOptions = { survivors: 'subset', reorder: true, tear: true, seed: 42 };
 * const kth: PowerCutOptions = { survivors: 'prefix', keep: 3 };
 * ```
 */
export interface PowerCutOptions {
  /** Which unflushed writes survive. Default `'none'`. */
  readonly survivors?: PowerCutSurvivors;
  /** With `'prefix'`: how many writes survive (clamped to the number of unflushed writes). */
  readonly keep?: number;
  /** Apply the survivors in a random order instead of completion order (matters where they overlap). */
  readonly reorder?: boolean;
  /**
   * Tear the last surviving write: only a random proper subset of its sectors reaches the
   * disk. Sectors themselves are atomic.
   */
  readonly tear?: boolean;
  /** Seed for the random choices, when `entropy` is not given. */
  readonly seed?: number;
  /** Source of the random choices. */
  readonly entropy?: EntropySource;
}

/**
 * A write as a power cut saw it.
 *
 * @example
 * ```ts
 * import type { PowerCutWrite } from '@libos/fs';
 * const describe = (w: PowerCutWrite) => `${w.sector}+${w.count} (${w.sectorsApplied} applied)`;
 * ```
 */
export interface PowerCutWrite {
  /** Position among the unflushed writes, in completion order (0 = oldest). */
  readonly index: number;
  /** First sector of the write. */
  readonly sector: number;
  /** Sectors in the write. */
  readonly count: number;
  /** Sectors of it that reached the disk: `count`, or fewer if torn. */
  readonly sectorsApplied: number;
}

/**
 * What a power cut did.
 *
 * @example
 * ```ts
 * import type { PowerCutReport } from '@libos/fs';
 * const lostAny = (r: PowerCutReport) => r.survived.length < r.unflushed;
 * ```
 */
export interface PowerCutReport {
  /** Writes that had completed but were not flushed when the power went. */
  readonly unflushed: number;
  /** The writes that reached the disk, in the order they were applied. */
  readonly survived: readonly PowerCutWrite[];
  /** The torn write, if any (also listed in `survived`). */
  readonly torn: PowerCutWrite | null;
}

interface JournalEntry {
  readonly seq: number;
  readonly sector: number;
  readonly data: Uint8Array;
  /** Already written to the device below by a flush that the cut interrupted. */
  applied: boolean;
}

/**
 * A {@link BlockDevice} wrapper that simulates losing power. Writes complete into a
 * journal in memory and reach the wrapped device (the "platters") only when a `flush`
 * applies them, in order, and flushes the wrapped device. Reads see the newest data, as
 * from a real disk's volatile write cache.
 *
 * {@link PowerLossBlockDevice.powerCut} then decides what of the unflushed writes survives
 * (nothing by default; or a seeded prefix or subset, optionally reordered, with the last
 * one optionally torn), writes that to the wrapped device and clears the journal: from
 * then on the device behaves like the same disk after a reboot. Requests in flight at the
 * cut (an unfinished flush) reject with `EIO`; writes an interrupted flush had already
 * applied stay on the disk, as they might on real hardware. `discard` is not offered.
 *
 * @example
 * ```ts
 * import { PowerLossBlockDevice, RamDisk } from '@libos/fs';
 * const disk = new PowerLossBlockDevice(new RamDisk({ sectorCount: 64 }));
 * await disk.write(0, new Uint8Array(512).fill(1));
 * await disk.flush();
 * await disk.write(1, new Uint8Array(512).fill(2));
 * await disk.powerCut(); // sector 0 holds 1s, sector 1 is back to zeros
 * ```
 */
export class PowerLossBlockDevice implements BlockDevice {
  /** Bytes per sector, as the wrapped device. */
  readonly sectorSize: number;
  /** Number of sectors, as the wrapped device. */
  readonly sectorCount: number;
  /** Whether the wrapped device is read-only. */
  readonly readOnly: boolean;

  readonly #lower: BlockDevice;
  /** Completed writes not yet made durable, oldest first. */
  #journal: JournalEntry[] = [];
  /** Newest unflushed data per sector, for reads. */
  readonly #overlay = new Map<number, { seq: number; data: Uint8Array }>();
  #seq = 0;
  /** Bumped by each power cut; requests from an older epoch fail. */
  #epoch = 0;
  /** The flush in progress (flushes run one at a time). */
  #flushing: Promise<void> = Promise.resolve();
  #cuts = 0;

  /** @param lower The disk whose contents count as durable. */
  constructor(lower: BlockDevice) {
    this.#lower = lower;
    this.sectorSize = lower.sectorSize;
    this.sectorCount = lower.sectorCount;
    this.readOnly = lower.readOnly;
  }

  /** Writes completed since the last completed flush. */
  get unflushedWrites(): number {
    return this.#journal.length;
  }

  /** How many power cuts happened. */
  get powerCuts(): number {
    return this.#cuts;
  }

  /** Reads the newest data: the wrapped device overlaid with unflushed writes. */
  async read(sector: number, buffer: Uint8Array): Promise<void> {
    const count = checkBlockRequest(this, sector, buffer.length, 'read');
    const ss = this.sectorSize;
    // Take the overlay now: it is the newest data as of the request's start.
    const overlay: [number, Uint8Array][] = [];
    for (let i = 0; i < count; i++) {
      const o = this.#overlay.get(sector + i);
      if (o) overlay.push([i, o.data]);
    }
    await this.#lower.read(sector, buffer);
    for (const [i, data] of overlay) buffer.set(data, i * ss);
  }

  /** Completes the write into the journal (volatile until a flush). */
  async write(sector: number, data: Uint8Array): Promise<void> {
    const count = checkBlockRequest(this, sector, data.length, 'write');
    const ss = this.sectorSize;
    const seq = this.#seq++;
    const copy = data.slice();
    this.#journal.push({ seq, sector, data: copy, applied: false });
    for (let i = 0; i < count; i++) {
      this.#overlay.set(sector + i, { seq, data: copy.subarray(i * ss, (i + 1) * ss) });
    }
  }

  /**
   * Applies the writes completed before the call to the wrapped device, in order, and
   * flushes it; they are then durable.
   */
  flush(): Promise<void> {
    const epoch = this.#epoch;
    const upTo = this.#journal.length > 0 ? this.#journal[this.#journal.length - 1]!.seq : -1;
    const run = this.#flushing.then(() => this.#apply(epoch, upTo));
    this.#flushing = run.catch(() => {});
    return run;
  }

  async #apply(epoch: number, upTo: number): Promise<void> {
    const cut = () => new BlockDeviceError('EIO', 'power was cut during the flush');
    if (epoch !== this.#epoch) throw cut();
    for (const entry of this.#journal) {
      if (entry.seq > upTo) break;
      if (entry.applied) continue;
      await this.#lower.write(entry.sector, entry.data);
      entry.applied = true;
      if (epoch !== this.#epoch) throw cut();
    }
    await this.#lower.flush();
    if (epoch !== this.#epoch) throw cut();
    this.#journal = this.#journal.filter((e) => e.seq > upTo);
    for (const [sector, o] of this.#overlay) if (o.seq <= upTo) this.#overlay.delete(sector);
  }

  /**
   * Cuts the power: waits for the flush in progress to stop (it rejects with `EIO`),
   * decides which unflushed writes survive, writes them to the wrapped device, flushes it
   * and clears the journal. Afterwards the device works again, as after a reboot.
   *
   * @param options What survives; by default nothing unflushed does.
   * @returns What was lost, what survived, what was torn.
   */
  async powerCut(options: PowerCutOptions = {}): Promise<PowerCutReport> {
    this.#epoch++;
    this.#cuts++;
    await this.#flushing;
    const pending = this.#journal.filter((e) => !e.applied);
    const unflushed = this.#journal.length;
    const alreadyOnDisk = this.#journal.filter((e) => e.applied);
    this.#journal = [];
    this.#overlay.clear();
    const survivors = options.survivors ?? 'none';
    const needsRandom =
      options.reorder === true ||
      options.tear === true ||
      survivors === 'subset' ||
      (survivors === 'prefix' && options.keep === undefined);
    const entropy = needsRandom ? (options.entropy ?? new SeededEntropy(options.seed ?? 0)) : null;
    const below = (n: number): number => (entropy ? randomU32(entropy) % n : 0);

    let chosen: JournalEntry[];
    if (survivors === 'none') chosen = [];
    else if (survivors === 'all') chosen = pending;
    else if (survivors === 'prefix') {
      const keep = options.keep ?? below(pending.length + 1);
      if (!Number.isSafeInteger(keep) || keep < 0) {
        throw new BlockDeviceError('EINVAL', `keep ${keep} is not a count`);
      }
      chosen = pending.slice(0, keep);
    } else chosen = pending.filter(() => below(2) === 1);
    if (options.reorder) {
      chosen = [...chosen];
      for (let i = chosen.length - 1; i > 0; i--) {
        const j = below(i + 1); // Fisher–Yates
        [chosen[i], chosen[j]] = [chosen[j]!, chosen[i]!];
      }
    }
    const indexOf = new Map<JournalEntry, number>();
    [...alreadyOnDisk, ...pending]
      .sort((a, b) => a.seq - b.seq)
      .forEach((e, i) => {
        indexOf.set(e, i);
      });
    const ss = this.sectorSize;
    const survived: PowerCutWrite[] = alreadyOnDisk.map((e) => {
      const count = e.data.length / ss;
      return { index: indexOf.get(e)!, sector: e.sector, count, sectorsApplied: count };
    });
    let torn: PowerCutWrite | null = null;
    for (let k = 0; k < chosen.length; k++) {
      const e = chosen[k]!;
      const count = e.data.length / ss;
      let sectorsApplied = count;
      if (options.tear && k === chosen.length - 1) {
        // A random proper subset of the sectors, in no particular order.
        const keepSector = Array.from({ length: count }, () => below(2) === 1);
        if (keepSector.every(Boolean)) keepSector[below(count)] = false;
        sectorsApplied = 0;
        for (let i = 0; i < count; i++) {
          if (!keepSector[i]) continue;
          sectorsApplied++;
          await this.#lower.write(e.sector + i, e.data.subarray(i * ss, (i + 1) * ss));
        }
        torn = { index: indexOf.get(e)!, sector: e.sector, count, sectorsApplied };
        survived.push(torn);
      } else {
        await this.#lower.write(e.sector, e.data);
        survived.push({ index: indexOf.get(e)!, sector: e.sector, count, sectorsApplied });
      }
    }
    await this.#lower.flush();
    return { unflushed, survived, torn };
  }
}
