/**
 * IPv4 fragment reassembly (RFC 791 §3.2 "An Example Reassembly Procedure"; RFC 1122
 * §3.3.2), hardened against hostile fragments (RFC 1858; RELIABILITY.md item 6): overlaps,
 * tiny first fragments, datagrams over 65535 bytes and floods that never complete are
 * dropped, with a hard bound on buffered memory and an age limit.
 *
 * Per datagram, received data lives in one buffer and the received byte ranges in a sorted
 * list of disjoint, non-adjacent intervals (flat `[start0, end0, start1, end1, …]`):
 *
 * ```
 *  buffer   |AAAAAAAA|........|BBBBBBBBBBBBBBBB|........|CCCC|   (capacity may exceed total)
 *  ranges   [0, 8)             [16, 32)                  [40, 44)
 *  holes             [8, 16)                    [32, 40)
 * ```
 *
 * The datagram is complete when the ranges are exactly `[0, total)`, `total` being known
 * from the last fragment (More Fragments clear).
 *
 * Sans-IO: time is passed in (`now`, µs); {@link Ipv4Reassembler.pollAt} says when
 * {@link Ipv4Reassembler.expire} must next run.
 */
import type { Micros } from '@libos/sched';

const SECOND: Micros = 1_000_000;
/** RFC 791 §3.1: Total Length is 16 bits. */
const MAX_IPV4_LENGTH = 65_535;
/** RFC 791 §3.1: a header is at most 15 × 4 bytes. */
const MAX_HEADER_LENGTH = 60;
/** Bytes charged for one datagram's bookkeeping (object, key, list links). */
const DATAGRAM_OVERHEAD = 128;
/** Bytes charged per stored interval (two numbers). */
const INTERVAL_COST = 16;
/** Smallest buffer allocated while the total length is unknown. */
const MIN_GROWABLE_CAPACITY = 2048;
/**
 * While the total length is unknown, a buffer grows to this many times the data's current
 * end: in-order fragments of an 8 KiB datagram then need one buffer, a 64 KiB one two.
 * (Every allocation of an off-heap `ArrayBuffer` costs far more than the bytes it wastes.)
 */
const GROWTH_FACTOR = 8;
/** RFC 1858 §3.1: the offset-0 fragment must hold at least 8 bytes of transport header. */
const MIN_FIRST_FRAGMENT = 8;

/**
 * Thrown on misuse of {@link Ipv4Reassembler} (bad options). Hostile fragments never throw;
 * they yield a {@link ReassemblyDrop}.
 *
 * @example
 * ```ts
 * import { Ipv4Reassembler, ReassemblyError } from '@libos/net';
 * try { new Ipv4Reassembler({ maxDatagrams: 0 }); } catch (e) { if (e instanceof ReassemblyError) console.log(e.code); }
 * ```
 */
export class ReassemblyError extends Error {
  /** Stable error code. */
  readonly code = 'EINVAL' as const;
  /** @param message - a human-readable explanation */
  constructor(message: string) {
    super(message);
    this.name = 'ReassemblyError';
  }
}

/**
 * Why a fragment was dropped. Every drop discards the whole datagram it belongs to except
 * `'memory'` when other datagrams could be evicted instead (see {@link Ipv4Reassembler}).
 *
 * - `'overlap'` — the fragment overlaps data already received and is not an exact,
 *   byte-identical duplicate of it (RFC 1858 §4 overlapping-fragment attack).
 * - `'too-long'` — offset + length exceeds 65535 or `maxDatagramLength` (ping of death).
 * - `'memory'` — storing it would exceed `maxBytes` even after evicting every other
 *   incomplete datagram.
 * - `'bad-fragment'` — a non-last fragment whose length is zero or not a multiple of 8, an
 *   offset that is not a multiple of 8, data beyond the total length, or a last fragment
 *   disagreeing with an earlier one.
 * - `'tiny-first'` — an offset-0 fragment with More Fragments set and fewer than 8 bytes
 *   (RFC 1858 §3.1 tiny-fragment attack).
 *
 * @example
 * ```ts
 * import type { ReassemblyDrop } from '@libos/net';
 * const reason: ReassemblyDrop = 'overlap';
 * ```
 */
export type ReassemblyDrop = 'overlap' | 'too-long' | 'memory' | 'bad-fragment' | 'tiny-first';

