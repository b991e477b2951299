/**
 * The reset a TCP sends in reply to a segment that belongs to no connection
 * (RFC 9293 §3.10.7.1) or carries an unacceptable ACK in a non-synchronized state.
 */
import { seqAdd } from './seq.js';
import { TcpFlags } from './tcp-segment.js';

/**
 * The fields of a reset reply.
 *
 * @example
 * ```ts
 * import type { TcpResetReply } from '@libos/net';
 * const reply: TcpResetReply = { sequenceNumber: 0, acknowledgmentNumber: 1001, flags: 0x14 };
 * ```
 */
export interface TcpResetReply {
  /** SEQ of the RST. */
  readonly sequenceNumber: number;
  /** ACK of the RST (0 when the ACK flag is clear). */
  readonly acknowledgmentNumber: number;
  /** RST, or RST|ACK. */
  readonly flags: number;
}

/**
 * The RST to send for an offending segment, or undefined when the segment is itself a
 * RST (never answer a reset). RFC 9293 §3.10.7.1: if the ACK bit is off, send
 * `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`; otherwise `<SEQ=SEG.ACK><CTL=RST>`.
 *
 * @param flags The offending segment's control bits.
 * @param seq Its SEG.SEQ.
 * @param ack Its SEG.ACK.
 * @param payloadLength Its data length (SYN and FIN are added from `flags`).
 *
 * @example
 * ```ts
 * import { resetReplyFor, TcpFlags } from '@libos/net';
 * resetReplyFor(TcpFlags.SYN, 1000, 0, 0); // { sequenceNumber: 0, acknowledgmentNumber: 1001, flags: RST|ACK }
 * ```
 */
export function resetReplyFor(
  flags: number,
  seq: number,
  ack: number,
  payloadLength: number,
): TcpResetReply | undefined {
  if ((flags & TcpFlags.RST) !== 0) return undefined;
  if ((flags & TcpFlags.ACK) !== 0) {
    return { sequenceNumber: ack, acknowledgmentNumber: 0, flags: TcpFlags.RST };
  }
  const length =
    payloadLength + ((flags & TcpFlags.SYN) !== 0 ? 1 : 0) + ((flags & TcpFlags.FIN) !== 0 ? 1 : 0);
  return {
    sequenceNumber: 0,
    acknowledgmentNumber: seqAdd(seq, length),
    flags: TcpFlags.RST | TcpFlags.ACK,
  };
}
