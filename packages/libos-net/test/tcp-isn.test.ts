import { IsnGenerator, parseIpv4Address, TcpError } from '@libos/net';
import { type EntropySource, SeededEntropy } from '@libos/sched';
import { describe, expect, it } from 'vitest';

/** An entropy source that hands out fixed bytes (a known key). */
class FixedEntropy implements EntropySource {
  constructor(private readonly bytes: Uint8Array) {}
  fill(out: Uint8Array): void {
    out.set(this.bytes.subarray(0, out.length));
  }
}

const SERVER = parseIpv4Address('192.0.2.1');
const CLIENT = parseIpv4Address('198.51.100.7');
const NOW = 1_234_567_891;

/**
 * The chi-square quantile by the Wilson–Hilferty cube approximation,
 * `k (1 − 2/(9k) + z √(2/(9k)))³`, accurate to well under 1 % for k in the hundreds.
 */
function chiSquareQuantile(k: number, z: number): number {
  const a = 2 / (9 * k);
  return k * (1 - a + z * Math.sqrt(a)) ** 3;
}

/** z with P(Z > z) = 2.5e-7: each tail of a two-sided test with total 5e-7 < 1e-6. */
const Z_TAIL = 5.03;

function chiSquare(counts: readonly number[], expected: number): number {
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

describe('IsnGenerator (RFC 6528)', () => {
  it('is M + F with F the low 32 bits of SipHash-2-4 of the 4-tuple in network order', () => {
    // Key 00..0f and the tuple 0.1.2.3:0x0405 → 6.7.8.9:0x0a0b make F's message the
    // bytes 00..0b, whose tag is SipHash reference vector 12 (751e8fbc 860ee5fb).
    const isns = new IsnGenerator(new FixedEntropy(Uint8Array.from({ length: 16 }, (_, i) => i)));
    expect(isns.isn(0x00010203, 0x0405, 0x06070809, 0x0a0b, 0)).toBe(0x860ee5fb);
    // M = ⌊now / 4 µs⌋: 1000 ticks and 3 µs later, exactly 1000 more.
    expect(isns.isn(0x00010203, 0x0405, 0x06070809, 0x0a0b, 4003)).toBe(0x860ee5fb + 1000);
  });

  it('is deterministic under SeededEntropy: same seed, same ISNs', () => {
    const a = new IsnGenerator(new SeededEntropy(42));
    const b = new IsnGenerator(new SeededEntropy(42));
    for (let port = 1024; port < 1124; port++) {
      expect(a.isn(SERVER, 80, CLIENT, port, NOW)).toBe(b.isn(SERVER, 80, CLIENT, port, NOW));
    }
  });

  it('advances one tuple by exactly the elapsed 4-µs ticks, wrapping mod 2^32', () => {
    const isns = new IsnGenerator(new SeededEntropy(1));
    const rng = new SeededEntropy(2);
    const base = isns.isn(SERVER, 443, CLIENT, 50000, 0);
    for (let i = 0; i < 2000; i++) {
      // now up to ~2^50 µs (35 years) — past many wraps of the 32-bit timer.
      const now = rng.u32() * 0x40000 + (rng.u32() & 0x3ffff);
      const delta = rng.u32() & 0xffffff;
      const before = isns.isn(SERVER, 443, CLIENT, 50000, now);
      const after = isns.isn(SERVER, 443, CLIENT, 50000, now + delta);
      const ticks = Math.floor((now + delta) / 4) - Math.floor(now / 4);
      expect((after - before) >>> 0).toBe(ticks % 2 ** 32);
      expect(before).toBe((base + (Math.floor(now / 4) % 2 ** 32)) >>> 0);
    }
    // Within one tick nothing changes; 2^32 ticks (≈ 4.77 h) later the ISN repeats.
    expect(isns.isn(SERVER, 443, CLIENT, 50000, 3)).toBe(base);
    expect(isns.isn(SERVER, 443, CLIENT, 50000, 4 * 2 ** 32)).toBe(base);
    // The wrap itself: the last tick before 2^32 and two ticks later.
    const last = isns.isn(SERVER, 443, CLIENT, 50000, 4 * (2 ** 32 - 1));
    const wrapped = isns.isn(SERVER, 443, CLIENT, 50000, 4 * (2 ** 32 + 1));
    expect((wrapped - last) >>> 0).toBe(2);
  });

  it('spreads ISNs uniformly over many random 4-tuples at one instant (chi-square, top 8 bits)', () => {
    const isns = new IsnGenerator(new SeededEntropy(0x6528));
    const rng = new SeededEntropy(0x6529);
    const bins = 256;
    const perBin = 100;
    const counts = new Array<number>(bins).fill(0);
    for (let i = 0; i < bins * perBin; i++) {
      const isn = isns.isn(rng.u32(), rng.u32() & 0xffff, rng.u32(), rng.u32() & 0xffff, NOW);
      counts[isn >>> 24]! += 1;
    }
    const x2 = chiSquare(counts, perBin);
    // Two-sided: too uneven (biased) or too even (structured, e.g. a counter) both fail.
    expect(x2).toBeGreaterThan(chiSquareQuantile(bins - 1, -Z_TAIL));
    expect(x2).toBeLessThan(chiSquareQuantile(bins - 1, Z_TAIL));
  });

  it('spreads ISNs uniformly over consecutive client ports (chi-square, top and low 8 bits)', () => {
    const isns = new IsnGenerator(new SeededEntropy(0x5eed));
    const bins = 256;
    const top = new Array<number>(bins).fill(0);
    const low = new Array<number>(bins).fill(0);
    // 65536 connections from one client to one server port, all at the same instant.
    for (let port = 0; port < 65536; port++) {
      const isn = isns.isn(SERVER, 80, CLIENT, port, NOW);
      top[isn >>> 24]! += 1;
      low[isn & 0xff]! += 1;
    }
    for (const counts of [top, low]) {
      const x2 = chiSquare(counts, 65536 / bins);
      expect(x2).toBeGreaterThan(chiSquareQuantile(bins - 1, -Z_TAIL));
      expect(x2).toBeLessThan(chiSquareQuantile(bins - 1, Z_TAIL));
    }
  });

  it('gives consecutive ports unrelated ISNs: Hamming distance 16 ± 6σ, each bit flips half the time', () => {
    const isns = new IsnGenerator(new SeededEntropy(0xa5a5));
    const pairs = 20000;
    const flips = new Array<number>(32).fill(0);
    let total = 0;
    let previous = isns.isn(SERVER, 8080, CLIENT, 0, NOW);
    for (let port = 1; port <= pairs; port++) {
      const isn = isns.isn(SERVER, 8080, CLIENT, port, NOW);
      const diff = (isn ^ previous) >>> 0;
      total += popcount(diff);
      for (let b = 0; b < 32; b++) flips[b]! += (diff >>> b) & 1;
      previous = isn;
    }
    // Unrelated 32-bit values differ in Binomial(32, 1/2) bits: mean 16, σ = √8.
    // The mean over n pairs has σ = √8/√n; 6σ bounds fail by chance with p ≈ 2e-9.
    const mean = total / pairs;
    const bound = (6 * Math.sqrt(8)) / Math.sqrt(pairs);
    expect(Math.abs(mean - 16)).toBeLessThan(bound);
    // Each bit flips in Binomial(n, 1/2) pairs: σ = √n / 2; 6σ, 32 bits: p < 1e-7.
    for (const count of flips) {
      expect(Math.abs(count - pairs / 2)).toBeLessThan(6 * (Math.sqrt(pairs) / 2));
    }
  });

  it('depends on every field of the tuple and on its direction', () => {
    const isns = new IsnGenerator(new SeededEntropy(7));
    const base = isns.isn(SERVER, 80, CLIENT, 40000, NOW);
    const variants = [
      isns.isn(SERVER + 1, 80, CLIENT, 40000, NOW),
      isns.isn(SERVER, 81, CLIENT, 40000, NOW),
      isns.isn(SERVER, 80, CLIENT + 1, 40000, NOW),
      isns.isn(SERVER, 80, CLIENT, 40001, NOW),
      isns.isn(CLIENT, 40000, SERVER, 80, NOW), // the reverse direction
      isns.isn(SERVER, 40000, CLIENT, 80, NOW), // ports swapped
    ];
    const all = new Set([base, ...variants]);
    expect(all.size).toBe(variants.length + 1);
  });

  it('disagrees between generators with different keys, by no fixed offset', () => {
    const a = new IsnGenerator(new SeededEntropy(100));
    const b = new IsnGenerator(new SeededEntropy(101));
    const offsets = new Set<number>();
    let equal = 0;
    for (let port = 0; port < 1000; port++) {
      const x = a.isn(SERVER, 22, CLIENT, port, NOW);
      const y = b.isn(SERVER, 22, CLIENT, port, NOW);
      if (x === y) equal++;
      offsets.add((x - y) >>> 0);
    }
    // Equal by chance with p = 2^-32 each; the differences are themselves random.
    expect(equal).toBe(0);
    expect(offsets.size).toBeGreaterThan(990);
  });

  it('throws TcpError EINVAL on malformed addresses, ports or times', () => {
    const isns = new IsnGenerator(new SeededEntropy(3));
    const bad: Array<[number, number, number, number, number]> = [
      [-1, 80, CLIENT, 1000, NOW],
      [SERVER, 80, 2 ** 32, 1000, NOW],
      [SERVER, 65536, CLIENT, 1000, NOW],
      [SERVER, 80, CLIENT, -1, NOW],
      [SERVER, 80, CLIENT, 1.5, NOW],
      [SERVER, 80, CLIENT, 1000, -4],
      [SERVER, 80, CLIENT, 1000, 0.5],
      [SERVER, 80, CLIENT, 1000, Number.NaN],
    ];
    for (const args of bad) {
      let code: string | undefined;
      try {
        isns.isn(...args);
      } catch (e) {
        code = e instanceof TcpError ? e.code : 'not a TcpError';
      }
      expect(code, String(args)).toBe('EINVAL');
    }
    expect(() => isns.isn(0xffffffff, 65535, 0, 0, 0)).not.toThrow();
  });
});
