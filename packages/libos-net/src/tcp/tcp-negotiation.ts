/**
 * SYN option negotiation helpers: the MSS clamp (RFC 9293 §3.7.1) and the window scale
 * a receive buffer needs (RFC 7323 §2).
 */
import { TCP_MAX_WINDOW_SCALE } from './tcp-options.js';

/** RFC 9293 §3.7.1: the MSS assumed when a SYN carries no MSS option (576 − 40). */
export const TCP_DEFAULT_MSS = 536;
/** Smallest MSS accepted from a peer; smaller values are raised to it (Linux TCP_MIN_MSS). */
export const TCP_MIN_MSS = 88;

/**
 * The send MSS for a peer's MSS option: 536 when absent (RFC 9293 §3.7.1), raised to
 * {@link TCP_MIN_MSS} when absurdly small, and never above what our route carries
 * (`mtu − 40`).
 *
 * @param option The peer's MSS option (undefined when absent; MSS 0 is dropped by the parser).
 * @param routeMss Our largest segment payload on the route: MTU − 40.
 * @returns Bytes of payload per segment, before TCP options.
 *
 * @example
 * ```ts
 * import { clampPeerMss } from '@libos/net';
 * clampPeerMss(undefined, 1460); // 536
 * clampPeerMss(1, 1460);         // 88
 * clampPeerMss(9000, 1460);      // 1460
 * ```
 */
export function clampPeerMss(option: number | undefined, routeMss: number): number {
  const peer = option === undefined ? TCP_DEFAULT_MSS : Math.max(option, TCP_MIN_MSS);
  return Math.max(TCP_MIN_MSS, Math.min(peer, routeMss));
}

/**
 * The smallest window-scale shift that lets the 16-bit window field cover `capacity`
 * bytes, at most 14 (RFC 7323 §2.3).
 *
 * @param capacity Receive buffer size in bytes.
 * @returns Shift count 0..14.
 *
 * @example
 * ```ts
 * import { windowScaleFor } from '@libos/net';
 * windowScaleFor(65535);  // 0
 * windowScaleFor(262144); // 3
 * ```
 */
export function windowScaleFor(capacity: number): number {
  let shift = 0;
  while (shift < TCP_MAX_WINDOW_SCALE && capacity / 2 ** shift > 0xffff) shift++;
  return shift;
}
