import { INITIAL_SSTHRESH, initialWindow, NewReno, newReno, TcpError } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { describeCongestionControlProperties } from './tcp-congestion-conformance.js';

const MSS = 1000;

/** A NewReno whose ssthresh = cwnd = `window` (via one SACK recovery), so it is in congestion avoidance. */
function inAvoidance(window: number): NewReno {
  const cc = new NewReno(MSS);
  cc.onEnterRecovery(2 * window, 0, 'sack-pipe');
  cc.onExitRecovery(0);
  return cc;
}

describe('initialWindow (RFC 6928 §2)', () => {
  it('is min(10·MSS, max(2·MSS, 14600))', () => {
    expect(initialWindow(1460)).toBe(14_600);
    expect(initialWindow(536)).toBe(5_360); // 10·MSS binds
    expect(initialWindow(4000)).toBe(14_600); // 14600 binds
    expect(initialWindow(9000)).toBe(18_000); // 2·MSS binds
  });
});

describe('NewReno', () => {
  it('starts with IW and an arbitrarily high ssthresh', () => {
    const cc = newReno(1460);
    expect(cc.name).toBe('new-reno');
    expect(cc.cwnd).toBe(14_600);
    expect(cc.ssthresh).toBe(INITIAL_SSTHRESH);
    expect(cc.inRecovery).toBe(false);
  });

  it('slow start counts bytes with L = 2·SMSS (RFC 3465 §2.2)', () => {
    const cc = new NewReno(MSS);
    cc.onAck(1000, 10_000, 0, undefined);
    expect(cc.cwnd).toBe(11_000);
    cc.onAck(500, 10_000, 0, undefined);
    expect(cc.cwnd).toBe(11_500);
    cc.onAck(3000, 10_000, 0, undefined); // stretch ACK: capped at 2·SMSS
    expect(cc.cwnd).toBe(13_500);
    cc.onAck(0, 10_000, 0, undefined);
    cc.onAck(-5, 10_000, 0, undefined);
    expect(cc.cwnd).toBe(13_500);
  });

  it('congestion avoidance adds one SMSS per cwnd of acknowledged bytes (RFC 3465 §2.1)', () => {
    const cc = inAvoidance(10_000);
    expect([cc.cwnd, cc.ssthresh]).toEqual([10_000, 10_000]);
    for (let i = 0; i < 9; i++) cc.onAck(1000, 10_000, 0, undefined);
    expect(cc.cwnd).toBe(10_000); // 9000 bytes acked < cwnd
    cc.onAck(1000, 10_000, 0, undefined);
    expect(cc.cwnd).toBe(11_000); // 10000 ≥ cwnd: +SMSS, counter back to 0
    for (let i = 0; i < 10; i++) cc.onAck(1000, 11_000, 0, undefined);
    expect(cc.cwnd).toBe(11_000); // now 11000 bytes are needed
    cc.onAck(1000, 11_000, 0, undefined);
    expect(cc.cwnd).toBe(12_000);
  });

  it('stops slow start at ssthresh and counts the rest as avoidance', () => {
    const cc = new NewReno(MSS);
    cc.onRetransmitTimeout(20_000, 0); // ssthresh 10000, cwnd 1000
    for (let i = 0; i < 4; i++) cc.onAck(2000, 0, 0, undefined);
    expect(cc.cwnd).toBe(9_000);
    cc.onAck(2000, 0, 0, undefined); // +1000 to reach ssthresh, 1000 counted for avoidance
    expect(cc.cwnd).toBe(10_000);
    for (let i = 0; i < 8; i++) cc.onAck(1000, 0, 0, undefined);
    expect(cc.cwnd).toBe(10_000); // 9000 counted
    cc.onAck(1000, 0, 0, undefined);
    expect(cc.cwnd).toBe(11_000);
  });

  it('runs RFC 6582 fast recovery with dupACK inflation and partial-ACK deflation', () => {
    const cc = new NewReno(MSS);
    cc.onEnterRecovery(20_000, 0); // ssthresh = 20000/2, cwnd = ssthresh + 3·SMSS
    expect([cc.ssthresh, cc.cwnd, cc.inRecovery]).toEqual([10_000, 13_000, true]);
    cc.onDuplicateAck();
    cc.onDuplicateAck();
    expect(cc.cwnd).toBe(15_000);
    cc.onEnterRecovery(15_000, 0); // already in recovery: no second reduction
    expect([cc.ssthresh, cc.cwnd]).toEqual([10_000, 15_000]);
    cc.onRecoveryAck(3000, 12_000); // 15000 − 3000 + 1000
    expect(cc.cwnd).toBe(13_000);
    cc.onRecoveryAck(500, 11_500); // < SMSS: nothing added back
    expect(cc.cwnd).toBe(12_500);
    cc.onExitRecovery(0); // option 2: cwnd = ssthresh
    expect([cc.cwnd, cc.inRecovery]).toEqual([10_000, false]);
    cc.onDuplicateAck(); // outside recovery: ignored
    cc.onRecoveryAck(1000, 0);
    expect(cc.cwnd).toBe(10_000);
  });

  it('exits with min(ssthresh, max(FlightSize, SMSS) + SMSS) when the flight size is given', () => {
    const cc = new NewReno(MSS);
    cc.onEnterRecovery(20_000, 0);
    cc.onExitRecovery(0, 4_000);
    expect(cc.cwnd).toBe(5_000);
    const idle = new NewReno(MSS);
    idle.onEnterRecovery(20_000, 0);
    idle.onExitRecovery(0, 0);
    expect(idle.cwnd).toBe(2_000);
    const full = new NewReno(MSS);
    full.onEnterRecovery(20_000, 0);
    full.onExitRecovery(0, 50_000);
    expect(full.cwnd).toBe(10_000);
  });

  it('keeps the window at ssthresh in SACK-pipe recovery (RFC 6675 §5)', () => {
    const cc = new NewReno(MSS);
    cc.onEnterRecovery(20_000, 0, 'sack-pipe');
    expect([cc.ssthresh, cc.cwnd]).toEqual([10_000, 10_000]);
    cc.onDuplicateAck();
    cc.onRecoveryAck(3000, 10_000);
    expect(cc.cwnd).toBe(10_000);
    cc.onExitRecovery(0);
    expect(cc.cwnd).toBe(10_000);
  });

  it('floors ssthresh at 2·SMSS (RFC 5681 eq. 4)', () => {
    const cc = new NewReno(MSS);
    cc.onEnterRecovery(3000, 0);
    expect([cc.ssthresh, cc.cwnd]).toEqual([2000, 5000]);
    const odd = new NewReno(MSS);
    odd.onEnterRecovery(12_345, 0);
    expect(odd.ssthresh).toBe(6_172); // ⌊12345 / 2⌋
  });

  it('collapses to the loss window on timeout and holds ssthresh on repeated timeouts (RFC 5681 §3.1)', () => {
    const cc = new NewReno(MSS);
    cc.onEnterRecovery(20_000, 0);
    cc.onRetransmitTimeout(30_000, 0); // abandons recovery: ssthresh from the new flight
    expect([cc.ssthresh, cc.cwnd, cc.inRecovery]).toEqual([15_000, 1_000, false]);
    cc.onRetransmitTimeout(1_000, 0); // same segment again: ssthresh held
    expect([cc.ssthresh, cc.cwnd]).toEqual([15_000, 1_000]);
    cc.onAck(1000, 1000, 0, undefined); // new data acknowledged
    cc.onRetransmitTimeout(4_000, 0);
    expect([cc.ssthresh, cc.cwnd]).toEqual([2_000, 1_000]);
  });

  it('restarts from min(IW, cwnd) after an idle period longer than the RTO (RFC 5681 §4.1)', () => {
    const cc = new NewReno(MSS);
    for (let i = 0; i < 10; i++) cc.onAck(2000, 0, 0, undefined);
    expect(cc.cwnd).toBe(30_000);
    cc.onIdle(500_000, 1_000_000); // shorter than RTO
    expect(cc.cwnd).toBe(30_000);
    cc.onIdle(1_000_000, 1_000_000); // not longer than RTO
    expect(cc.cwnd).toBe(30_000);
    cc.onIdle(1_500_000, 1_000_000);
    expect(cc.cwnd).toBe(10_000);
    cc.onRetransmitTimeout(10_000, 0);
    cc.onIdle(5_000_000, 1_000_000);
    expect(cc.cwnd).toBe(1_000); // already below IW
  });

  it('leaves recovery first if onAck is called during it', () => {
    const cc = new NewReno(MSS);
    cc.onEnterRecovery(20_000, 0);
    cc.onAck(1000, 10_000, 0, undefined);
    expect(cc.inRecovery).toBe(false);
    expect(cc.cwnd).toBe(10_000); // cwnd = ssthresh, then 1000/10000 of the next SMSS counted
  });

  it('rejects a bad MSS with TcpError EINVAL', () => {
    for (const mss of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => newReno(mss)).toThrow(TcpError);
      try {
        newReno(mss);
      } catch (e) {
        expect((e as TcpError).code).toBe('EINVAL');
      }
    }
  });

  describeCongestionControlProperties(newReno);
});
