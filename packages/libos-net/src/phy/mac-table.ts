/**
 * The forwarding database of a learning bridge (IEEE 802.1Q-2018 §8.8): which port
 * each source MAC was last seen on, with a bounded number of entries and ageing.
 */
import { PhyError } from './phy-error.js';

/** IEEE 802.1Q-2018 §8.8.3: the recommended default ageing time, 300 s. */
const DEFAULT_AGEING_MICROS = 300_000_000;

/**
 * Options of a {@link MacTable}.
 *
 * @example
 * ```ts
 * import { MacTable, type MacTableOptions } from '@libos/net';
 * const options: MacTableOptions = { capacity: 256, ageingMicros: 60_000_000 };
 * const table = new MacTable(options);
 * ```
 */
export interface MacTableOptions {
  /** Most addresses remembered; the least recently seen is evicted beyond it. Default 1024. */
  readonly capacity?: number;
  /** An entry not refreshed for this long (µs) is forgotten. Default 300 s (802.1Q §8.8.3). */
  readonly ageingMicros?: number;
}

/**
 * Counters of a {@link MacTable}.
 *
 * @example
 * ```ts
 * import { MacTable } from '@libos/net';
 * const table = new MacTable();
 * console.log(table.stats.learned, table.stats.aged);
 * ```
 */
export interface MacTableStats {
  /** New addresses entered. */
  learned: number;
  /** Known addresses seen on a different port than recorded (station moved). */
  moved: number;
  /** Entries forgotten because they were older than the ageing time. */
  aged: number;
  /** Entries evicted, least recently seen first, to make room in a full table. */
  evicted: number;
}

/** A 48-bit MAC at `offset` as an exact integer key. */
function macKey(bytes: Uint8Array, offset: number): number {
  const high = (bytes[offset]! << 8) | bytes[offset + 1]!;
  const low =
    ((bytes[offset + 2]! << 24) |
      (bytes[offset + 3]! << 16) |
      (bytes[offset + 4]! << 8) |
      bytes[offset + 5]!) >>>
    0;
  return high * 0x100000000 + low;
}

/**
 * A bounded MAC → port map with ageing, the learning table of {@link NetSwitch}. Slots
 * are preallocated; refreshing a known address allocates nothing. Ports are small
 * non-negative integers chosen by the caller. Times are µs from the caller's clock.
 *
 * @example
 * ```ts
 * import { MacTable, parseMacAddress } from '@libos/net';
 * const table = new MacTable({ capacity: 4, ageingMicros: 1_000_000 });
 * const mac = parseMacAddress('02:00:00:00:00:01');
 * table.learn(mac, 0, 3, 0);
 * table.lookup(mac, 0, 500_000);   // 3
 * table.lookup(mac, 0, 2_000_000); // -1: aged out
 * ```
 */
export class MacTable {
  /** Most entries held. */
  readonly capacity: number;
  /** Ageing time in µs. */
  readonly ageingMicros: number;
  /** Counters. */
  readonly stats: MacTableStats = { learned: 0, moved: 0, aged: 0, evicted: 0 };
  readonly #slotOf = new Map<number, number>();
  readonly #keys: Float64Array;
  readonly #ports: Int32Array;
  readonly #seen: Float64Array;
  readonly #freeSlots: Int32Array;
  #freeCount: number;

