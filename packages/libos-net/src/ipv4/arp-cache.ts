/**
 * The ARP cache: IPv4 address → Ethernet MAC address, bounded, with ageing, LRU eviction,
 * negative caching and per-address request rate limiting (RFC 826; RFC 1122 §2.3.2.1).
 *
 * Sans-IO: every operation that depends on time takes `now` (µs); nothing runs by itself.
 */
import type { Micros } from '@libos/sched';

const MAC_LENGTH = 6;
const SECOND: Micros = 1_000_000;

/**
 * Thrown on misuse of {@link ArpCache}: bad options, an address that is not a uint32, or a
 * MAC address that is not 6 bytes.
 *
 * @example
 * ```ts
 * import { ArpCache, ArpCacheError } from '@libos/net';
 * try { new ArpCache({ capacity: 0 }); } catch (e) { if (e instanceof ArpCacheError) console.log(e.code); }
 * ```
 */
export class ArpCacheError extends Error {
  /** Stable error code. */
  readonly code = 'EINVAL' as const;
  /** @param message - a human-readable explanation */
  constructor(message: string) {
    super(message);
    this.name = 'ArpCacheError';
  }
}

/**
 * Options of {@link ArpCache}. All durations are in microseconds.
 *
 * @example
 * ```ts
 * import type { ArpCacheOptions } from '@libos/net';
 * const options: ArpCacheOptions = { capacity: 64, entryLifetime: 30_000_000 };
 * ```
 */
export interface ArpCacheOptions {
  /** Most entries held (resolved and failed together); default 256. */
  readonly capacity?: number;
  /**
   * How long a resolved entry stays valid after it was inserted or updated; default 60 s.
   * RFC 1122 §2.3.2.1 requires a timeout so that a changed MAC address is noticed.
   */
  readonly entryLifetime?: Micros;
  /**
   * How long an address recorded with {@link ArpCache.markFailed} (no reply to requests)
   * stays failed — lookups miss and {@link ArpCache.shouldRequest} says no; default 3 s.
   */
  readonly failedLifetime?: Micros;
  /**
   * The least time between two requests for the same address (RFC 1122 §2.3.2.1: at most
   * one per second); default 1 s.
   */
  readonly requestInterval?: Micros;
  /** Most addresses whose last request time is tracked; default `capacity`. */
  readonly requestTrackingCapacity?: number;
}

/**
 * One cache entry as seen by {@link ArpCache.entries}, for diagnostics.
 *
 * @example
 * ```ts
 * import { ArpCache, type ArpCacheEntry } from '@libos/net';
 * const cache = new ArpCache();
 * const all: ArpCacheEntry[] = [...cache.entries()];
 * ```
 */
export interface ArpCacheEntry {
  /** The IPv4 address as uint32. */
  readonly address: number;
  /** The MAC address (6 bytes, owned by the cache — do not modify); `undefined` when failed. */
  readonly mac: Uint8Array | undefined;
  /** When the entry stops being valid (µs). */
  readonly expiresAt: Micros;
  /** `'resolved'` after a reply, `'failed'` after {@link ArpCache.markFailed}. */
  readonly state: 'resolved' | 'failed';
}

interface Slot {
  /** 6 bytes, owned by the cache; reused when the entry is refreshed. */
  readonly mac: Uint8Array;
  expiresAt: Micros;
  failed: boolean;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ArpCacheError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function duration(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new ArpCacheError(`${name} must be a non-negative duration in µs, got ${value}`);
  }
  return value;
}

function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0xffff_ffff) {
    throw new ArpCacheError(`not an IPv4 address as uint32: ${address}`);
  }
}

function checkMac(mac: Uint8Array): void {
  if (mac.length !== MAC_LENGTH) {
    throw new ArpCacheError(`a MAC address has 6 bytes, not ${mac.length}`);
  }
}

