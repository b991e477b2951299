import { Ipv4RoutingTable, type Route, RoutingError } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ip = (a: number, b: number, c: number, d: number): number =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const maskOf = (p: number): number => (p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);

describe('Ipv4RoutingTable', () => {
  it('chooses the longest matching prefix, falling back to the default route', () => {
    const t = new Ipv4RoutingTable();
    t.add({ network: 0, prefixLength: 0, gateway: ip(10, 0, 2, 2), interfaceId: 'eth0' });
    t.add({ network: ip(10, 0, 0, 0), prefixLength: 8, interfaceId: 'eth1' });
    t.add({ network: ip(10, 0, 2, 0), prefixLength: 24, interfaceId: 'eth0' });
    t.add({ network: ip(10, 0, 2, 9), prefixLength: 32, interfaceId: 'lo' });
    expect(t.lookup(ip(10, 0, 2, 9))?.interfaceId).toBe('lo');
    expect(t.lookup(ip(10, 0, 2, 10))?.prefixLength).toBe(24);
    expect(t.lookup(ip(10, 9, 9, 9))?.interfaceId).toBe('eth1');
    const def = t.lookup(ip(8, 8, 8, 8));
    expect(def?.prefixLength).toBe(0);
    expect(def?.gateway).toBe(ip(10, 0, 2, 2));
    expect(t.size).toBe(4);
  });

  it('returns undefined with no default route', () => {
    const t = new Ipv4RoutingTable();
    t.add({ network: ip(192, 168, 1, 0), prefixLength: 24, interfaceId: 0 });
    expect(t.lookup(ip(192, 168, 2, 1))).toBeUndefined();
    expect(t.lookup(ip(192, 168, 1, 255))?.interfaceId).toBe(0);
  });

  it('accepts int32-encoded destinations', () => {
    const t = new Ipv4RoutingTable();
    t.add({ network: ip(192, 168, 0, 0), prefixLength: 16, interfaceId: 1 });
    expect(t.lookup((192 << 24) | (168 << 16) | 1)?.interfaceId).toBe(1);
  });

  it('breaks ties by lowest metric, then insertion order', () => {
    const t = new Ipv4RoutingTable();
    const net = ip(172, 16, 0, 0);
    t.add({ network: net, prefixLength: 12, interfaceId: 'a', metric: 10 });
    t.add({ network: net, prefixLength: 12, interfaceId: 'b', metric: 5 });
    t.add({ network: net, prefixLength: 12, interfaceId: 'c', metric: 5 });
    expect(t.lookup(ip(172, 20, 1, 1))?.interfaceId).toBe('b');
    expect(t.remove({ network: net, prefixLength: 12, interfaceId: 'b' })).toBe(1);
    expect(t.lookup(ip(172, 20, 1, 1))?.interfaceId).toBe('c');
    expect(t.remove({ network: net, prefixLength: 12, metric: 5 })).toBe(1);
    expect(t.lookup(ip(172, 20, 1, 1))?.interfaceId).toBe('a');
    expect(t.remove({ network: net, prefixLength: 12 })).toBe(1);
    expect(t.lookup(ip(172, 20, 1, 1))).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('lists routes in insertion order and removes per interface', () => {
    const t = new Ipv4RoutingTable();
    t.add({ network: ip(10, 0, 0, 0), prefixLength: 8, interfaceId: 'x' });
    t.add({ network: 0, prefixLength: 0, gateway: 1, interfaceId: 'y' });
    t.add({ network: ip(10, 1, 0, 0), prefixLength: 16, interfaceId: 'x', metric: 3 });
    expect(t.routes().map((r) => [r.prefixLength, r.interfaceId, r.metric])).toEqual([
      [8, 'x', 0],
      [0, 'y', 0],
      [16, 'x', 3],
    ]);
    expect(t.removeInterface('x')).toBe(2);
    expect(t.routes().map((r) => r.interfaceId)).toEqual(['y']);
    t.clear();
    expect(t.routes()).toEqual([]);
    expect(t.lookup(1)).toBeUndefined();
  });

  it('rejects invalid routes with RoutingError EINVAL and duplicates with EEXIST', () => {
    const t = new Ipv4RoutingTable();
    const bad: Route[] = [
      { network: ip(10, 0, 0, 1), prefixLength: 24, interfaceId: 0 }, // host bits
      { network: 0, prefixLength: 33, interfaceId: 0 },
      { network: 0, prefixLength: -1, interfaceId: 0 },
      { network: 0, prefixLength: 1.5, interfaceId: 0 },
      { network: -1, prefixLength: 32, interfaceId: 0 },
      { network: 2 ** 32, prefixLength: 32, interfaceId: 0 },
      { network: 0, prefixLength: 0, gateway: -5, interfaceId: 0 },
      { network: 0, prefixLength: 0, interfaceId: 0, metric: -1 },
    ];
    for (const r of bad) {
      try {
        t.add(r);
        expect.unreachable(JSON.stringify(r));
      } catch (e) {
        expect(e).toBeInstanceOf(RoutingError);
        expect((e as RoutingError).code).toBe('EINVAL');
      }
    }
    t.add({ network: 0, prefixLength: 0, interfaceId: 0 });
    expect(() => t.add({ network: 0, prefixLength: 0, interfaceId: 0, metric: 0 })).toThrow(
      expect.objectContaining({ code: 'EEXIST' }),
    );
    expect(t.size).toBe(1);
  });

  it('property: agrees with a brute-force longest-prefix model on random tables', () => {
    // Few distinct prefixes so matches and ties are common.
    const route = fc
      .record({
        base: fc.constantFrom(ip(10, 0, 0, 0), ip(10, 1, 2, 3), ip(192, 168, 7, 9), 0xffffffff),
        prefixLength: fc.integer({ min: 0, max: 32 }),
        metric: fc.integer({ min: 0, max: 3 }),
        interfaceId: fc.integer({ min: 0, max: 1000 }),
      })
      .map(
        (r): Route => ({
          network: (r.base & maskOf(r.prefixLength)) >>> 0,
          prefixLength: r.prefixLength,
          metric: r.metric,
          interfaceId: r.interfaceId,
        }),
      );
    const destination = fc.oneof(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.constantFrom(ip(10, 0, 0, 1), ip(10, 1, 2, 3), ip(10, 1, 2, 200), ip(192, 168, 7, 9)),
    );
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 30 }),
        fc.array(destination, { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (routes, destinations, removals) => {
          const t = new Ipv4RoutingTable();
          let model: Route[] = [];
          for (const r of routes) {
            const duplicate = model.some(
              (m) =>
                m.network === r.network &&
                m.prefixLength === r.prefixLength &&
                m.interfaceId === r.interfaceId &&
                m.metric === r.metric,
            );
            if (duplicate) {
              expect(() => t.add(r)).toThrow(RoutingError);
            } else {
              t.add(r);
              model.push(r);
            }
          }
          for (const k of removals) {
            const victim = model[k % Math.max(model.length, 1)];
            if (victim === undefined) continue;
            const selector = {
              network: victim.network,
              prefixLength: victim.prefixLength,
              interfaceId: victim.interfaceId,
            };
            const before = model.length;
            model = model.filter(
              (m) =>
                !(
                  m.network === selector.network &&
                  m.prefixLength === selector.prefixLength &&
                  m.interfaceId === selector.interfaceId
                ),
            );
            expect(t.remove(selector)).toBe(before - model.length);
          }
          expect(t.size).toBe(model.length);
          for (const dst of destinations) {
            let best: Route | undefined;
            for (const m of model) {
              if ((dst & maskOf(m.prefixLength)) >>> 0 !== m.network) continue;
              if (
                best === undefined ||
                m.prefixLength > best.prefixLength ||
                (m.prefixLength === best.prefixLength && m.metric! < best.metric!)
              ) {
                best = m;
              }
            }
            const got = t.lookup(dst);
            expect(got?.network).toBe(best?.network);
            expect(got?.prefixLength).toBe(best?.prefixLength);
            expect(got?.metric).toBe(best?.metric);
            expect(got?.interfaceId).toBe(best?.interfaceId);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
