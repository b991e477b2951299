/**
 * Planning IPv4 fragmentation (RFC 791 §2.3 "Fragmentation", §3.2 "An Example
 * Fragmentation Procedure"): which slices of a payload go in which fragment.
 */

/** Largest IPv4 total length (RFC 791 §3.1 "Total Length" is 16 bits). */
const MAX_TOTAL_LENGTH = 65_535;
const MIN_HEADER_LENGTH = 20;
const MAX_HEADER_LENGTH = 60;

/**
 * Thrown by {@link planFragments}: `'EINVAL'` for arguments that allow no valid plan
 * (MTU leaves fewer than 8 data bytes, bad header length), `'EMSGSIZE'` when the datagram
 * would exceed 65535 bytes.
 *
 * @example
 * ```ts
 * import { FragmentationError, planFragments } from '@libos/net';
 * try { planFragments(100, 24); } catch (e) { if (e instanceof FragmentationError) console.log(e.code); }
 * ```
 */
export class FragmentationError extends Error {
  /** Stable error code. */
  readonly code: 'EINVAL' | 'EMSGSIZE';
  /**
   * @param code - the stable code
   * @param message - a human-readable explanation
   */
  constructor(code: 'EINVAL' | 'EMSGSIZE', message: string) {
    super(message);
    this.code = code;
    this.name = 'FragmentationError';
  }
}

/**
 * One fragment of a plan: payload bytes `[offset, offset + length)`, and whether the
 * More Fragments flag is set. The header's Fragment Offset field is `offset / 8`.
 *
 * @example
 * ```ts
 * import type { FragmentPlan } from '@libos/net';
 * const first: FragmentPlan = { offset: 0, length: 1480, more: true };
 * ```
 */
export interface FragmentPlan {
  /** Byte offset of this fragment's data in the original payload (a multiple of 8). */
  readonly offset: number;
  /** Data bytes in this fragment. */
  readonly length: number;
  /** The More Fragments flag: true on every fragment but the last. */
  readonly more: boolean;
}

/**
 * Splits a payload of `payloadLength` bytes into fragments that fit `mtu` with a header of
 * `headerLength` bytes (RFC 791 §3.2): every fragment but the last carries the largest
 * multiple of 8 that fits, the last carries the rest. A payload that fits whole yields one
 * plan `{ offset: 0, length: payloadLength, more: false }`.
 *
 * Returns a small array (one allocation per call; at most 8192 entries, ~45 for 64 KiB
 * over Ethernet) rather than an iterator: the stack needs the count up front anyway.
 * Options with the copy flag clear are not repeated in later fragments (RFC 791 §3.1), so
 * their header may be shorter; planning with the first fragment's header length is
 * conservative and always valid.
 *
 * @param payloadLength - bytes after the IPv4 header
 * @param mtu - the link MTU (largest IPv4 datagram, header included)
 * @param headerLength - IPv4 header length in bytes, 20..60, a multiple of 4; default 20
 * @throws {@link FragmentationError} `'EINVAL'` if `mtu - headerLength < 8` or an argument
 * is malformed; `'EMSGSIZE'` if `headerLength + payloadLength > 65535`
 * @example
 * ```ts
 * import { planFragments } from '@libos/net';
 * planFragments(4000, 1500);
 * // [{ offset: 0, length: 1480, more: true }, { offset: 1480, length: 1480, more: true },
 * //  { offset: 2960, length: 1040, more: false }]
 * ```
 */
export function planFragments(
  payloadLength: number,
  mtu: number,
  headerLength = MIN_HEADER_LENGTH,
): FragmentPlan[] {
  if (
    !Number.isInteger(headerLength) ||
    headerLength < MIN_HEADER_LENGTH ||
    headerLength > MAX_HEADER_LENGTH ||
    headerLength % 4 !== 0
  ) {
    throw new FragmentationError('EINVAL', `bad IPv4 header length ${headerLength}`);
  }
  if (!Number.isInteger(payloadLength) || payloadLength < 0) {
    throw new FragmentationError('EINVAL', `bad payload length ${payloadLength}`);
  }
  if (!Number.isInteger(mtu) || mtu - headerLength < 8) {
    // RFC 791 §3.2: each fragment must carry at least one 8-byte block of data.
    throw new FragmentationError(
      'EINVAL',
      `MTU ${mtu} leaves fewer than 8 data bytes after a ${headerLength}-byte header`,
    );
  }
  if (headerLength + payloadLength > MAX_TOTAL_LENGTH) {
    throw new FragmentationError(
      'EMSGSIZE',
      `datagram of ${headerLength + payloadLength} bytes exceeds 65535`,
    );
  }
  if (headerLength + payloadLength <= mtu) {
    return [{ offset: 0, length: payloadLength, more: false }];
  }
  // RFC 791 §3.2: NFB = (MTU - IHL*4) / 8, the data blocks a non-last fragment carries.
  const blockBytes = ((mtu - headerLength) >>> 3) << 3;
  const plans: FragmentPlan[] = [];
  let offset = 0;
  while (payloadLength - offset > blockBytes) {
    plans.push({ offset, length: blockBytes, more: true });
    offset += blockBytes;
  }
  plans.push({ offset, length: payloadLength - offset, more: false });
  return plans;
}
