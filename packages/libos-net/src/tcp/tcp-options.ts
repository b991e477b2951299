/**
 * The TCP options area (RFC 9293 §3.2 "Specific Option Definitions"): parsing untrusted
 * options into a {@link TcpOptions} value and emitting one in the layout Linux uses.
 *
 * Supported kinds: End of Option List (0), No-Operation (1), Maximum Segment Size (2,
 * RFC 9293 §3.2), Window Scale (3, RFC 7323 §2), SACK-Permitted (4, RFC 2018 §2), SACK
 * (5, RFC 2018 §3) and Timestamps (8, RFC 7323 §3). Other kinds are skipped by their
 * length byte.
 */
import { readU16, readU32, writeU16, writeU32 } from '../wire/bytes.js';
import { requireSpace, requireUint, WireFormatError } from '../wire/wire-error.js';

/** Option kinds (IANA "TCP Option Kind Numbers"). */
const Kind = {
  END_OF_LIST: 0,
  NO_OPERATION: 1,
  MSS: 2,
  WINDOW_SCALE: 3,
  SACK_PERMITTED: 4,
  SACK: 5,
  TIMESTAMPS: 8,
} as const;

/** Option lengths in bytes, counting the kind and length bytes. */
const Length = {
  MSS: 4, // RFC 9293 §3.2
  WINDOW_SCALE: 3, // RFC 7323 §2.2
  SACK_PERMITTED: 2, // RFC 2018 §2
  SACK_BASE: 2, // RFC 2018 §3: 2 + 8 per block
  SACK_BLOCK: 8,
  TIMESTAMPS: 10, // RFC 7323 §3.2
} as const;

/**
 * The largest window shift a receiver honours (RFC 7323 §2.3: "If a Window Scale option
 * is received with a shift.cnt value larger than 14, the TCP SHOULD log the error but
 * MUST use 14 instead").
 *
 * @example
 * ```ts
 * import { TCP_MAX_WINDOW_SCALE } from '@libos/net';
 * const maxWindow = 0xffff * 2 ** TCP_MAX_WINDOW_SCALE; // just under 1 GiB
 * ```
 */
export const TCP_MAX_WINDOW_SCALE = 14;

/**
 * The largest TCP options area: a data offset of 15 words minus the 20-byte fixed header
 * (RFC 9293 §3.1).
 *
 * @example
 * ```ts
 * import { TCP_MAX_OPTIONS_LENGTH } from '@libos/net';
 * const maxHeader = 20 + TCP_MAX_OPTIONS_LENGTH; // 60
 * ```
 */
export const TCP_MAX_OPTIONS_LENGTH = 40;

/**
 * One SACK block (RFC 2018 §3): the received bytes `start..end-1`, as sequence numbers
 * (`end` is the sequence number just after the block).
 *
 * @example
 * ```ts
 * import type { TcpSackBlock } from '@libos/net';
 * const block: TcpSackBlock = { start: 1000, end: 2460 };
 * ```
 */
export interface TcpSackBlock {
  /** Sequence number of the first byte of the block (RFC 2018 §3 "Left Edge"). */
  readonly start: number;
  /** Sequence number just after the last byte of the block (RFC 2018 §3 "Right Edge"). */
  readonly end: number;
}

/**
 * The options of one TCP segment; a missing property means the option is absent.
 *
 * @example
 * ```ts
 * import type { TcpOptions } from '@libos/net';
 * const syn: TcpOptions = {
 *   mss: 1460,
 *   sackPermitted: true,
 *   timestamps: { value: 1, echo: 0 },
 *   windowScale: 7,
 * };
 * ```
 */
export interface TcpOptions {
  /** Maximum Segment Size the sender can receive (RFC 9293 §3.2), `1..65535`. */
  readonly mss?: number;
  /** Window shift count (RFC 7323 §2), `0..14`. */
  readonly windowScale?: number;
  /** SACK-Permitted (RFC 2018 §2); only `true` is meaningful. */
  readonly sackPermitted?: boolean;
  /** Timestamps (RFC 7323 §3): TSval and TSecr, each a uint32. */
  readonly timestamps?: {
    /** TSval, the sender's timestamp clock. */
    readonly value: number;
    /** TSecr, the most recent TSval received from the peer. */
    readonly echo: number;
  };
  /** SACK blocks (RFC 2018 §3), 1 to 4 of them; omit rather than pass an empty array. */
  readonly sackBlocks?: readonly TcpSackBlock[];
}

