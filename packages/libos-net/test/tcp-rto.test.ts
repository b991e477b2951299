import { RtoEstimator, TcpError } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const MS = 1_000;
const S = 1_000_000;

describe('RtoEstimator (RFC 6298)', () => {
  it('starts at the initial RTO with no estimate (§2.1)', () => {
    const est = new RtoEstimator();
    expect(est.rto).toBe(1 * S);
    expect(est.srtt).toBeUndefined();
    expect(est.rttvar).toBeUndefined();
    expect(new RtoEstimator({ initial: 3 * S }).rto).toBe(3 * S);
  });

  it('follows a hand-computed sample sequence exactly (§2.2, §2.3, RTTVAR before SRTT)', () => {
    // Defaults: min 200 ms, max 60 s, G = 1 ms.
    const est = new RtoEstimator();
    // R1 = 100 ms: SRTT = 100000, RTTVAR = 50000, RTO = 100000 + max(1000, 4·50000) = 300000.
    est.sample(100 * MS);
    expect([est.srtt, est.rttvar, est.rto]).toEqual([100_000, 50_000, 300_000]);
    // R2 = 200 ms: RTTVAR = 3/4·50000 + 1/4·|100000 − 200000| = 37500 + 25000 = 62500
    //              SRTT   = 7/8·100000 + 1/8·200000 = 87500 + 25000 = 112500
    //              RTO    = 112500 + 4·62500 = 362500.
    est.sample(200 * MS);
    expect([est.srtt, est.rttvar, est.rto]).toEqual([112_500, 62_500, 362_500]);
    // R3 = 80 ms:  RTTVAR = 3/4·62500 + 1/4·|112500 − 80000| = 46875 + 8125 = 55000
    //              (had SRTT been updated first: 46875 + 1/4·28437.5 = 53984.375)
    //              SRTT   = 7/8·112500 + 1/8·80000 = 98437.5 + 10000 = 108437.5
    //              RTO    = 108437.5 + 220000 = 328437.5 → rounded up to 328438 µs.
    est.sample(80 * MS);
    expect([est.srtt, est.rttvar, est.rto]).toEqual([108_437.5, 55_000, 328_438]);
  });

  it('uses the clock granularity as the floor of the variance term', () => {
    // G = 10 ms, min 0: constant 100 ms samples. RTTVAR = 50000·(3/4)^n after n more samples.
    // 4·RTTVAR drops below G once 50000·0.75^n < 2500, i.e. n ≥ 11 (0.75^10 = 0.0563, 0.75^11 = 0.0422).
    const est = new RtoEstimator({ min: 0, granularity: 10 * MS });
    est.sample(100 * MS);
    for (let n = 1; n <= 10; n++) est.sample(100 * MS);
    // n = 10: RTTVAR = 50000·0.75^10 = 2815.675..., 4·RTTVAR = 11262.7 > G.
    expect(est.rto).toBe(Math.ceil(100_000 + 4 * 50_000 * 0.75 ** 10));
    est.sample(100 * MS);
    expect(est.rto).toBe(110_000); // 100000 + G
  });

  it('clamps to min and max (§2.4, §2.5)', () => {
    const strict = new RtoEstimator({ min: 1 * S });
    strict.sample(100 * MS); // 300 ms computed → 1 s
    expect(strict.rto).toBe(1 * S);
    const est = new RtoEstimator();
    est.sample(30 * S); // 30 + 4·15 = 90 s computed → 60 s
    expect(est.rto).toBe(60 * S);
    const zero = new RtoEstimator();
    zero.sample(0); // SRTT 0, RTTVAR 0 → G = 1 ms → 200 ms minimum
    expect([zero.srtt, zero.rttvar, zero.rto]).toEqual([0, 0, 200 * MS]);
  });

  it('doubles on backoff up to max, and a new sample replaces the backed-off value (§5.5, §5.7)', () => {
    const est = new RtoEstimator();
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      seen.push(est.rto);
      est.backoff();
    }
    expect(seen).toEqual([1, 2, 4, 8, 16, 32, 60, 60].map((s) => s * S));
    expect(est.backoffs).toBe(6);
    est.sample(100 * MS);
    expect(est.rto).toBe(300 * MS);
    expect(est.backoffs).toBe(0);
    est.backoff();
    est.backoff();
    expect(est.rto).toBe(1_200 * MS);
    est.resetBackoff();
    expect(est.rto).toBe(300 * MS);
  });

  it('re-initializes to 3 s after a SYN timeout until the next sample (§5.7)', () => {
    const est = new RtoEstimator();
    est.backoff(); // SYN retransmitted
    est.restartAfterSynTimeout();
    expect(est.rto).toBe(3 * S);
    expect(est.backoffs).toBe(0);
    est.sample(50 * MS); // 50 + 4·25 = 150 ms → min 200 ms
    expect(est.rto).toBe(200 * MS);
    const capped = new RtoEstimator({ max: 2 * S });
    capped.restartAfterSynTimeout();
    expect(capped.rto).toBe(2 * S);
  });

  it('rejects misuse with TcpError EINVAL', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof TcpError ? e.code : 'other';
      }
      return undefined;
    };
    expect(codeOf(() => new RtoEstimator({ min: 2 * S, max: 1 * S }))).toBe('EINVAL');
    expect(codeOf(() => new RtoEstimator({ initial: 100 * MS }))).toBe('EINVAL'); // below min 200 ms
    expect(codeOf(() => new RtoEstimator({ granularity: -1 }))).toBe('EINVAL');
    expect(codeOf(() => new RtoEstimator({ max: Number.POSITIVE_INFINITY }))).toBe('EINVAL');
    const est = new RtoEstimator();
    expect(codeOf(() => est.sample(-1))).toBe('EINVAL');
    expect(codeOf(() => est.sample(Number.NaN))).toBe('EINVAL');
    expect(codeOf(() => est.sample(0))).toBeUndefined();
  });

  it('keeps RTO an integer within [min, max] and SRTT within the sample range (property)', () => {
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('sample' as const),
        rtt: fc.integer({ min: 0, max: 120 * S }),
      }),
      fc.record({ kind: fc.constant('backoff' as const) }),
      fc.record({ kind: fc.constant('reset' as const) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * S }),
        fc.integer({ min: 2 * S, max: 120 * S }),
        fc.array(step, { maxLength: 60 }),
        (min, max, steps) => {
          const est = new RtoEstimator({ min, max, initial: Math.max(min, Math.min(S, max)) });
          let lo = Number.POSITIVE_INFINITY;
          let hi = Number.NEGATIVE_INFINITY;
          for (const s of steps) {
            if (s.kind === 'sample') {
              est.sample(s.rtt);
              lo = Math.min(lo, s.rtt);
              hi = Math.max(hi, s.rtt);
              const srtt = est.srtt ?? Number.NaN;
              expect(srtt).toBeGreaterThanOrEqual(lo);
              expect(srtt).toBeLessThanOrEqual(hi);
              expect(est.backoffs).toBe(0);
            } else if (s.kind === 'backoff') {
              const before = est.rto;
              est.backoff();
              expect(est.rto).toBe(Math.min(2 * before, max));
            } else {
              est.resetBackoff();
            }
            expect(Number.isInteger(est.rto)).toBe(true);
            expect(est.rto).toBeGreaterThanOrEqual(min);
            expect(est.rto).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });
});