  /**
   * @param options Capacity and ageing time; see {@link MacTableOptions}.
   * @throws {@link PhyError} `INVALID_OPTION` for a non-positive capacity or ageing time.
   */
  constructor(options: MacTableOptions = {}) {
    const capacity = options.capacity ?? 1024;
    const ageing = options.ageingMicros ?? DEFAULT_AGEING_MICROS;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new PhyError('INVALID_OPTION', `MAC table capacity ${capacity} is not positive`);
    }
    if (!(ageing > 0)) {
      throw new PhyError('INVALID_OPTION', `ageing time ${ageing} µs is not positive`);
    }
    this.capacity = capacity;
    this.ageingMicros = ageing;
    this.#keys = new Float64Array(capacity);
    this.#ports = new Int32Array(capacity);
    this.#seen = new Float64Array(capacity);
    this.#freeSlots = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.#freeSlots[i] = capacity - 1 - i;
    this.#freeCount = capacity;
  }

  /** Entries held (some may have aged but not yet been looked up or swept). */
  get size(): number {
    return this.#slotOf.size;
  }

  /**
   * Records that the MAC at `bytes[offset..offset+6]` was seen on `port` at `now`.
   * Call only with unicast source addresses.
   *
   * @param bytes Holds the address.
   * @param offset Where the address starts in `bytes`.
   * @param port The ingress port.
   * @param now Current time, µs.
   */
  learn(bytes: Uint8Array, offset: number, port: number, now: number): void {
    const key = macKey(bytes, offset);
    const slot = this.#slotOf.get(key);
    if (slot !== undefined) {
      if (this.#ports[slot] !== port) {
        this.#ports[slot] = port;
        this.stats.moved++;
      }
      this.#seen[slot] = now;
      return;
    }
    if (this.#freeCount === 0) this.#evictOldest(now);
    const free = this.#freeSlots[--this.#freeCount]!;
    this.#keys[free] = key;
    this.#ports[free] = port;
    this.#seen[free] = now;
    this.#slotOf.set(key, free);
    this.stats.learned++;
  }

  /**
   * The port the MAC at `bytes[offset..offset+6]` was last seen on, or -1 when unknown
   * or aged out (the stale entry is then removed).
   *
   * @param bytes Holds the address.
   * @param offset Where the address starts in `bytes`.
   * @param now Current time, µs.
   */
  lookup(bytes: Uint8Array, offset: number, now: number): number {
    const slot = this.#slotOf.get(macKey(bytes, offset));
    if (slot === undefined) return -1;
    if (now - this.#seen[slot]! >= this.ageingMicros) {
      this.#remove(slot);
      this.stats.aged++;
      return -1;
    }
    return this.#ports[slot]!;
  }

  /**
   * Removes every entry older than the ageing time. Lookups already ignore such
   * entries; sweeping frees their slots and makes {@link MacTable.size} exact.
   * Returns how many were removed.
   *
   * @param now Current time, µs.
   */
  sweep(now: number): number {
    let removed = 0;
    for (const slot of this.#slotOf.values()) {
      if (now - this.#seen[slot]! >= this.ageingMicros) {
        this.#remove(slot);
        removed++;
      }
    }
    this.stats.aged += removed;
    return removed;
  }

  /**
   * Forgets every address learned on `port` (the port went away). Returns how many.
   *
   * @param port The port.
   */
  forgetPort(port: number): number {
    let removed = 0;
    for (const slot of this.#slotOf.values()) {
      if (this.#ports[slot] === port) {
        this.#remove(slot);
        removed++;
      }
    }
    return removed;
  }

  /** Forgets everything (counters are kept). */
  clear(): void {
    for (const slot of this.#slotOf.values()) this.#freeSlots[this.#freeCount++] = slot;
    this.#slotOf.clear();
  }

  #remove(slot: number): void {
    this.#slotOf.delete(this.#keys[slot]!);
    this.#freeSlots[this.#freeCount++] = slot;
  }

  /** Makes room: drops aged entries if any, else the least recently seen one. */
  #evictOldest(now: number): void {
    if (this.sweep(now) > 0) return;
    let oldest = -1;
    let oldestSeen = Number.POSITIVE_INFINITY;
    for (const slot of this.#slotOf.values()) {
      if (this.#seen[slot]! < oldestSeen) {
        oldestSeen = this.#seen[slot]!;
        oldest = slot;
      }
    }
    this.#remove(oldest);
    this.stats.evicted++;
  }
}