/** The value returned for an empty options area, shared to avoid an allocation. */
const NO_OPTIONS: TcpOptions = Object.freeze({});

/**
 * Parses an untrusted TCP options area (RFC 9293 §3.2, §3.1 "Options").
 *
 * - End of Option List stops parsing (the rest is padding); No-Operation is skipped.
 * - Every other option needs a length byte of at least 2 that stays within the area;
 *   length 0 or 1, or an option running past the end, makes the area `'malformed'`
 *   (RFC 9293 §3.2: "MUST be prepared to handle an illegal option length").
 * - A known option whose length differs from its fixed size — or a SACK option whose
 *   length is not 2 + 8n with n ≥ 1 — is `'malformed'`.
 * - An MSS of 0 is ignored (left out); a window scale above 14 is read as 14
 *   (RFC 7323 §2.3). Unknown kinds are skipped. When an option repeats, the last wins.
 *
 * @param bytes The options area, e.g. {@link TcpSegment.options}.
 * @returns The options, or `'malformed'`.
 * @example
 * ```ts
 * import { parseTcpOptions } from '@libos/net';
 * // MSS 1460, NOP, Window Scale 7
 * parseTcpOptions(new Uint8Array([2, 4, 0x05, 0xb4, 1, 3, 3, 7])); // { mss: 1460, windowScale: 7 }
 * parseTcpOptions(new Uint8Array([2, 0])); // 'malformed'
 * ```
 */
export function parseTcpOptions(bytes: Uint8Array): TcpOptions | 'malformed' {
  const length = bytes.length;
  let mss: number | undefined;
  let windowScale: number | undefined;
  let sackPermitted = false;
  let tsValue = 0;
  let tsEcho = 0;
  let hasTimestamps = false;
  let sackBlocks: TcpSackBlock[] | undefined;
  let i = 0;
  // Each step advances by at least one byte, so the loop runs at most `length` times.
  while (i < length) {
    const kind = bytes[i]!;
    if (kind === Kind.END_OF_LIST) break;
    if (kind === Kind.NO_OPERATION) {
      i += 1;
      continue;
    }
    if (i + 1 >= length) return 'malformed';
    const optionLength = bytes[i + 1]!;
    if (optionLength < 2 || i + optionLength > length) return 'malformed';
    switch (kind) {
      case Kind.MSS: {
        if (optionLength !== Length.MSS) return 'malformed';
        const value = readU16(bytes, i + 2);
        mss = value === 0 ? undefined : value;
        break;
      }
      case Kind.WINDOW_SCALE:
        if (optionLength !== Length.WINDOW_SCALE) return 'malformed';
        windowScale = Math.min(bytes[i + 2]!, TCP_MAX_WINDOW_SCALE);
        break;
      case Kind.SACK_PERMITTED:
        if (optionLength !== Length.SACK_PERMITTED) return 'malformed';
        sackPermitted = true;
        break;
      case Kind.SACK: {
        const blockBytes = optionLength - Length.SACK_BASE;
        if (blockBytes === 0 || blockBytes % Length.SACK_BLOCK !== 0) return 'malformed';
        sackBlocks = [];
        for (let at = i + Length.SACK_BASE; at < i + optionLength; at += Length.SACK_BLOCK) {
          sackBlocks.push({ start: readU32(bytes, at), end: readU32(bytes, at + 4) });
        }
        break;
      }
      case Kind.TIMESTAMPS:
        if (optionLength !== Length.TIMESTAMPS) return 'malformed';
        hasTimestamps = true;
        tsValue = readU32(bytes, i + 2);
        tsEcho = readU32(bytes, i + 6);
        break;
      default:
        break; // unknown kind: skipped by its length (RFC 9293 §3.2)
    }
    i += optionLength;
  }
  if (
    mss === undefined &&
    windowScale === undefined &&
    !sackPermitted &&
    !hasTimestamps &&
    sackBlocks === undefined
  ) {
    return NO_OPTIONS;
  }
  const result: {
    mss?: number;
    windowScale?: number;
    sackPermitted?: boolean;
    timestamps?: { readonly value: number; readonly echo: number };
    sackBlocks?: readonly TcpSackBlock[];
  } = {};
  if (mss !== undefined) result.mss = mss;
  if (windowScale !== undefined) result.windowScale = windowScale;
  if (sackPermitted) result.sackPermitted = true;
  if (hasTimestamps) result.timestamps = { value: tsValue, echo: tsEcho };
  if (sackBlocks !== undefined) result.sackBlocks = sackBlocks;
  return result;
}

