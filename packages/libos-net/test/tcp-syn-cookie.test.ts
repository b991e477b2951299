import { parseIpv4Address, SynCookies, TcpError } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import { describe, expect, it } from 'vitest';

const SERVER = parseIpv4Address('192.0.2.1');
const CLIENT = parseIpv4Address('198.51.100.7');
const PERIOD = SynCookies.period;
/** Some instant well inside period 1000. */
const NOW = 1000 * PERIOD + 12_345_678;

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof TcpError ? e.code : 'not a TcpError';
  }
  return undefined;
}

describe('SynCookies (RFC 4987 §3.6)', () => {
  it('has a 64-second period and an ascending 8-entry MSS table', () => {
    expect(PERIOD).toBe(64_000_000);
    expect(SynCookies.mssTable).toHaveLength(8);
    expect([...SynCookies.mssTable].sort((a, b) => a - b)).toEqual([...SynCookies.mssTable]);
    expect(SynCookies.mssTable).toContain(536);
    expect(SynCookies.mssTable).toContain(1460);
  });

  it('round-trips the MSS for random tuples, client ISNs and times within the period', () => {
    const cookies = new SynCookies(new SeededEntropy(1));
    const rng = new SeededEntropy(2);
    for (let i = 0; i < 2000; i++) {
      const la = rng.u32();
      const lp = rng.u32() & 0xffff;
      const ra = rng.u32();
      const rp = rng.u32() & 0xffff;
      const isn = rng.u32();
      const mss = rng.u32() % 10000;
      const now = (rng.u32() & 0xfffff) * 1000 + (rng.u32() % 1000);
      const { sequence, mss: encoded } = cookies.encode(la, lp, ra, rp, isn, mss, now);
      expect(sequence >>> 0).toBe(sequence);
      const later = now + (rng.u32() % PERIOD);
      expect(cookies.decode(la, lp, ra, rp, isn, sequence, later)).toEqual({ mss: encoded });
    }
  });

  it('encodes the largest table MSS not above the client’s, 536 below the table', () => {
    const cookies = new SynCookies(new SeededEntropy(3));
    const cases: Array<[number, number]> = [
      [0, 536],
      [100, 536],
      [536, 536],
      [1219, 536],
      [1220, 1220],
      [1459, 1452],
      [1460, 1460],
      [8959, 1460],
      [8960, 8960],
      [65535, 8960],
    ];
    for (const [client, expected] of cases) {
      const { sequence, mss } = cookies.encode(SERVER, 80, CLIENT, 40000, 77, client, NOW);
      expect(mss, `client MSS ${client}`).toBe(expected);
      expect(cookies.decode(SERVER, 80, CLIENT, 40000, 77, sequence, NOW)).toEqual({
        mss: expected,
      });
    }
  });

  it('accepts cookies of the current and the previous period only (1–2 minutes)', () => {
    const cookies = new SynCookies(new SeededEntropy(4));
    const issuedAt = 500 * PERIOD + 1; // start of period 500
    const { sequence } = cookies.encode(SERVER, 443, CLIENT, 50000, 9, 1460, issuedAt);
    const decodeAt = (now: number) => cookies.decode(SERVER, 443, CLIENT, 50000, 9, sequence, now);
    expect(decodeAt(issuedAt)).toEqual({ mss: 1460 });
    expect(decodeAt(501 * PERIOD)).toEqual({ mss: 1460 });
    expect(decodeAt(502 * PERIOD - 1)).toEqual({ mss: 1460 }); // ≈ 128 s after issue
    expect(decodeAt(502 * PERIOD)).toBeUndefined(); // expired
    expect(decodeAt(520 * PERIOD)).toBeUndefined();
    expect(decodeAt(499 * PERIOD + 5)).toBeUndefined(); // the clock went back a period
  });

  it('rejects a cookie replayed when its 5-bit counter comes round again (32 periods)', () => {
    const cookies = new SynCookies(new SeededEntropy(5));
    let rejected = 0;
    for (let port = 1; port <= 200; port++) {
      const issuedAt = 64 * PERIOD + port * 1000;
      const { sequence } = cookies.encode(SERVER, 443, CLIENT, port, 1, 1460, issuedAt);
      // Same 5-bit t, 32 periods (≈ 34 min) later: the hash covers the full counter.
      const replay = cookies.decode(SERVER, 443, CLIENT, port, 1, sequence, issuedAt + 32 * PERIOD);
      if (replay === undefined) rejected++;
    }
    expect(rejected).toBe(200);
  });

  it('rejects a cookie or client ISN with any single bit flipped', () => {
    const cookies = new SynCookies(new SeededEntropy(6));
    for (let trial = 0; trial < 20; trial++) {
      const port = 30000 + trial;
      const isn = (trial * 0x9e3779b9) >>> 0;
      const { sequence } = cookies.encode(SERVER, 80, CLIENT, port, isn, 1460, NOW);
      expect(cookies.decode(SERVER, 80, CLIENT, port, isn, sequence, NOW)).toBeDefined();
      for (let bit = 0; bit < 32; bit++) {
        const flip = (x: number) => (x ^ (1 << bit)) >>> 0;
        expect(cookies.decode(SERVER, 80, CLIENT, port, isn, flip(sequence), NOW)).toBeUndefined();
        expect(cookies.decode(SERVER, 80, CLIENT, port, flip(isn), sequence, NOW)).toBeUndefined();
      }
    }
  });

  it('rejects the cookie for any other tuple', () => {
    const cookies = new SynCookies(new SeededEntropy(7));
    const { sequence } = cookies.encode(SERVER, 80, CLIENT, 40000, 5, 1460, NOW);
    const others: Array<[number, number, number, number]> = [
      [SERVER + 1, 80, CLIENT, 40000],
      [SERVER, 81, CLIENT, 40000],
      [SERVER, 80, (CLIENT ^ 0x100) >>> 0, 40000],
      [SERVER, 80, CLIENT, 40001],
      [CLIENT, 40000, SERVER, 80],
    ];
    expect(cookies.decode(SERVER, 80, CLIENT, 40000, 5, sequence, NOW)).toEqual({ mss: 1460 });
    for (const [la, lp, ra, rp] of others) {
      expect(cookies.decode(la, lp, ra, rp, 5, sequence, NOW)).toBeUndefined();
    }
    // Nor does another listener's key accept it.
    const other = new SynCookies(new SeededEntropy(8));
    expect(other.decode(SERVER, 80, CLIENT, 40000, 5, sequence, NOW)).toBeUndefined();
  });

  it('is deterministic under SeededEntropy', () => {
    const a = new SynCookies(new SeededEntropy(9));
    const b = new SynCookies(new SeededEntropy(9));
    for (let port = 0; port < 50; port++) {
      expect(a.encode(SERVER, 80, CLIENT, port, port, 1460, NOW)).toEqual(
        b.encode(SERVER, 80, CLIENT, port, port, 1460, NOW),
      );
    }
  });

  it('handles sequence wrap-around: cookie 0xffffffff (ACK 0) and client ISN 0xffffffff (SEQ 0)', () => {
    const cookies = new SynCookies(new SeededEntropy(10));
    // The cookie is clientIsn + (something independent of clientIsn): pick the client
    // ISN that makes our cookie exactly 0xffffffff, so the final ACK number wraps to 0.
    const offset = cookies.encode(SERVER, 80, CLIENT, 1234, 0, 1440, NOW).sequence;
    const clientIsn = (0xffffffff - offset) >>> 0;
    const { sequence } = cookies.encode(SERVER, 80, CLIENT, 1234, clientIsn, 1440, NOW);
    expect(sequence).toBe(0xffffffff);
    const ack = (sequence + 1) >>> 0;
    expect(ack).toBe(0);
    const seq = (clientIsn + 1) >>> 0;
    // The caller may pass `ack - 1` (= −1) unnormalised or normalised.
    expect(cookies.decode(SERVER, 80, CLIENT, 1234, seq - 1, ack - 1, NOW)).toEqual({ mss: 1440 });
    expect(cookies.decode(SERVER, 80, CLIENT, 1234, clientIsn, 0xffffffff, NOW)).toEqual({
      mss: 1440,
    });
    // Client ISN 0xffffffff: its ACK carries SEQ 0.
    const second = cookies.encode(SERVER, 80, CLIENT, 1235, 0xffffffff, 1460, NOW);
    expect(cookies.decode(SERVER, 80, CLIENT, 1235, 0 - 1, second.sequence, NOW)).toEqual({
      mss: 1460,
    });
  });

  it('accepts at most a 2^-24 fraction of forged cookies', () => {
    const cookies = new SynCookies(new SeededEntropy(11));
    const rng = new SeededEntropy(12);
    // 1e5 blind guesses, each a fresh random tuple, client ISN and cookie. A guess must
    // hit a live counter (2/32) and the 24-bit hash: p = 2^-28, expected 0.0004;
    // ≥ 2 successes would happen by chance with p < 1e-7.
    let blind = 0;
    for (let i = 0; i < 100_000; i++) {
      const ok = cookies.decode(
        rng.u32(),
        rng.u32() & 0xffff,
        rng.u32(),
        rng.u32() & 0xffff,
        rng.u32(),
        rng.u32(),
        NOW,
      );
      if (ok !== undefined) blind++;
    }
    expect(blind).toBeLessThanOrEqual(1);
    // 2^20 informed guesses: a genuine cookie's top 8 bits kept, low 24 bits random —
    // only the hash stands in the way: p ≤ 2^-24 each, expected 0.06, ≥ 4 by chance
    // with p < 1e-6. (A 16-bit hash would let ≈ 16 through.)
    const { sequence } = cookies.encode(SERVER, 80, CLIENT, 40000, 1, 1460, NOW);
    let informed = 0;
    for (let i = 0; i < 1 << 20; i++) {
      const guess = ((sequence & 0xff000000) | (rng.u32() & 0xffffff)) >>> 0;
      if (guess !== sequence && cookies.decode(SERVER, 80, CLIENT, 40000, 1, guess, NOW)) {
        informed++;
      }
    }
    expect(informed).toBeLessThanOrEqual(3);
  });

  it('throws TcpError EINVAL on malformed arguments', () => {
    const cookies = new SynCookies(new SeededEntropy(13));
    expect(codeOf(() => cookies.encode(SERVER, 80, CLIENT, 1, 0, 70000, NOW))).toBe('EINVAL');
    expect(codeOf(() => cookies.encode(SERVER, 80, CLIENT, 1, 0, 1460.5, NOW))).toBe('EINVAL');
    expect(codeOf(() => cookies.encode(SERVER, 80, CLIENT, 1, 0.5, 1460, NOW))).toBe('EINVAL');
    expect(codeOf(() => cookies.encode(SERVER, 70000, CLIENT, 1, 0, 1460, NOW))).toBe('EINVAL');
    expect(codeOf(() => cookies.encode(-1, 80, CLIENT, 1, 0, 1460, NOW))).toBe('EINVAL');
    expect(codeOf(() => cookies.encode(SERVER, 80, CLIENT, 1, 0, 1460, -1))).toBe('EINVAL');
    expect(codeOf(() => cookies.decode(SERVER, 80, CLIENT, 1, 0, Number.NaN, NOW))).toBe('EINVAL');
    expect(codeOf(() => cookies.decode(SERVER, 80, CLIENT, 1, 0, 5, 1.5))).toBe('EINVAL');
    expect(codeOf(() => cookies.decode(SERVER, 80, CLIENT, 1, 0, 5, NOW))).toBeUndefined();
  });
});
