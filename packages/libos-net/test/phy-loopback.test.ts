import { createLoopback, PhyError } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { describe, expect, it } from 'vitest';

describeNetDevice('loopback (MTU 1500)', {
  create: async () => {
    const lo = createLoopback();
    return { device: lo, peer: lo };
  },
});

describeNetDevice('loopback (MTU 9000, 4-frame queue)', {
  create: async () => {
    const lo = createLoopback({ maxTransmitUnit: 9000, queueFrames: 4 });
    return { device: lo, peer: lo };
  },
});

describe('createLoopback', () => {
  it('returns transmitted frames to itself and counts', () => {
    const lo = createLoopback({ queueFrames: 2 });
    expect(lo.transmit(60, (f) => f.fill(1))).toBe(true);
    expect(lo.transmit(61, (f) => f.fill(2))).toBe(true);
    expect(lo.transmit(62, () => {})).toBe(false);
    const got: number[][] = [];
    expect(lo.receive((f) => got.push([f.length, f[0]!, f[f.length - 1]!]), 10)).toBe(2);
    expect(got).toEqual([
      [60, 1, 1],
      [61, 2, 2],
    ]);
    expect(lo.stats).toEqual({ transmitted: 2, received: 2, refused: 1 });
  });

  it('never overwrites the frame being read when a reply is sent from the callback', () => {
    const lo = createLoopback({ queueFrames: 2 });
    lo.transmit(60, (f) => f.fill(0xaa));
    lo.transmit(60, (f) => f.fill(0xbb));
    const seen: number[] = [];
    const replies: boolean[] = [];
    lo.receive((f) => {
      // One slot is queued and one is lent to us: the reply must not take the lent slot.
      replies.push(lo.transmit(60, (g) => g.fill(0xcc)));
      seen.push(f[0]!, f[59]!);
    }, 1);
    expect(replies).toEqual([false]);
    expect(seen).toEqual([0xaa, 0xaa]);
    lo.receive((f) => {
      replies.push(lo.transmit(60, (g) => g.fill(0xcc))); // one slot is free now
      seen.push(f[0]!, f[59]!);
    }, 1);
    expect(replies).toEqual([false, true]);
    expect(seen).toEqual([0xaa, 0xaa, 0xbb, 0xbb]);
    const rest: number[] = [];
    lo.receive((f) => rest.push(f[0]!), 10);
    expect(rest).toEqual([0xcc]);
  });

  it('defaults to the all-zero MAC and rejects bad options with a code', () => {
    expect([...createLoopback().macAddress]).toEqual([0, 0, 0, 0, 0, 0]);
    for (const bad of [
      { queueFrames: 0 },
      { maxTransmitUnit: 67 },
      { macAddress: new Uint8Array(7) },
    ]) {
      let caught: unknown;
      try {
        createLoopback(bad);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(PhyError);
      expect((caught as PhyError).code).toBe('INVALID_OPTION');
    }
  });
});
