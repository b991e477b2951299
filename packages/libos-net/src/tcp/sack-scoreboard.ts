/**
 * The sender's SACK scoreboard (RFC 6675 §2 "scoreboard", §4 routines IsLost, NextSeg and
 * SetPipe): which bytes between SND.UNA and SND.NXT the receiver reported holding
 * (RFC 2018), which are therefore presumed lost, and how much data is still in the
 * network.
 *
 * SACKed data is kept as a sorted list of disjoint, non-adjacent ranges `[start, end)` in
 * bytes from the last SND.UNA seen (`base`); sequence numbers are turned into these
 * offsets with mod-2^32 arithmetic (`seq.ts`), so the scoreboard works across the wrap:
 *
 * ```
 *  SND.UNA                                                       SND.NXT
 *  |.......|SSSSSSS|.....|SSSS|...........|SSSSSSSSSS|............|
 *   hole    range   hole  range   hole      range      not SACKed
 *  offset 0                                ^ highest SACKed (end of the last range)
 * ```
 *
 * Memory is bounded (RELIABILITY.md item 7): at most `maxBlocks` ranges are kept; when a
 * report would make one more, the lowest range (nearest SND.UNA) is forgotten. Forgetting a
 * SACK only makes the sender more conservative: those bytes count as unSACKed again (they
 * may be retransmitted needlessly), never as delivered.
 */
import { seqAdd, seqDiff, seqLt } from './seq.js';
import type { TcpSackBlock } from './tcp-options.js';
import { TcpError } from './tcp-stream.js';

/** RFC 6675 §2 "DupThresh": the number of duplicate ACKs (or SACKed segments) that signal a loss. */
const DUP_THRESH = 3;
/** Default bound on the number of SACKed ranges kept. */
const DEFAULT_MAX_BLOCKS = 64;
/** Upper bound accepted for `maxBlocks`: the range list is scanned linearly. */
const MAX_MAX_BLOCKS = 65_536;

/**
 * Options of {@link SackScoreboard}.
 *
 * @example
 * ```ts
 * import type { SackScoreboardOptions } from '@libos/net';
 * const options: SackScoreboardOptions = { maxBlocks: 128 };
 * ```
 */
export interface SackScoreboardOptions {
  /**
   * Most disjoint SACKed ranges kept, an integer from 1 to 65536; default 64. When full,
   * the lowest range is forgotten (see {@link SackScoreboard}).
   */
  readonly maxBlocks?: number;
}

/**
 * One segment chosen by {@link SackScoreboard.nextSegment}: `[start, end)` in absolute
 * sequence numbers.
 *
 * @example
 * ```ts
 * import type { SackSegment } from '@libos/net';
 * const retransmit: SackSegment = { start: 1000, end: 2460, lost: true };
 * ```
 */
export interface SackSegment {
  /** Sequence number of the first byte to retransmit. */
  readonly start: number;
  /** Sequence number just after the last byte to retransmit. */
  readonly end: number;
  /**
   * `true` under NextSeg rule (1): `start` is presumed lost, retransmit it before new
   * data. `false` under rule (3): nothing is presumed lost, and the caller should send
   * new data instead if it has any and the window allows it (rule (2)).
   */
  readonly lost: boolean;
}

/**
 * The SACK scoreboard of one connection's sender (RFC 6675).
 *
 * All sequence numbers are absolute and compared mod 2^32. `highRxt` arguments are one
 * past the highest sequence number retransmitted in the current recovery (RFC 6675's
 * HighRxt + 1, as RFC 6675 counts the last byte); pass SND.UNA when nothing has been
 * retransmitted yet. Misuse (bad options, a non-positive MSS) throws a {@link TcpError}
 * with code `'EINVAL'`; hostile SACK blocks are ignored.
 *
 * @example
 * ```ts
 * import { SackScoreboard } from '@libos/net';
 * const board = new SackScoreboard();
 * board.reset(1000);
 * // Segments of 100 bytes from 1000 to 1500 were sent; the first was lost.
 * board.update([{ start: 1100, end: 1400 }], 1000, 1500); // 300 newly SACKed bytes
 * board.isLost(1000, 100);                              // true: 300 > (3 − 1) · 100 bytes above
 * board.nextSegment(1000, 1500, 1000, 100);             // { start: 1000, end: 1100, lost: true }
 * board.pipe(1000, 1500, 1000, 100);                    // 100: only 1400..1500 is in flight
 * ```
 */
