import { Cubic, cubic } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { describeCongestionControlProperties } from './tcp-congestion-conformance.js';

const MSS = 1000;
const S = 1_000_000;

/** Slow-starts a fresh CUBIC to exactly `window` bytes (a multiple of 2·SMSS above IW), then loses once. */
function afterLoss(window: number, mode: 'sack-pipe' | 'dupack-inflation' = 'sack-pipe'): Cubic {
  const cc = new Cubic(MSS);
  while (cc.cwnd < window) cc.onAck(2 * MSS, cc.cwnd, 0, undefined);
  expect(cc.cwnd).toBe(window);
  cc.onEnterRecovery(window, 0, mode);
  cc.onExitRecovery(0);
  return cc;
}

/**
 * ACK-clocked flow: each round trip, one SMSS-sized ACK per whole segment of cwnd (at
 * the start of the round), evenly spread over `rtt`. Returns [time since start (s), cwnd]
 * at the end of each of `rounds` rounds.
 */
function run(cc: Cubic, start: number, rtt: number, rounds: number): Array<[number, number]> {
  const trace: Array<[number, number]> = [];
  let now = start;
  for (let round = 0; round < rounds; round++) {
    const acks = Math.floor(cc.cwnd / MSS);
    for (let i = 1; i <= acks; i++) cc.onAck(MSS, cc.cwnd, now + (rtt * i) / acks, rtt);
    now += rtt;
    trace.push([(now - start) / S, cc.cwnd]);
  }
  return trace;
}

/** cwnd at the first round ending at or after `t` seconds. */
function at(trace: Array<[number, number]>, t: number): number {
  const point = trace.find(([time]) => time >= t);
  if (point === undefined) throw new Error(`trace ends before ${t} s`);
  return point[1];
}

