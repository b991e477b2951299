/**
 * Barrel of the TCP layer.
 */

export { ChallengeAckLimiter } from './challenge-ack-limiter.js';
export {
  type CongestionControl,
  type CongestionControlFactory,
  type CongestionEvent,
  INITIAL_SSTHRESH,
  initialWindow,
  LossBasedCongestionControl,
  type RecoveryMode,
} from './congestion-control.js';
export { Cubic, cubic } from './cubic.js';
export { IsnGenerator } from './isn.js';
export { NewReno, newReno } from './new-reno.js';
export { ReceiveBuffer, type ReceiveBufferOptions } from './receive-buffer.js';
export { RtoEstimator, type RtoEstimatorOptions } from './rto.js';
export {
  SackScoreboard,
  type SackScoreboardOptions,
  type SackSegment,
} from './sack-scoreboard.js';
export { type BufferGrowthOptions, SendBuffer } from './send-buffer.js';
export {
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  seqMax,
  seqMin,
} from './seq.js';
export { SipHash24, type SipHashTag, siphash24 } from './siphash.js';
export { SynCookies } from './syn-cookie.js';
export { segmentAcceptable } from './tcp-acceptability.js';
export { TcpConnection } from './tcp-connection.js';
export {
  TcpConnectRequest,
  type TcpInterceptOptions,
  TcpInterceptor,
} from './tcp-interceptor.js';
export {
  type TcpConnectOptions,
  type TcpIsnSource,
  TcpLayer,
  type TcpLayerOptions,
} from './tcp-layer.js';
export { TcpListener, type TcpListenOptions } from './tcp-listener.js';
export { clampPeerMss, TCP_DEFAULT_MSS, TCP_MIN_MSS, windowScaleFor } from './tcp-negotiation.js';
export {
  emitTcpOptions,
  parseTcpOptions,
  TCP_MAX_OPTIONS_LENGTH,
  TCP_MAX_WINDOW_SCALE,
  type TcpOptions,
  type TcpSackBlock,
  tcpMaxSackBlocks,
  tcpOptionsLength,
} from './tcp-options.js';
export type { TcpOutput, TcpRoute } from './tcp-output.js';
export { resetReplyFor, type TcpResetReply } from './tcp-reset.js';
export {
  emitTcpRepr,
  parseTcpRepr,
  TCP_MIN_HEADER_LENGTH,
  TcpFlags,
  type TcpRepr,
  TcpSegment,
  type TcpWireError,
  tcpReprHeaderLength,
} from './tcp-segment.js';
export type { TcpStats } from './tcp-stats.js';
export {
  TcpError,
  type TcpErrorCode,
  type TcpState,
  type TcpStream,
} from './tcp-stream.js';
export {
  type TcpWebStreams,
  type TcpWebStreamsOptions,
  toWebStreams,
  type WebPipeOptions,
  type WebReadableStream,
  type WebStreamReader,
  type WebStreamWriter,
  type WebWritableStream,
} from './web-streams.js';
