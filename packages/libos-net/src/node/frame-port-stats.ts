/**
 * Counters of a host frame port ({@link StreamFramePort}, {@link DgramFramePort}).
 * Every field only grows.
 *
 * @example
 * ```ts
 * import type { FramePortStats } from '@libos/net/node';
 * function lossy(s: FramePortStats): boolean { return s.receiveDropped > 0; }
 * ```
 */
export interface FramePortStats {
  /** Frames handed to the socket for sending. */
  framesTransmitted: number;
  /** Bytes of those frames (excluding any length prefix). */
  bytesTransmitted: number;
  /** `transmit` calls that returned false (back-pressure, bad length, closed port). */
  transmitRefused: number;
  /** Frames delivered to `receive` callers. */
  framesReceived: number;
  /** Bytes of those frames. */
  bytesReceived: number;
  /** Frames discarded because the receive queue was full. */
  receiveDropped: number;
  /** Frames discarded because they were shorter than an Ethernet header (14 bytes). */
  runts: number;
}

/** A fresh all-zero {@link FramePortStats}. */
export function zeroFramePortStats(): FramePortStats {
  return {
    framesTransmitted: 0,
    bytesTransmitted: 0,
    transmitRefused: 0,
    framesReceived: 0,
    bytesReceived: 0,
    receiveDropped: 0,
    runts: 0,
  };
}