/**
 * What identifies one datagram's fragments (RFC 791 §3.2: source, destination, protocol,
 * identification).
 *
 * @example
 * ```ts
 * import type { FragmentKey } from '@libos/net';
 * const key: FragmentKey = { source: 0x0a000202, destination: 0x0a00020f, protocol: 17, identification: 0x1c46 };
 * ```
 */
export interface FragmentKey {
  /** Source IPv4 address as uint32. */
  readonly source: number;
  /** Destination IPv4 address as uint32. */
  readonly destination: number;
  /** IP protocol number (8 bits). */
  readonly protocol: number;
  /** Identification field (16 bits). */
  readonly identification: number;
}

/**
 * The offset-0 fragment of a timed-out datagram, to quote in ICMP Time Exceeded (RFC 792:
 * the internet header plus the first 64 bits of data). Views valid only during the
 * {@link ReassemblerOptions.onTimeout} callback.
 *
 * @example
 * ```ts
 * import type { FirstFragment } from '@libos/net';
 * const quote = (f: FirstFragment): Uint8Array => f.data.subarray(0, 8);
 * ```
 */
export interface FirstFragment {
  /** Its IPv4 header (first 60 bytes), if the stack passed it to {@link Ipv4Reassembler.insert}. */
  readonly header: Uint8Array | undefined;
  /** The contiguous data received from offset 0. */
  readonly data: Uint8Array;
}

/**
 * A datagram that timed out, given to {@link ReassemblerOptions.onTimeout} so the stack can
 * send ICMP Time Exceeded, code 1 "fragment reassembly time exceeded" (RFC 792), which
 * RFC 1122 §3.3.2 allows only when the first fragment (offset 0) was received.
 *
 * @example
 * ```ts
 * import { Ipv4Reassembler, type ExpiredDatagram } from '@libos/net';
 * const reassembler = new Ipv4Reassembler({
 *   onTimeout: (d: ExpiredDatagram) => {
 *     if (d.firstFragment) console.log('quote', d.firstFragment.header, d.firstFragment.data.subarray(0, 8));
 *   },
 * });
 * ```
 */
export interface ExpiredDatagram extends FragmentKey {
  /**
   * The first fragment, if it was received: its IPv4 header (when passed to
   * {@link Ipv4Reassembler.insert}) and the contiguous data received from offset 0.
   * Both are views valid only during the callback.
   */
  readonly firstFragment: FirstFragment | undefined;
}

/**
 * Options of {@link Ipv4Reassembler}.
 *
 * @example
 * ```ts
 * import type { ReassemblerOptions } from '@libos/net';
 * const options: ReassemblerOptions = { maxBytes: 1 << 20, timeout: 60_000_000 };
 * ```
 */
export interface ReassemblerOptions {
  /**
   * Most bytes held across all incomplete datagrams: buffer capacity, quoted headers, plus
   * a fixed charge per datagram (128) and per received range (16); default 256 KiB.
   */
  readonly maxBytes?: number;
  /** Most incomplete datagrams held at once; default 64. */
  readonly maxDatagrams?: number;
  /**
   * Age limit of an incomplete datagram, counted from its first fragment and never
   * extended (µs); default 30 s. RFC 1122 §3.3.2 suggests 60–120 s, sized for slow links
   * and TTL-based timers; fragments of one datagram now arrive within milliseconds, and
   * every second a never-completing datagram lives is memory an attacker holds. 30 s (the
   * Linux default) still allows for long reordering delays; raise it if needed.
   */
  readonly timeout?: Micros;
  /** Largest reassembled payload in bytes, at most 65535; default 65535. */
  readonly maxDatagramLength?: number;
  /** Called for each datagram that times out (from {@link Ipv4Reassembler.expire} or an insert). */
  readonly onTimeout?: (expired: ExpiredDatagram) => void;
}

/**
 * Counters of an {@link Ipv4Reassembler}.
 *
 * @example
 * ```ts
 * import { Ipv4Reassembler } from '@libos/net';
 * const r = new Ipv4Reassembler();
 * console.log(r.stats.bufferedBytes, r.stats.highWater, r.stats.drops.overlap);
 * ```
 */
export interface ReassemblerStats {
  /** Fragments accepted into a datagram (duplicates excluded). */
  readonly fragments: number;
  /** Byte-identical duplicates ignored. */
  readonly duplicates: number;
  /** Datagrams completed and returned. */
  readonly reassembled: number;
  /** Datagrams dropped because they timed out. */
  readonly timedOut: number;
  /** Incomplete datagrams evicted to make room (memory or datagram count). */
  readonly evicted: number;
  /** Fragments dropped, per reason. */
  readonly drops: Readonly<Record<ReassemblyDrop, number>>;
  /** Bytes currently held (as charged against `maxBytes`). */
  readonly bufferedBytes: number;
  /** The most bytes ever held at once. */
  readonly highWater: number;
  /** Incomplete datagrams currently held. */
  readonly datagrams: number;
}

