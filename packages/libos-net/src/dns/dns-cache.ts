/**
 * The resolver's bounded TTL cache of answers and negative answers (RFC 1035 §7.4,
 * RFC 2308). Internal: not part of the public API.
 */

import type { Micros } from '@libos/sched';
import type { DnsAnswer } from './dns-answer.js';
import type { DnsErrorCode } from './dns-error.js';

/** A cached outcome: an answer, or a negative result (NXDOMAIN / NODATA). */
export type DnsCacheValue =
  | { readonly answer: DnsAnswer }
  | { readonly negative: Extract<DnsErrorCode, 'ENOTFOUND' | 'ENODATA'> };

interface Entry {
  readonly value: DnsCacheValue;
  readonly storedAt: Micros;
  readonly expiresAt: Micros;
}

/** A least-recently-used map with per-entry expiry and a fixed maximum size. */
export class DnsCache {
  readonly #entries = new Map<string, Entry>();

  /** @param capacity Maximum entries kept; 0 disables caching. */
  constructor(readonly capacity: number) {}

  /** Number of entries (some may have expired). */
  get size(): number {
    return this.#entries.size;
  }

  /** The live entry for `key` with its age in whole seconds, refreshed as most recent. */
  get(key: string, now: Micros): { value: DnsCacheValue; ageSeconds: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (now >= entry.expiresAt) return undefined;
    this.#entries.set(key, entry);
    return { value: entry.value, ageSeconds: Math.floor((now - entry.storedAt) / 1_000_000) };
  }

  /** Stores `value` for `ttlSeconds` (nothing for a TTL of 0), evicting the oldest. */
  set(key: string, value: DnsCacheValue, ttlSeconds: number, now: Micros): void {
    if (this.capacity <= 0 || ttlSeconds <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, storedAt: now, expiresAt: now + ttlSeconds * 1_000_000 });
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