/** Bytes the SACK-Permitted and Timestamps options take together, padding included. */
function sackPermittedAndTimestampsLength(options: TcpOptions): number {
  const sackPermitted = options.sackPermitted === true;
  if (options.timestamps !== undefined) return 12; // [SACK-Permitted | NOP NOP] + Timestamps
  return sackPermitted ? 4 : 0; // NOP NOP SACK-Permitted
}

/**
 * How many SACK blocks fit in the options area next to the other options in `options`
 * (its own `sackBlocks` are not counted): 4 without other options, 3 with Timestamps,
 * as RFC 2018 §3 notes.
 *
 * @param options The options to be sent with the blocks.
 * @example
 * ```ts
 * import { tcpMaxSackBlocks } from '@libos/net';
 * tcpMaxSackBlocks({ timestamps: { value: 1, echo: 2 } }); // 3
 * ```
 */
export function tcpMaxSackBlocks(options: TcpOptions): number {
  const others =
    (options.mss !== undefined ? 4 : 0) +
    (options.windowScale !== undefined ? 4 : 0) +
    sackPermittedAndTimestampsLength(options);
  const room = TCP_MAX_OPTIONS_LENGTH - others - 2 - Length.SACK_BASE; // NOP NOP SACK
  return Math.max(0, Math.min(4, Math.floor(room / Length.SACK_BLOCK)));
}

/**
 * Bytes {@link emitTcpOptions} writes for `options`: a multiple of 4, at most 40.
 *
 * @param options The options to emit.
 * @throws {@link WireFormatError} `EINVAL` when they do not fit in 40 bytes (too many
 *   SACK blocks; see {@link tcpMaxSackBlocks}).
 * @example
 * ```ts
 * import { tcpOptionsLength } from '@libos/net';
 * tcpOptionsLength({ mss: 1460, sackPermitted: true, timestamps: { value: 1, echo: 0 }, windowScale: 7 }); // 20
 * ```
 */
export function tcpOptionsLength(options: TcpOptions): number {
  let length = sackPermittedAndTimestampsLength(options);
  if (options.mss !== undefined) length += 4; // MSS
  if (options.windowScale !== undefined) length += 4; // NOP + Window Scale
  const blocks = options.sackBlocks?.length ?? 0;
  if (blocks > 0) length += 2 + Length.SACK_BASE + blocks * Length.SACK_BLOCK; // NOP NOP SACK
  if (length > TCP_MAX_OPTIONS_LENGTH) {
    throw new WireFormatError(
      'EINVAL',
      `TCP options need ${length} bytes, more than ${TCP_MAX_OPTIONS_LENGTH}`,
    );
  }
  return length;
}