interface MutableStats {
  fragments: number;
  duplicates: number;
  reassembled: number;
  timedOut: number;
  evicted: number;
  drops: Record<ReassemblyDrop, number>;
  bufferedBytes: number;
  highWater: number;
  datagrams: number;
}

/** One incomplete datagram. */
interface Datagram {
  readonly source: number;
  readonly destination: number;
  readonly protocol: number;
  readonly identification: number;
  readonly hash: number;
  readonly deadline: Micros;
  buffer: Uint8Array;
  /** Total payload length once the last fragment arrived, else -1. */
  total: number;
  /** Flat sorted disjoint ranges `[s0, e0, s1, e1, …]`, adjacent ranges merged. */
  ranges: number[];
  header: Uint8Array | undefined;
  /** Bytes charged against maxBytes. */
  charged: number;
  /** Next datagram with the same hash. */
  nextSameHash: Datagram | undefined;
  /** Creation order (oldest first). */
  older: Datagram | undefined;
  newer: Datagram | undefined;
}

function hashKey(source: number, destination: number, protocol: number, id: number): number {
  let h = Math.imul(source ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ destination, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ ((protocol << 16) | id), 0x27d4eb2f);
  return (h ^ (h >>> 15)) >>> 0;
}

function chargeOf(d: Datagram): number {
  return (
    DATAGRAM_OVERHEAD +
    d.buffer.length +
    (d.header?.length ?? 0) +
    (d.ranges.length >>> 1) * INTERVAL_COST
  );
}

function optionInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ReassemblyError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/**
 * Reassembles IPv4 fragments into datagram payloads with bounded memory.
 *
 * Policies (RELIABILITY.md item 6):
 * - **Duplicates and overlaps.** A fragment lying entirely inside data already received,
 *   byte for byte identical and not changing the total length, is a harmless duplicate and
 *   is ignored. Any other overlap discards the whole datagram (`'overlap'`): reassembling
 *   conflicting data either way lets an attacker choose what a filter saw (RFC 1858 §4),
 *   and RFC 5722 takes the same line for IPv6.
 * - **Memory.** When a fragment needs room that `maxBytes` does not leave, the oldest
 *   incomplete datagrams are evicted first; likewise when `maxDatagrams` are held and a
 *   new one starts. A flood of fragments that never complete therefore only ages out
 *   other incomplete datagrams, and cannot lock out real traffic, which completes within
 *   milliseconds. Only a datagram that alone exceeds `maxBytes` is refused (`'memory'`).
 * - **Age.** A datagram is discarded `timeout` after its first fragment, whatever arrives
 *   later; {@link ReassemblerOptions.onTimeout} reports it.
 * - **Buffers.** One buffer per datagram: allocated at the exact total when the last
 *   fragment arrives first, otherwise grown to 8 × the data's end as data arrives further
 *   out (bounded by `maxDatagramLength`, falling back to the exact end when memory is
 *   tight, and charged in full against `maxBytes`). The complete payload is returned as a
 *   view of that buffer (copied to a tight buffer only if the view would pin more than
 *   twice its size) and belongs to the caller.
 *
 * @example
 * ```ts
 * import { Ipv4Reassembler } from '@libos/net';
 * const r = new Ipv4Reassembler();
 * const key = { source: 0x0a000202, destination: 0x0a00020f, protocol: 17, identification: 7 };
 * r.insert(key, 8, false, new Uint8Array([9, 10]), 0); // undefined: still incomplete
 * const out = r.insert(key, 0, true, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 10);
 * if (out instanceof Uint8Array) console.log(out.length); // 10
 * ```
 */
export class Ipv4Reassembler {
  /** Most bytes held across incomplete datagrams. */
  readonly maxBytes: number;
  /** Most incomplete datagrams held. */
  readonly maxDatagrams: number;
  /** Age limit of an incomplete datagram (µs). */
  readonly timeout: Micros;
  /** Largest reassembled payload (bytes). */
  readonly maxDatagramLength: number;