export class SackScoreboard {
  /** Most SACKed ranges kept. */
  readonly maxBlocks: number;
  /** SND.UNA the offsets count from. */
  #base = 0;
  /** SACKed ranges, offsets from `#base`, sorted, disjoint and non-adjacent. */
  readonly #starts: Float64Array;
  readonly #ends: Float64Array;
  #count = 0;
  #sackedBytes = 0;

  /** @param opts Bounds; see {@link SackScoreboardOptions}. */
  constructor(opts: SackScoreboardOptions = {}) {
    const maxBlocks = opts.maxBlocks ?? DEFAULT_MAX_BLOCKS;
    if (!Number.isInteger(maxBlocks) || maxBlocks < 1 || maxBlocks > MAX_MAX_BLOCKS) {
      throw new TcpError(
        'EINVAL',
        `maxBlocks must be an integer in [1, ${MAX_MAX_BLOCKS}], got ${maxBlocks}`,
      );
    }
    this.maxBlocks = maxBlocks;
    // One spare slot: a new range is inserted before the bound drops the lowest.
    this.#starts = new Float64Array(maxBlocks + 1);
    this.#ends = new Float64Array(maxBlocks + 1);
  }

  /** Bytes above SND.UNA currently recorded as SACKed. */
  get sackedBytes(): number {
    return this.#sackedBytes;
  }

  /** Number of disjoint SACKed ranges recorded. */
  get rangeCount(): number {
    return this.#count;
  }

  /**
   * One past the highest SACKed sequence number (the right edge of the highest range), or
   * `undefined` when nothing is SACKed.
   */
  get highestSacked(): number | undefined {
    return this.#count === 0 ? undefined : seqAdd(this.#base, this.#ends[this.#count - 1]!);
  }

  /**
   * Forgets every SACK: at connection start, and after a retransmission timeout (RFC 6675
   * §5.1: the scoreboard may be stale; RFC 2018 §8: the receiver may renege).
   *
   * @param sndUna The current SND.UNA.
   */
  reset(sndUna: number): void {
    this.#base = sndUna >>> 0;
    this.#count = 0;
    this.#sackedBytes = 0;
  }

