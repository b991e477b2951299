import { ArpCache, ArpCacheError } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const S = 1_000_000;
const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const mac = (last: number): Uint8Array => new Uint8Array([0x52, 0x54, 0, 0x12, 0x34, last]);

describe('ArpCache', () => {
  it('returns an inserted MAC until its lifetime ends, then forgets it', () => {
    const cache = new ArpCache({ entryLifetime: 60 * S });
    const gw = ip(10, 0, 2, 2);
    expect(cache.lookup(gw, 0)).toBeUndefined();
    cache.insert(gw, mac(2), 1_000);
    expect([...cache.lookup(gw, 1_000)!]).toEqual([...mac(2)]);
    expect(cache.lookup(gw, 1_000 + 60 * S - 1)).toBeDefined();
    expect(cache.lookup(gw, 1_000 + 60 * S)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('copies the MAC on insert', () => {
    const cache = new ArpCache();
    const bytes = mac(7);
    cache.insert(1, bytes, 0);
    bytes[5] = 99;
    expect(cache.lookup(1, 0)![5]).toBe(7);
  });

  it('lookups refresh recency but not lifetime', () => {
    const cache = new ArpCache({ capacity: 2, entryLifetime: 10 * S });
    cache.insert(1, mac(1), 0);
    cache.insert(2, mac(2), 0);
    expect(cache.lookup(1, 9 * S)).toBeDefined(); // 1 is now most recently used
    cache.insert(3, mac(3), 9 * S); // evicts 2, the least recently used
    expect(cache.lookup(2, 9 * S)).toBeUndefined();
    expect(cache.lookup(1, 9 * S)).toBeDefined();
    expect(cache.lookup(1, 10 * S)).toBeUndefined(); // lifetime counted from the insert
  });

  it('update refreshes only existing entries (RFC 826 merge flag)', () => {
    const cache = new ArpCache({ entryLifetime: 10 * S });
    expect(cache.update(5, mac(5), 0)).toBe(false);
    expect(cache.size).toBe(0);
    cache.insert(5, mac(5), 0);
    expect(cache.update(5, mac(6), 8 * S)).toBe(true);
    expect(cache.lookup(5, 17 * S)![5]).toBe(6);
  });

  it('remove, clear and entries', () => {
    const cache = new ArpCache();
    cache.insert(1, mac(1), 0);
    cache.insert(2, mac(2), 0);
    cache.markFailed(3, 0);
    expect([...cache.entries()].map((e) => [e.address, e.state, e.mac?.[5], e.expiresAt])).toEqual([
      [1, 'resolved', 1, 60 * S],
      [2, 'resolved', 2, 60 * S],
      [3, 'failed', undefined, 3 * S],
    ]);
    expect(cache.remove(1)).toBe(true);
    expect(cache.remove(1)).toBe(false);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
    expect([...cache.entries()]).toEqual([]);
  });

  it('expire removes exactly the entries whose lifetime ended', () => {
    const cache = new ArpCache({ entryLifetime: 10 * S, failedLifetime: 2 * S });
    cache.insert(1, mac(1), 0);
    cache.insert(2, mac(2), 5 * S);
    cache.markFailed(3, 0);
    expect(cache.expire(2 * S)).toBe(1);
    expect(cache.expire(10 * S)).toBe(1);
    expect([...cache.entries()].map((e) => e.address)).toEqual([2]);
  });

  it('rate-limits requests to one per interval per address (RFC 1122 §2.3.2.1)', () => {
    const cache = new ArpCache({ requestInterval: S });
    expect(cache.shouldRequest(9, 0)).toBe(true);
    expect(cache.shouldRequest(9, S - 1)).toBe(false);
    expect(cache.shouldRequest(8, S - 1)).toBe(true);
    expect(cache.shouldRequest(9, S)).toBe(true);
    expect(cache.shouldRequest(9, S + 10)).toBe(false);
  });

  it('suppresses requests and lookups while an address is marked failed', () => {
    const cache = new ArpCache({ failedLifetime: 3 * S });
    cache.markFailed(4, 0);
    expect(cache.isFailed(4, 0)).toBe(true);
    expect(cache.shouldRequest(4, 2 * S)).toBe(false);
    expect(cache.lookup(4, 2 * S)).toBeUndefined();
    expect(cache.shouldRequest(4, 3 * S)).toBe(true);
    // A reply replaces the failure.
    cache.markFailed(4, 4 * S);
    expect(cache.update(4, mac(4), 5 * S)).toBe(true);
    expect(cache.isFailed(4, 5 * S)).toBe(false);
    expect(cache.lookup(4, 5 * S)![5]).toBe(4);
  });

  it('bounds request tracking', () => {
    const cache = new ArpCache({ capacity: 4, requestInterval: S });
    for (let a = 0; a < 100; a++) expect(cache.shouldRequest(a, 0)).toBe(true);
    expect(cache.trackedRequests).toBe(4);
    expect(cache.shouldRequest(99, 1)).toBe(false);
    cache.expire(S);
    expect(cache.trackedRequests).toBe(0);
  });

  it('rejects misuse with a typed error', () => {
    expect(() => new ArpCache({ capacity: 0 })).toThrow(ArpCacheError);
    expect(() => new ArpCache({ entryLifetime: -1 })).toThrow(ArpCacheError);
    const cache = new ArpCache();
    expect(() => cache.insert(-1, mac(1), 0)).toThrow(ArpCacheError);
    expect(() => cache.insert(2 ** 32, mac(1), 0)).toThrow(ArpCacheError);
    try {
      cache.insert(1, new Uint8Array(5), 0);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ArpCacheError);
      expect((e as ArpCacheError).code).toBe('EINVAL');
    }
  });

  it('property: size stays bounded and matches an LRU model with expiry', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('insert' as const),
        address: fc.integer({ min: 0, max: 15 }),
        last: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant('lookup' as const), address: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant('update' as const), address: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant('remove' as const), address: fc.integer({ min: 0, max: 15 }) }),
      fc.record({ kind: fc.constant('tick' as const), by: fc.integer({ min: 0, max: 4 * S }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (cap, ops) => {
        const lifetime = 10 * S;
        const cache = new ArpCache({ capacity: cap, entryLifetime: lifetime });
        // Model: array ordered least recently used first.
        let model: Array<{ address: number; last: number; expiresAt: number }> = [];
        let now = 0;
        for (const o of ops) {
          if (o.kind === 'tick') {
            now += o.by;
            continue;
          }
          const i = model.findIndex((m) => m.address === o.address);
          if (o.kind === 'insert' || (o.kind === 'update' && i >= 0)) {
            const last = o.kind === 'insert' ? o.last : 77;
            if (i >= 0) model.splice(i, 1);
            else if (model.length >= cap) model.shift();
            model.push({ address: o.address, last, expiresAt: now + lifetime });
            if (o.kind === 'insert') cache.insert(o.address, mac(last), now);
            else expect(cache.update(o.address, mac(last), now)).toBe(true);
          } else if (o.kind === 'update') {
            expect(cache.update(o.address, mac(1), now)).toBe(false);
          } else if (o.kind === 'remove') {
            if (i >= 0) model.splice(i, 1);
            expect(cache.remove(o.address)).toBe(i >= 0);
          } else {
            const got = cache.lookup(o.address, now);
            const m = model[i];
            if (m === undefined || now >= m.expiresAt) {
              expect(got).toBeUndefined();
              if (m !== undefined) model.splice(i, 1);
            } else {
              expect(got?.[5]).toBe(m.last);
              model.splice(i, 1);
              model.push(m);
            }
          }
          expect(cache.size).toBeLessThanOrEqual(cap);
          expect(cache.size).toBe(model.length);
        }
        expect(cache.expire(now)).toBe(model.filter((m) => now >= m.expiresAt).length);
        model = model.filter((m) => now < m.expiresAt);
        expect([...cache.entries()].map((e) => e.address)).toEqual(model.map((m) => m.address));
      }),
      { numRuns: 200 },
    );
  });
});