/**
 * A bounded ARP cache keyed by IPv4 address (uint32), O(1) per operation.
 *
 * - {@link ArpCache.lookup} hits refresh recency (LRU) but never the lifetime: an entry
 *   ages out `entryLifetime` after the last {@link ArpCache.insert}/{@link ArpCache.update},
 *   so a stale mapping is re-validated (RFC 1122 §2.3.2.1).
 * - When full, {@link ArpCache.insert} evicts the least recently used entry.
 * - {@link ArpCache.update} implements RFC 826's merge flag: it refreshes an entry that
 *   exists and adds nothing, so unsolicited ARP traffic cannot fill the cache.
 * - {@link ArpCache.shouldRequest} allows one request per address per `requestInterval`.
 *
 * @example
 * ```ts
 * import { ArpCache } from '@libos/net';
 * const cache = new ArpCache({ capacity: 128 });
 * const gw = ((10 << 24) | (0 << 16) | (2 << 8) | 2) >>> 0;
 * if (!cache.lookup(gw, 0) && cache.shouldRequest(gw, 0)) {
 *   // send an ARP request for gw, then on the reply:
 *   cache.insert(gw, new Uint8Array([0x52, 0x54, 0, 0x12, 0x35, 0x02]), 1_000);
 * }
 * cache.lookup(gw, 2_000); // the 6 MAC bytes
 * ```
 */
export class ArpCache {
  /** Most entries held. */
  readonly capacity: number;
  /** Lifetime of a resolved entry (µs). */
  readonly entryLifetime: Micros;
  /** Lifetime of a failed entry (µs). */
  readonly failedLifetime: Micros;
  /** Least time between two requests for one address (µs). */
  readonly requestInterval: Micros;
  /** Most addresses whose last request time is tracked. */
  readonly requestTrackingCapacity: number;

  /** Map iteration order is recency order: the first key is the least recently used. */
  readonly #slots = new Map<number, Slot>();
  /** Address → time of the last request allowed; iteration order is request order. */
  readonly #requests = new Map<number, Micros>();

  /** @param options - capacity, lifetimes and the request interval; see {@link ArpCacheOptions} */
  constructor(options: ArpCacheOptions = {}) {
    this.capacity = positiveInteger('capacity', options.capacity ?? 256);
    this.entryLifetime = duration('entryLifetime', options.entryLifetime ?? 60 * SECOND);
    this.failedLifetime = duration('failedLifetime', options.failedLifetime ?? 3 * SECOND);
    this.requestInterval = duration('requestInterval', options.requestInterval ?? SECOND);
    this.requestTrackingCapacity = positiveInteger(
      'requestTrackingCapacity',
      options.requestTrackingCapacity ?? this.capacity,
    );
  }

  /** Entries held, resolved and failed (expired ones count until looked up or expired). */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * The MAC address of `address`, or `undefined` when unknown, failed or expired (an expired
   * entry is removed). A hit makes the entry the most recently used.
   *
   * @param address - IPv4 address as uint32
   * @param now - current time (µs)
   * @returns 6 bytes owned by the cache: read them (or copy), do not modify or keep them
   */
  lookup(address: number, now: Micros): Uint8Array | undefined {
    const slot = this.#slots.get(address);
    if (slot === undefined) return undefined;
    if (now >= slot.expiresAt) {
      this.#slots.delete(address);
      return undefined;
    }
    if (slot.failed) return undefined;
    this.#slots.delete(address);
    this.#slots.set(address, slot);
    return slot.mac;
  }

  /**
   * Adds or replaces the mapping `address → mac` (copied), valid for `entryLifetime`
   * from `now`. When the cache is full, the least recently used entry is evicted.
   *
   * @param address - IPv4 address as uint32
   * @param mac - 6 bytes; copied
   * @param now - current time (µs)
   * @throws {@link ArpCacheError} if `address` is not a uint32 or `mac` is not 6 bytes
   */
  insert(address: number, mac: Uint8Array, now: Micros): void {
    checkAddress(address);
    checkMac(mac);
    let slot = this.#slots.get(address);
    if (slot !== undefined) {
      this.#slots.delete(address);
    } else {
      if (this.#slots.size >= this.capacity) {
        const lru = this.#slots.keys().next();
        if (!lru.done) this.#slots.delete(lru.value);
      }
      slot = { mac: new Uint8Array(MAC_LENGTH), expiresAt: 0, failed: false };
    }
    slot.mac.set(mac);
    slot.expiresAt = now + this.entryLifetime;
    slot.failed = false;
    this.#slots.set(address, slot);
    // Resolved: the request pacing for this address is no longer needed.
    this.#requests.delete(address);
  }

