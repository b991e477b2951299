/**
 * Maps a host bind failure (`listen` / `bind` errors from node:net and node:dgram) to a
 * one-line {@link UserNetworkError}.
 */
import type { BoundHostForward } from './host-forward.js';
import { UserNetworkError } from './user-network-error.js';

/**
 * The {@link UserNetworkError} for a failed host bind of `rule`.
 *
 * @param error What node reported.
 * @param rule The forward being bound (its host port as requested).
 * @example
 * ```ts
 * server.once('error', (e) => reject(bindError(e, rule)));
 * ```
 */
export function bindError(error: unknown, rule: BoundHostForward): UserNetworkError {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${rule.protocol} forward ${rule.hostAddress}:${rule.hostPort} -> guest port ${rule.guestPort}`;
  if (code === 'EADDRINUSE') {
    return new UserNetworkError(
      'EADDRINUSE',
      `host port ${rule.hostAddress}:${rule.hostPort} is already in use (${where})`,
    );
  }
  if (code === 'EACCES') {
    return new UserNetworkError(
      'EACCES',
      `not allowed to bind ${rule.hostAddress}:${rule.hostPort} (${where})`,
    );
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new UserNetworkError('EINVAL', `cannot bind ${where}: ${detail}`);
}