describe('Cubic (RFC 9438)', () => {
  it('reduces by β_cubic = 0.7 and remembers W_max (§4.6)', () => {
    const cc = afterLoss(100_000);
    expect(cc.name).toBe('cubic');
    expect(cc.wMax).toBe(100_000);
    expect([cc.ssthresh, cc.cwnd]).toEqual([70_000, 70_000]);
    const reno = afterLoss(100_000, 'dupack-inflation');
    expect(reno.cwnd).toBe(70_000); // inflated to 73000 during recovery, back to ssthresh on exit
  });

  it('evaluates W_cubic(t) = C·(t − K)³ + W_max with K = ∛(W_max·(1 − β)/C) (§4.2)', () => {
    // W_max = 1000 segments, cwnd_epoch = 700: K = ∛(300 / 0.4) = ∛750 = 9.08560 s.
    const cc = afterLoss(1_000_000);
    expect(cc.windowAt(0)).toBeUndefined(); // no epoch before congestion avoidance starts
    cc.onAck(MSS, 700_000, 10 * S, 100_000); // epoch starts at t = 10 s
    expect(cc.epochStart).toBe(10 * S);
    expect(cc.k).toBeCloseTo(9.0856, 4);
    const K = cc.k;
    // In segments: W(0) = 700, W(K) = 1000, W(K + 2) = 1000 + 0.4·8 = 1003.2,
    // W(K + 5) = 1000 + 0.4·125 = 1050, W(2K) = 1000 + 0.4·750 = 1300,
    // W(1) = 1000 − 0.4·8.0856³ = 1000 − 0.4·528.60 = 788.56.
    expect(cc.windowAt(0)).toBeCloseTo(700_000, 3);
    expect(cc.windowAt(K)).toBeCloseTo(1_000_000, 3);
    expect(cc.windowAt(K + 2)).toBeCloseTo(1_003_200, 3);
    expect(cc.windowAt(K + 5)).toBeCloseTo(1_050_000, 3);
    expect(cc.windowAt(2 * K)).toBeCloseTo(1_300_000, 3);
    expect(cc.windowAt(1)).toBeCloseTo(788_560, -1);
  });

  it('tracks W_cubic(t) under an ACK clock, concave then plateau then convex (§4.4, §4.5)', () => {
    const cc = afterLoss(1_000_000);
    const trace = run(cc, 10 * S, 100_000, 160); // 16 s
    const K = cc.k;
    const W = (t: number): number => (0.4 * (t - K) ** 3 + 1000) * MSS;
    // At a given t the window lies between W_cubic(t) and the RTT-ahead target W_cubic(t + RTT)
    // (one SMSS of slack for the ACK granularity).
    for (const t of [1, 2, 4, 6, 8, K, 10, 12, 14]) {
      const w = at(trace, t);
      const [time] = trace.find(([tt]) => tt >= t) ?? [t];
      expect(w).toBeGreaterThanOrEqual(W(time) - 2 * MSS);
      expect(w).toBeLessThanOrEqual(W(time + 0.1) + MSS);
    }
    // Hand-computed points: W(1) ≈ 788.6 seg, W(K) = 1000 seg, W(K + 5) = 1050 seg.
    expect(Math.abs(at(trace, 1) - 788_560)).toBeLessThan(25_000);
    expect(Math.abs(at(trace, K) - 1_000_000)).toBeLessThan(2_000);
    expect(Math.abs(at(trace, K + 5) - 1_050_000)).toBeLessThan(10_000);
    // Shape: growth per second shrinks towards K (concave), is tiny around K, grows after (convex).
    const gain = (a: number, b: number): number => at(trace, b) - at(trace, a);
    expect(gain(0.1, 2)).toBeGreaterThan(gain(2, 4));
    expect(gain(2, 4)).toBeGreaterThan(gain(4, 6));
    expect(gain(4, 6)).toBeGreaterThan(gain(6, 8));
    expect(gain(K - 0.5, K + 0.5)).toBeLessThan(1_000);
    expect(gain(K + 1, K + 3)).toBeLessThan(gain(K + 3, K + 5));
    expect(gain(K + 3, K + 5)).toBeLessThan(gain(K + 5, K + 6.9));
    // Monotone throughout.
    for (let i = 1; i < trace.length; i++) {
      expect(trace[i]?.[1]).toBeGreaterThanOrEqual(trace[i - 1]?.[1] ?? 0);
    }
  });

  it('is Reno-friendly at small RTT: follows W_est = cwnd_epoch + α·rounds (§4.3)', () => {
    // W_max = 100 segments, cwnd_epoch = 70; RTT 1 ms. α_cubic = 3·0.3/1.7 = 0.52941 per round
    // until W_est reaches cwnd_prior = 100, then 1 per round. After 50 rounds:
    // W_est ≈ 70 + 50·0.52941 = 96.47 segments, while W_cubic(0.05 s) = 100 − 0.4·(∛75 − 0.05)³ = 100 − 0.4·4.167163³ = 100 − 0.4·72.3638 = 71.0545.
    const cc = afterLoss(100_000);
    const trace = run(cc, 10 * S, 1_000, 50);
    const w = trace.at(-1)?.[1] ?? 0;
    expect(Math.abs(w - 96_470)).toBeLessThan(1_000);
    expect(cc.windowAt(0.05)).toBeCloseTo(71_054.5, 0);
    expect(w).toBeGreaterThan(cc.windowAt(0.05) ?? Number.POSITIVE_INFINITY);
    expect(cc.renoEstimate).toBeCloseTo(w, -3);
    // 20 more rounds: 96.47 → 100 at α = 0.529 (≈ 6.7 rounds), then α = 1 for ≈ 13.3 rounds ≈ 113.3.
    const more = run(cc, 10 * S + 50_000, 1_000, 20);
    const w2 = more.at(-1)?.[1] ?? 0;
    expect(Math.abs(w2 - 113_300)).toBeLessThan(1_500);
  });

  it('applies fast convergence when a loss happens below W_max (§4.7)', () => {
    const cc = afterLoss(100_000); // W_max 100000, cwnd 70000
    cc.onEnterRecovery(70_000, 0, 'sack-pipe'); // cwnd 70000 < W_max: W_max = 70000·(1 + 0.7)/2
    expect(cc.wMax).toBeCloseTo(59_500, 6);
    expect([cc.ssthresh, cc.cwnd]).toEqual([49_000, 49_000]);
    cc.onExitRecovery(0);
    while (cc.cwnd < 60_000) cc.onAck(MSS, cc.cwnd, 1 * S, 10_000);
    const grown = cc.cwnd;
    cc.onEnterRecovery(grown, 2 * S, 'sack-pipe'); // above W_max: W_max = cwnd
    expect(Math.floor(cc.wMax ?? 0)).toBe(grown);
    expect(cc.ssthresh).toBe(Math.floor(grown * 0.7));
  });

  it('after a timeout, uses the loss window, β_cubic ssthresh, and K = 0 with W_max = cwnd_epoch (§4.8)', () => {
    const cc = afterLoss(100_000);
    cc.onRetransmitTimeout(100_000, 1 * S);
    expect([cc.cwnd, cc.ssthresh, cc.wMax]).toEqual([1_000, 70_000, undefined]);
    // Slow start 1000 → 69000 in 34 ACKs of 2·SMSS, the 35th reaches ssthresh and starts the epoch.
    for (let i = 0; i < 35; i++) cc.onAck(2 * MSS, cc.cwnd, 2 * S, 50_000);
    expect(cc.epochStart).toBe(2 * S);
    expect(cc.k).toBe(0);
    expect(cc.wMax).toBe(70_000);
    // K = 0: the window is convex from the start, W(t) = 70 + 0.4·t³ segments.
    expect(cc.windowAt(2)).toBeCloseTo(73_200, 6);
  });

  it('restarts its epoch after idle (RFC 5681 §4.1)', () => {
    const cc = afterLoss(100_000);
    cc.onAck(MSS, 70_000, 1 * S, 50_000);
    expect(cc.epochStart).toBe(1 * S);
    cc.onIdle(5 * S, 1 * S);
    expect(cc.cwnd).toBe(10_000);
    expect(cc.epochStart).toBeUndefined();
    expect(cc.wMax).toBe(100_000);
  });

  describeCongestionControlProperties(cubic);
});