  /**
   * RFC 826 "merge": if `address` is already in the cache (resolved, failed or expired),
   * sets its MAC to `mac` and renews its lifetime; otherwise does nothing.
   *
   * @param address - IPv4 address as uint32 (the sender protocol address of an ARP packet)
   * @param mac - 6 bytes (the sender hardware address); copied
   * @param now - current time (µs)
   * @returns whether an entry was present and refreshed (RFC 826's merge flag)
   * @throws {@link ArpCacheError} if `mac` is not 6 bytes
   */
  update(address: number, mac: Uint8Array, now: Micros): boolean {
    checkMac(mac);
    if (!this.#slots.has(address)) return false;
    this.insert(address, mac, now);
    return true;
  }

  /**
   * Records that requests for `address` went unanswered: for `failedLifetime` lookups miss
   * and {@link ArpCache.shouldRequest} returns false, so the stack can report the host
   * unreachable instead of flooding requests. A later insert or update replaces it.
   *
   * @param address - IPv4 address as uint32
   * @param now - current time (µs)
   * @throws {@link ArpCacheError} if `address` is not a uint32
   */
  markFailed(address: number, now: Micros): void {
    checkAddress(address);
    const existing = this.#slots.get(address);
    if (existing !== undefined) this.#slots.delete(address);
    else if (this.#slots.size >= this.capacity) {
      const lru = this.#slots.keys().next();
      if (!lru.done) this.#slots.delete(lru.value);
    }
    const slot = existing ?? { mac: new Uint8Array(MAC_LENGTH), expiresAt: 0, failed: true };
    slot.mac.fill(0);
    slot.failed = true;
    slot.expiresAt = now + this.failedLifetime;
    this.#slots.set(address, slot);
  }

  /**
   * Whether `address` is currently marked failed (see {@link ArpCache.markFailed}).
   *
   * @param address - IPv4 address as uint32
   * @param now - current time (µs)
   */
  isFailed(address: number, now: Micros): boolean {
    const slot = this.#slots.get(address);
    return slot?.failed === true && now < slot.expiresAt;
  }

  /**
   * Asks whether an ARP request for `address` may be sent now, and if so records it:
   * true at most once per `requestInterval` per address (RFC 1122 §2.3.2.1), and never
   * while the address is marked failed. The tracking is bounded by
   * `requestTrackingCapacity`; when full, the oldest record is forgotten.
   *
   * @param address - IPv4 address as uint32
   * @param now - current time (µs), non-decreasing across calls
   */
  shouldRequest(address: number, now: Micros): boolean {
    if (this.isFailed(address, now)) return false;
    // Records are in request order, so stale ones are at the front.
    for (const [tracked, at] of this.#requests) {
      if (now - at < this.requestInterval) break;
      this.#requests.delete(tracked);
    }
    const last = this.#requests.get(address);
    if (last !== undefined && now - last < this.requestInterval) return false;
    this.#requests.delete(address);
    if (this.#requests.size >= this.requestTrackingCapacity) {
      const oldest = this.#requests.keys().next();
      if (!oldest.done) this.#requests.delete(oldest.value);
    }
    this.#requests.set(address, now);
    return true;
  }

  /** Addresses whose last request time is currently tracked (for tests and diagnostics). */
  get trackedRequests(): number {
    return this.#requests.size;
  }

  /**
   * Removes the entry for `address`, if any.
   *
   * @param address - IPv4 address as uint32
   * @returns whether an entry was removed
   */
  remove(address: number): boolean {
    this.#requests.delete(address);
    return this.#slots.delete(address);
  }

  /** Removes every entry and every request record. */
  clear(): void {
    this.#slots.clear();
    this.#requests.clear();
  }

  /**
   * Removes every entry whose lifetime has ended, and request records older than
   * `requestInterval`. O(size).
   *
   * @param now - current time (µs)
   * @returns how many cache entries were removed
   */
  expire(now: Micros): number {
    let removed = 0;
    for (const [address, slot] of this.#slots) {
      if (now >= slot.expiresAt) {
        this.#slots.delete(address);
        removed++;
      }
    }
    for (const [address, at] of this.#requests) {
      if (now - at < this.requestInterval) break;
      this.#requests.delete(address);
    }
    return removed;
  }

  /**
   * The entries, least recently used first, for diagnostics. Entries past their lifetime
   * but not yet removed are included; call {@link ArpCache.expire} first to drop them.
   */
  *entries(): IterableIterator<ArpCacheEntry> {
    for (const [address, slot] of this.#slots) {
      yield {
        address,
        mac: slot.failed ? undefined : slot.mac,
        expiresAt: slot.expiresAt,
        state: slot.failed ? 'failed' : 'resolved',
      };
    }
  }
}
