/**
 * Why a frame port closed abnormally or refused to open:
 * - `FRAME_TOO_LONG` — the peer announced a frame longer than the port accepts (the
 *   stream is out of sync or hostile; the port closes);
 * - `TRUNCATED_FRAME` — the peer closed the stream in the middle of a frame;
 * - `SOCKET_ERROR` — the operating system reported an error on the socket;
 * - `ACCEPT_TIMEOUT` — no peer connected to a listener in time;
 * - `CLOSED` — the port or listener was closed while an operation was pending;
 * - `BAD_OPTION` — invalid options to a factory.
 *
 * @example
 * ```ts
 * import type { FramePortErrorCode } from '@libos/net/node';
 * const code: FramePortErrorCode = 'FRAME_TOO_LONG';
 * ```
 */
export type FramePortErrorCode =
  | 'FRAME_TOO_LONG'
  | 'TRUNCATED_FRAME'
  | 'SOCKET_ERROR'
  | 'ACCEPT_TIMEOUT'
  | 'CLOSED'
  | 'BAD_OPTION';

/**
 * A failure of a host frame port ({@link StreamFramePort}, {@link DgramFramePort}) or of
 * a {@link StreamFrameListener}.
 *
 * @example
 * ```ts
 * import { FramePortError } from '@libos/net/node';
 * await port.closed;
 * if (port.error instanceof FramePortError) console.log(port.error.code, port.error.message);
 * ```
 */
export class FramePortError extends Error {
  /** Stable reason code. */
  readonly code: FramePortErrorCode;

  /**
   * @param code - stable reason
   * @param message - detail
   * @param cause - the underlying error, if any
   */
  constructor(code: FramePortErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FramePortError';
    this.code = code;
  }
}
