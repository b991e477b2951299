/**
 * Where a stream frame port connects or listens: a unix socket `path`, or a TCP `port`
 * on `host` (default `127.0.0.1`; port 0 lets a listener pick one).
 *
 * @example
 * ```ts
 * import type { StreamAddress } from '@libos/net/node';
 * const unix: StreamAddress = { path: '/tmp/libos-net.sock' };
 * const tcp: StreamAddress = { port: 0 };
 * ```
 */
export type StreamAddress =
  | {
      /** Filesystem path of a unix domain socket. */
      readonly path: string;
    }
  | {
      /** TCP port (0: any free port, listeners only). */
      readonly port: number;
      /** IP address; default `127.0.0.1`. */
      readonly host?: string;
    };

/** The default TCP host: loopback only. */
export const DEFAULT_STREAM_HOST = '127.0.0.1';
