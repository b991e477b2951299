/**
 * The segment acceptability test of RFC 9293 §3.10.7.4 ("first, check sequence number").
 */
import { seqAdd, seqInWindow } from './seq.js';

/**
 * Whether a segment occupying `length` sequence numbers (payload + SYN + FIN) starting
 * at `seq` is acceptable to a receiver expecting `rcvNxt` with a `rcvWnd`-byte window.
 * All comparisons are mod 2^32. RFC 9293 §3.10.7.4:
 *
 * ```text
 *  length  window  test
 *  0       0       SEG.SEQ = RCV.NXT
 *  0       >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *  >0      0       not acceptable
 *  >0      >0      RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *               or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 * ```
 *
 * @param seq SEG.SEQ.
 * @param length SEG.LEN.
 * @param rcvNxt RCV.NXT.
 * @param rcvWnd RCV.WND in bytes (already scaled).
 * @returns true when the segment passes the test.
 *
 * @example
 * ```ts
 * import { segmentAcceptable } from '@libos/net';
 * segmentAcceptable(1000, 0, 1000, 0); // true: an empty segment at RCV.NXT
 * segmentAcceptable(999, 10, 1000, 0); // false: data into a zero window
 * ```
 */
export function segmentAcceptable(
  seq: number,
  length: number,
  rcvNxt: number,
  rcvWnd: number,
): boolean {
  if (length === 0) {
    return rcvWnd === 0 ? seq === rcvNxt : seqInWindow(seq, rcvNxt, rcvWnd);
  }
  if (rcvWnd === 0) return false;
  return seqInWindow(seq, rcvNxt, rcvWnd) || seqInWindow(seqAdd(seq, length - 1), rcvNxt, rcvWnd);
}
