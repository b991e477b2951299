/**
 * The typed error a {@link DnsResolver} rejects with, using Node-like (c-ares) codes.
 */

/**
 * Why a resolution failed:
 * - `ENOTFOUND`: NXDOMAIN, the name does not exist,
 * - `ENODATA`: the name exists but has no record of the type (NOERROR, no answer),
 * - `ETIMEOUT`: no answer after every attempt,
 * - `ESERVFAIL`, `EREFUSED`, `EFORMERR`, `ENOTIMP`: the server's response code,
 * - `EBADRESP`: a malformed answer (e.g. a CNAME loop or an over-long chain),
 * - `ETRUNCATED`: the response had TC set and no complete answer (no TCP fallback yet),
 * - `EBADNAME`: the name is not a valid domain name,
 * - `ECONNREFUSED`: no DNS server is configured.
 *
 * @example
 * ```ts
 * import type { DnsErrorCode } from '@libos/net';
 * const code: DnsErrorCode = 'ENOTFOUND';
 * ```
 */
export type DnsErrorCode =
  | 'ENOTFOUND'
  | 'ENODATA'
  | 'ETIMEOUT'
  | 'ESERVFAIL'
  | 'EREFUSED'
  | 'EFORMERR'
  | 'ENOTIMP'
  | 'EBADRESP'
  | 'ETRUNCATED'
  | 'EBADNAME'
  | 'ECONNREFUSED';

/**
 * A failed DNS resolution.
 *
 * @example
 * ```ts
 * import { DnsError } from '@libos/net';
 * resolver.resolve('nope.example', 'A', now).catch((e) => {
 *   if (e instanceof DnsError && e.code === 'ENOTFOUND') console.log('no such host', e.hostname);
 * });
 * ```
 */
export class DnsError extends Error {
  /**
   * @param code Stable error code.
   * @param hostname The name that was being resolved.
   * @param message What went wrong.
   */
  constructor(
    readonly code: DnsErrorCode,
    readonly hostname: string,
    message: string,
  ) {
    super(`${code} ${hostname}: ${message}`);
    this.name = 'DnsError';
  }
}
