import { createLink } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { describe, expect, it } from 'vitest';

describeNetDevice('in-process link (MTU 1500)', {
  create: async () => {
    const [device, peer] = createLink();
    return { device, peer };
  },
});

describeNetDevice('in-process link (MTU 9000, 4-frame queue)', {
  create: async () => {
    const [device, peer] = createLink({ maxTransmitUnit: 9000, queueFrames: 4 });
    return { device, peer };
  },
});

describe('createLink', () => {
  it('counts transmitted, received and refused frames', () => {
    const [a, b] = createLink({ queueFrames: 2 });
    expect(a.transmit(60, () => {})).toBe(true);
    expect(a.transmit(60, () => {})).toBe(true);
    expect(a.transmit(60, () => {})).toBe(false);
    expect(b.receive(() => {}, 10)).toBe(2);
    expect(a.stats).toEqual({ transmitted: 2, received: 0, refused: 1 });
    expect(b.stats).toEqual({ transmitted: 0, received: 2, refused: 0 });
  });

  it('refuses runt frames and rejects bad options', () => {
    const [a] = createLink();
    expect(a.transmit(13, () => {})).toBe(false);
    expect(() => createLink({ maxTransmitUnit: 67 })).toThrow(RangeError);
    expect(() => createLink({ queueFrames: 0 })).toThrow(RangeError);
    expect(() => createLink({ macA: new Uint8Array(5) })).toThrow(RangeError);
  });
});