  /**
   * Records the SACK blocks of one incoming ACK (RFC 6675 §5 step "update the
   * scoreboard"), after discarding what SND.UNA has passed.
   *
   * A block is ignored unless `start < end` and its right edge lies in
   * (SND.UNA, SND.NXT]: so D-SACK blocks below SND.UNA (RFC 2883 §4) and blocks for data
   * never sent are ignored; the part of a block below SND.UNA is cut off.
   *
   * @param blocks The SACK blocks of the segment, in any order.
   * @param sndUna SND.UNA after processing the segment's cumulative ACK.
   * @param sndNxt SND.NXT (the highest sequence number sent, plus one).
   * @returns How many bytes these blocks SACKed that were not SACKed before (counted
   *   before the `maxBlocks` bound forgets a range).
   */
  update(blocks: readonly TcpSackBlock[], sndUna: number, sndNxt: number): number {
    this.#advance(sndUna);
    const window = seqDiff(sndNxt, sndUna);
    let newly = 0;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      if (!seqLt(block.start, block.end)) continue;
      const end = seqDiff(block.end, sndUna);
      if (end <= 0 || end > window) continue;
      newly += this.#insert(Math.max(0, end - seqDiff(block.end, block.start)), end);
    }
    return newly;
  }

  /**
   * Whether every byte of `[start, end)` is SACKed (`false` for an empty range).
   *
   * @param start Sequence number of the first byte.
   * @param end Sequence number just after the last byte.
   */
  isSacked(start: number, end: number): boolean {
    const length = seqDiff(end, start);
    if (length <= 0) return false;
    const s = seqDiff(start, this.#base);
    const e = s + length;
    for (let i = 0; i < this.#count; i++) {
      if (this.#ends[i]! >= e) return this.#starts[i]! <= s;
    }
    return false;
  }

  /**
   * RFC 6675 §4 IsLost(SeqNum): whether the byte `seq` is presumed lost — more than
   * (DupThresh − 1) · SMSS bytes above it are SACKed, or at least DupThresh discontiguous
   * SACKed ranges lie above it (DupThresh = 3).
   *
   * @param seq The sequence number.
   * @param mss The sender maximum segment size (SMSS), in bytes.
   */
  isLost(seq: number, mss: number): boolean {
    return seqDiff(seq, this.#base) < this.#lossBoundary(mss);
  }

  /**
   * RFC 6675 §4 NextSeg(), rules (1) and (3): the next range to retransmit, or `undefined`.
   * Rule (2), sending new data, is the caller's: when the result has `lost: false` (rule
   * 3) the caller sends new data instead if it can.
   *
   * The result starts at the lowest unSACKed byte at or above `highRxt` that lies below
   * the highest SACKed byte, and runs for at most `mss` bytes, stopping before the next
   * SACKed range.
   *
   * @param sndUna SND.UNA.
   * @param sndNxt SND.NXT.
   * @param highRxt One past the highest byte retransmitted in this recovery (SND.UNA if none).
   * @param mss The sender maximum segment size (SMSS), in bytes.
   */
  nextSegment(
    sndUna: number,
    sndNxt: number,
    highRxt: number,
    mss: number,
  ): SackSegment | undefined {
    this.#advance(sndUna);
    const boundary = this.#lossBoundary(mss);
    const count = this.#count;
    if (count === 0) return undefined;
    const starts = this.#starts;
    const ends = this.#ends;
    // Lowest unSACKed offset at or above HighRxt; `next` is the first range above it.
    let s = Math.max(0, seqDiff(highRxt, sndUna));
    let next = 0;
    while (next < count) {
      if (ends[next]! <= s) {
        next++;
      } else if (starts[next]! <= s) {
        s = ends[next]!;
        next++;
      } else {
        break;
      }
    }
    // (1.b)/(3.b): only below the highest SACKed byte.
    if (next === count) return undefined;
    const end = Math.min(s + mss, starts[next]!, Math.max(0, seqDiff(sndNxt, sndUna)));
    if (end <= s) return undefined;
    return {
      start: seqAdd(sndUna, s),
      end: seqAdd(sndUna, end),
      lost: s < boundary, // (1.c) IsLost(S2)
    };
  }

  /**
   * RFC 6675 §4 SetPipe(): the bytes presumed in the network. Each unSACKed byte from
   * SND.UNA to SND.NXT counts once if it is not presumed lost (IsLost false), and once
   * more if it was retransmitted (below `highRxt`).
   *
   * @param sndUna SND.UNA.
   * @param sndNxt SND.NXT.
   * @param highRxt One past the highest byte retransmitted in this recovery (SND.UNA if none).
   * @param mss The sender maximum segment size (SMSS), in bytes.
   */
  pipe(sndUna: number, sndNxt: number, highRxt: number, mss: number): number {
    this.#advance(sndUna);
    const window = Math.max(0, seqDiff(sndNxt, sndUna));
    const lost = Math.min(window, Math.max(0, this.#lossBoundary(mss)));
    const retransmitted = Math.min(window, Math.max(0, seqDiff(highRxt, sndUna)));
    return (
      window -
      lost -
      this.#sackedIn(lost, window) +
      retransmitted -
      this.#sackedIn(0, retransmitted)
    );
  }

  /** Moves the base to `sndUna`: forgets ranges it passed, cuts the one it is inside. */
  #advance(sndUna: number): void {
    const delta = seqDiff(sndUna, this.#base);
    if (delta === 0) return;
    this.#base = sndUna >>> 0;
    const starts = this.#starts;
    const ends = this.#ends;
    let kept = 0;
    let sacked = 0;
    for (let i = 0; i < this.#count; i++) {
      const e = ends[i]! - delta;
      if (e <= 0) continue;
      const s = Math.max(0, starts[i]! - delta);
      starts[kept] = s;
      ends[kept] = e;
      sacked += e - s;
      kept++;
    }
    this.#count = kept;
    this.#sackedBytes = sacked;
  }

  /** Merges `[s, e)` (offsets, `0 <= s < e`) into the ranges; returns the bytes it added. */
  #insert(s: number, e: number): number {
    const starts = this.#starts;
    const ends = this.#ends;
    const count = this.#count;
    let first = 0;
    while (first < count && ends[first]! < s) first++;
    let last = first;
    while (last < count && starts[last]! <= e) last++;
    let mergedStart = s;
    let mergedEnd = e;
    let heldBefore = 0;
    if (first < last) {
      mergedStart = Math.min(s, starts[first]!);
      mergedEnd = Math.max(e, ends[last - 1]!);
      for (let i = first; i < last; i++) heldBefore += ends[i]! - starts[i]!;
    }
    const removed = last - first;
    if (removed !== 1) {
      starts.copyWithin(first + 1, last, count);
      ends.copyWithin(first + 1, last, count);
      this.#count = count + 1 - removed;
    }
    starts[first] = mergedStart;
    ends[first] = mergedEnd;
    const added = mergedEnd - mergedStart - heldBefore;
    this.#sackedBytes += added;
    if (this.#count > this.maxBlocks) {
      // Bounded memory: forget the lowest range (its bytes count as unSACKed again).
      this.#sackedBytes -= ends[0]! - starts[0]!;
      starts.copyWithin(0, 1, this.#count);
      ends.copyWithin(0, 1, this.#count);
      this.#count--;
    }
    return added;
  }

  /**
   * RFC 6675 §4 IsLost as a boundary: offsets below the returned one are presumed lost,
   * those at or above it are not (IsLost only turns false as the sequence number grows).
   */
  #lossBoundary(mss: number): number {
    if (!Number.isInteger(mss) || mss < 1) {
      throw new TcpError('EINVAL', `mss must be a positive integer, got ${mss}`);
    }
    const count = this.#count;
    const starts = this.#starts;
    const ends = this.#ends;
    // DupThresh discontiguous ranges with a byte above `seq`: seq < end[n − 3] − 1.
    let boundary = count >= DUP_THRESH ? ends[count - DUP_THRESH]! - 1 : Number.NEGATIVE_INFINITY;
    // More than (DupThresh − 1) · SMSS SACKed bytes above `seq`.
    const limit = (DUP_THRESH - 1) * mss;
    let above = 0;
    for (let i = count - 1; i >= 0; i--) {
      const length = ends[i]! - starts[i]!;
      if (above + length > limit) {
        boundary = Math.max(boundary, ends[i]! - (limit - above) - 1);
        break;
      }
      above += length;
    }
    return boundary;
  }

  /** SACKed bytes within offsets `[a, b)`. */
  #sackedIn(a: number, b: number): number {
    let total = 0;
    for (let i = 0; i < this.#count; i++) {
      const s = Math.max(a, this.#starts[i]!);
      const e = Math.min(b, this.#ends[i]!);
      if (e > s) total += e - s;
    }
    return total;
  }
}