  readonly #onTimeout: ((expired: ExpiredDatagram) => void) | undefined;
  readonly #byHash = new Map<number, Datagram>();
  #oldest: Datagram | undefined;
  #newest: Datagram | undefined;
  readonly #stats: MutableStats = {
    fragments: 0,
    duplicates: 0,
    reassembled: 0,
    timedOut: 0,
    evicted: 0,
    drops: { overlap: 0, 'too-long': 0, memory: 0, 'bad-fragment': 0, 'tiny-first': 0 },
    bufferedBytes: 0,
    highWater: 0,
    datagrams: 0,
  };

  /** @param options - limits and the timeout hook; see {@link ReassemblerOptions} */
  constructor(options: ReassemblerOptions = {}) {
    this.maxBytes = optionInteger(
      'maxBytes',
      options.maxBytes ?? 256 * 1024,
      DATAGRAM_OVERHEAD + INTERVAL_COST + 8,
      Number.MAX_SAFE_INTEGER,
    );
    this.maxDatagrams = optionInteger('maxDatagrams', options.maxDatagrams ?? 64, 1, 1 << 20);
    this.maxDatagramLength = optionInteger(
      'maxDatagramLength',
      options.maxDatagramLength ?? MAX_IPV4_LENGTH,
      8,
      MAX_IPV4_LENGTH,
    );
    const timeout = options.timeout ?? 30 * SECOND;
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new ReassemblyError(`timeout must be a positive duration in µs, got ${timeout}`);
    }
    this.timeout = timeout;
    this.#onTimeout = options.onTimeout;
  }

  /** Live counters (read-only view; values change as fragments arrive). */
  get stats(): ReassemblerStats {
    return this.#stats;
  }

  /** Incomplete datagrams currently held. */
  get size(): number {
    return this.#stats.datagrams;
  }

  /**
   * Adds one fragment (RFC 791 §3.2). Timed-out datagrams are expired first (calling
   * `onTimeout`).
   *
   * @param key - the datagram's identity (source, destination, protocol, identification)
   * @param fragmentOffset - offset of this fragment's data in bytes (header field × 8)
   * @param moreFragments - the More Fragments flag
   * @param payload - the fragment's data (after the IPv4 header); copied, not kept
   * @param now - current time (µs), non-decreasing across calls
   * @param header - optionally, this fragment's IPv4 header; for the offset-0 fragment its
   * first 60 bytes are kept to quote in ICMP Time Exceeded (see {@link ExpiredDatagram})
   * @returns the complete payload (owned by the caller) when this fragment completes the
   * datagram; `undefined` while incomplete or for an ignored duplicate; a
   * {@link ReassemblyDrop} when the fragment was dropped
   */
  insert(
    key: FragmentKey,
    fragmentOffset: number,
    moreFragments: boolean,
    payload: Uint8Array,
    now: Micros,
    header?: Uint8Array,
  ): Uint8Array | ReassemblyDrop | undefined {
    this.expire(now);
    const { source, destination, protocol, identification } = key;
    const hash = hashKey(source, destination, protocol, identification);
    let d = this.#find(hash, source, destination, protocol, identification);
    const length = payload.length;
    const end = fragmentOffset + length;

    // Checks that need no state.
    let reason: ReassemblyDrop | undefined;
    if (!Number.isInteger(fragmentOffset) || fragmentOffset < 0 || (fragmentOffset & 7) !== 0) {
      reason = 'bad-fragment'; // RFC 791 §3.1: offsets count 8-byte units.
    } else if (end > this.maxDatagramLength) {
      reason = 'too-long'; // ping of death: beyond 65535 (maxDatagramLength ≤ 65535)
    } else if (moreFragments && fragmentOffset === 0 && length < MIN_FIRST_FRAGMENT) {
      reason = 'tiny-first'; // RFC 1858 §3.1
    } else if (moreFragments && (length === 0 || (length & 7) !== 0)) {
      reason = 'bad-fragment'; // RFC 791 §3.2: non-last fragments carry whole 8-byte blocks.
    }
    if (reason !== undefined) return this.#drop(d, reason);

    if (d === undefined) {
      if (!moreFragments && fragmentOffset === 0) {
        // Not fragmented at all: nothing to hold.
        this.#stats.reassembled++;
        return payload.slice();
      }
      d = this.#create(hash, key, now);
    }

    // Checks against the datagram's state.
    const ranges = d.ranges;
    const receivedEnd = ranges.length > 0 ? ranges[ranges.length - 1]! : 0;
    if (moreFragments ? d.total >= 0 && end > d.total : d.total >= 0 && d.total !== end) {
      return this.#drop(d, 'bad-fragment'); // data past the end, or two different ends
    }
    if (!moreFragments && receivedEnd > end) return this.#drop(d, 'bad-fragment');

    // Find the first range ending after this fragment's start (binary search).
    let lo = 0;
    let hi = ranges.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ranges[2 * mid + 1]! <= fragmentOffset) lo = mid + 1;
      else hi = mid;
    }
    const at = lo;
    const nextStart = at < ranges.length >>> 1 ? ranges[2 * at]! : Number.POSITIVE_INFINITY;
    if (length > 0 && nextStart < end) {
      const nextEnd = ranges[2 * at + 1]!;
      const contained = nextStart <= fragmentOffset && end <= nextEnd;
      if (
        contained &&
        (moreFragments || d.total === end) &&
        equalBytes(d.buffer, fragmentOffset, payload)
      ) {
        this.#stats.duplicates++;
        return undefined;
      }
      return this.#drop(d, 'overlap');
    }

    // Make room: the buffer must reach `end`, and the ranges may gain one entry.
    const knownTotal = moreFragments ? d.total : end;
    let capacity = d.buffer.length;
    if (capacity < end) {
      if (knownTotal >= 0) capacity = knownTotal;
      else {
        capacity = Math.min(
          this.maxDatagramLength,
          Math.max(MIN_GROWABLE_CAPACITY, end * GROWTH_FACTOR),
        );
      }
    }
    const keepHeader = fragmentOffset === 0 && header !== undefined && d.header === undefined;
    const headerBytes = keepHeader ? Math.min(header.length, MAX_HEADER_LENGTH) : 0;
    const extra = capacity - d.buffer.length + headerBytes + INTERVAL_COST;
    if (this.#stats.bufferedBytes + extra > this.maxBytes) {
      if (capacity > end && d.buffer.length < end) {
        // Fall back from doubling to exactly what this fragment needs.
        capacity = end;
      }
      const needed = capacity - d.buffer.length + headerBytes + INTERVAL_COST;
      // Evict others only if this datagram can fit at all.
      if (d.charged + needed > this.maxBytes || !this.#makeRoom(needed, d)) {
        return this.#drop(d, 'memory');
      }
    }

    // Store.
    if (capacity !== d.buffer.length) {
      const grown = new Uint8Array(capacity);
      if (ranges.length > 0) grown.set(d.buffer.subarray(0, receivedEnd));
      d.buffer = grown;
    }
    d.buffer.set(payload, fragmentOffset);
    if (keepHeader) d.header = header.slice(0, headerBytes);
    if (!moreFragments) d.total = end;
    if (length > 0) insertRange(ranges, at, fragmentOffset, end);
    this.#stats.fragments++;

    // RFC 791 §3.2: complete when the one range is [0, total).
    if (d.total >= 0 && ranges.length === 2 && ranges[0] === 0 && ranges[1] === d.total) {
      this.#unlink(d);
      this.#stats.reassembled++;
      if (d.buffer.length === d.total) return d.buffer;
      // Hand back a view, or a tight copy when a view would pin more than twice its size.
      return d.buffer.length > 2 * d.total
        ? d.buffer.slice(0, d.total)
        : d.buffer.subarray(0, d.total);
    }
    this.#recharge(d);
    return undefined;
  }

  /**
   * Drops every datagram whose age limit has passed, calling `onTimeout` for each.
   *
   * @param now - current time (µs)
   * @returns how many datagrams were dropped
   */
  expire(now: Micros): number {
    let count = 0;
    // Deadlines are creation time + a fixed timeout, so the oldest expires first.
    while (this.#oldest !== undefined && this.#oldest.deadline <= now) {
      const d = this.#oldest;
      this.#unlink(d);
      this.#stats.timedOut++;
      count++;
      if (this.#onTimeout !== undefined) {
        const firstEnd = d.ranges.length > 0 && d.ranges[0] === 0 ? d.ranges[1]! : -1;
        this.#onTimeout({
          source: d.source,
          destination: d.destination,
          protocol: d.protocol,
          identification: d.identification,
          firstFragment:
            firstEnd >= 0 ? { header: d.header, data: d.buffer.subarray(0, firstEnd) } : undefined,
        });
      }
    }
    return count;
  }

  /** When {@link Ipv4Reassembler.expire} must next run (µs), or `undefined` if nothing is held. */
  pollAt(): Micros | undefined {
    return this.#oldest?.deadline;
  }

  /** Drops every incomplete datagram (without calling `onTimeout`). */
  clear(): void {
    while (this.#oldest !== undefined) this.#unlink(this.#oldest);
  }

  #find(
    hash: number,
    source: number,
    destination: number,
    protocol: number,
    identification: number,
  ): Datagram | undefined {
    for (let d = this.#byHash.get(hash); d !== undefined; d = d.nextSameHash) {
      if (
        d.source === source &&
        d.destination === destination &&
        d.protocol === protocol &&
        d.identification === identification
      ) {
        return d;
      }
    }
    return undefined;
  }

  #create(hash: number, key: FragmentKey, now: Micros): Datagram {
    if (this.#stats.datagrams >= this.maxDatagrams && this.#oldest !== undefined) {
      this.#unlink(this.#oldest);
      this.#stats.evicted++;
    }
    this.#makeRoom(DATAGRAM_OVERHEAD, undefined);
    const d: Datagram = {
      source: key.source,
      destination: key.destination,
      protocol: key.protocol,
      identification: key.identification,
      hash,
      deadline: now + this.timeout,
      buffer: new Uint8Array(0),
      total: -1,
      ranges: [],
      header: undefined,
      charged: 0,
      nextSameHash: this.#byHash.get(hash),
      older: this.#newest,
      newer: undefined,
    };
    this.#byHash.set(hash, d);
    if (this.#newest !== undefined) this.#newest.newer = d;
    else this.#oldest = d;
    this.#newest = d;
    this.#stats.datagrams++;
    this.#recharge(d);
    return d;
  }

  /** Evicts the oldest datagrams other than `keep` until `needed` more bytes fit. */
  #makeRoom(needed: number, keep: Datagram | undefined): boolean {
    const stats = this.#stats;
    let victim = this.#oldest;
    while (stats.bufferedBytes + needed > this.maxBytes && victim !== undefined) {
      const next = victim.newer;
      if (victim !== keep) {
        this.#unlink(victim);
        stats.evicted++;
      }
      victim = next;
    }
    return stats.bufferedBytes + needed <= this.maxBytes;
  }

  #recharge(d: Datagram): void {
    const charge = chargeOf(d);
    const stats = this.#stats;
    stats.bufferedBytes += charge - d.charged;
    d.charged = charge;
    if (stats.bufferedBytes > stats.highWater) stats.highWater = stats.bufferedBytes;
  }

  #drop(d: Datagram | undefined, reason: ReassemblyDrop): ReassemblyDrop {
    this.#stats.drops[reason]++;
    if (d !== undefined) this.#unlink(d);
    return reason;
  }

  #unlink(d: Datagram): void {
    // Hash chain.
    let head = this.#byHash.get(d.hash);
    if (head === d) {
      if (d.nextSameHash === undefined) this.#byHash.delete(d.hash);
      else this.#byHash.set(d.hash, d.nextSameHash);
    } else {
      while (head !== undefined && head.nextSameHash !== d) head = head.nextSameHash;
      if (head !== undefined) head.nextSameHash = d.nextSameHash;
    }
    // Age list.
    if (d.older !== undefined) d.older.newer = d.newer;
    else this.#oldest = d.newer;
    if (d.newer !== undefined) d.newer.older = d.older;
    else this.#newest = d.older;
    d.older = undefined;
    d.newer = undefined;
    d.nextSameHash = undefined;
    this.#stats.bufferedBytes -= d.charged;
    d.charged = 0;
    this.#stats.datagrams--;
  }
}

function equalBytes(buffer: Uint8Array, offset: number, payload: Uint8Array): boolean {
  for (let i = 0; i < payload.length; i++) {
    if (buffer[offset + i] !== payload[i]) return false;
  }
  return true;
}

/**
 * Inserts `[start, end)` into the flat sorted range list at range index `at` (the first
 * range ending after `start`; the caller checked there is no overlap), merging with
 * adjacent neighbours.
 */
function insertRange(ranges: number[], at: number, start: number, end: number): void {
  const count = ranges.length >>> 1;
  const joinsPrevious = at > 0 && ranges[2 * at - 1] === start;
  const joinsNext = at < count && ranges[2 * at] === end;
  if (joinsPrevious && joinsNext) {
    ranges[2 * at - 1] = ranges[2 * at + 1]!;
    ranges.splice(2 * at, 2);
  } else if (joinsPrevious) {
    ranges[2 * at - 1] = end;
  } else if (joinsNext) {
    ranges[2 * at] = start;
  } else {
    ranges.splice(2 * at, 0, start, end);
  }
}