/**
 * Writes `options` at the start of `buffer` in the order and padding Linux uses: MSS;
 * SACK-Permitted + Timestamps (NOPs in place of whichever is absent); NOP + Window
 * Scale; NOP NOP + SACK. Every option stays 4-byte aligned, so the result needs no
 * trailing padding.
 *
 * @param options The options; `mss` must be `1..65535`, `windowScale` `0..14`, the
 *   timestamps and SACK edges uint32s.
 * @param buffer Destination, at least {@link tcpOptionsLength} bytes.
 * @returns The bytes written, equal to {@link tcpOptionsLength}.
 * @throws {@link WireFormatError} `EINVAL` for a value out of range or options over 40
 *   bytes, `ENOSPC` when `buffer` is too short.
 * @example
 * ```ts
 * import { emitTcpOptions } from '@libos/net';
 * const buffer = new Uint8Array(8);
 * emitTcpOptions({ mss: 1460, windowScale: 7 }, buffer); // 8: 02 04 05 b4 01 03 03 07
 * ```
 */
export function emitTcpOptions(options: TcpOptions, buffer: Uint8Array): number {
  const length = tcpOptionsLength(options);
  requireValidOptions(options);
  requireSpace(buffer, length, 'TCP options');
  let i = 0;
  if (options.mss !== undefined) {
    buffer[i] = Kind.MSS;
    buffer[i + 1] = Length.MSS;
    writeU16(buffer, i + 2, options.mss);
    i += 4;
  }
  const sackPermitted = options.sackPermitted === true;
  const timestamps = options.timestamps;
  if (timestamps !== undefined) {
    if (sackPermitted) {
      buffer[i] = Kind.SACK_PERMITTED;
      buffer[i + 1] = Length.SACK_PERMITTED;
    } else {
      buffer[i] = Kind.NO_OPERATION;
      buffer[i + 1] = Kind.NO_OPERATION;
    }
    buffer[i + 2] = Kind.TIMESTAMPS;
    buffer[i + 3] = Length.TIMESTAMPS;
    writeU32(buffer, i + 4, timestamps.value);
    writeU32(buffer, i + 8, timestamps.echo);
    i += 12;
  } else if (sackPermitted) {
    buffer[i] = Kind.NO_OPERATION;
    buffer[i + 1] = Kind.NO_OPERATION;
    buffer[i + 2] = Kind.SACK_PERMITTED;
    buffer[i + 3] = Length.SACK_PERMITTED;
    i += 4;
  }
  if (options.windowScale !== undefined) {
    buffer[i] = Kind.NO_OPERATION;
    buffer[i + 1] = Kind.WINDOW_SCALE;
    buffer[i + 2] = Length.WINDOW_SCALE;
    buffer[i + 3] = options.windowScale;
    i += 4;
  }
  const blocks = options.sackBlocks;
  if (blocks !== undefined && blocks.length > 0) {
    buffer[i] = Kind.NO_OPERATION;
    buffer[i + 1] = Kind.NO_OPERATION;
    buffer[i + 2] = Kind.SACK;
    buffer[i + 3] = Length.SACK_BASE + blocks.length * Length.SACK_BLOCK;
    i += 4;
    for (const block of blocks) {
      writeU32(buffer, i, block.start);
      writeU32(buffer, i + 4, block.end);
      i += Length.SACK_BLOCK;
    }
  }
  return i;
}

/** Throws `EINVAL` unless every value in `options` fits its field; writes nothing. */
function requireValidOptions(options: TcpOptions): void {
  if (options.mss !== undefined) {
    // RFC 9293 §3.2: an MSS of 0 carries no meaning, receivers ignore it.
    if (options.mss === 0) throw new WireFormatError('EINVAL', 'TCP MSS must be at least 1');
    requireUint(options.mss, 0xffff, 'TCP MSS');
  }
  if (options.windowScale !== undefined) {
    requireUint(options.windowScale, TCP_MAX_WINDOW_SCALE, 'TCP window scale');
  }
  if (options.timestamps !== undefined) {
    requireUint(options.timestamps.value, 0xffff_ffff, 'TCP TSval');
    requireUint(options.timestamps.echo, 0xffff_ffff, 'TCP TSecr');
  }
  const blocks = options.sackBlocks;
  if (blocks !== undefined) {
    for (const block of blocks) {
      requireUint(block.start, 0xffff_ffff, 'TCP SACK left edge');
      requireUint(block.end, 0xffff_ffff, 'TCP SACK right edge');
    }
  }
}
