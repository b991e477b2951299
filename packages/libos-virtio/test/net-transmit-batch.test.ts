/**
 * VirtioNetDriver `transmitBatch`: frames are published and the device notified once
 * per batch — and by flush, poll, receive, close, and when transmit runs out of
 * buffers — so no frame is ever left behind by a run loop.
 */
import { describe, expect, it } from 'vitest';
import { netRig, testFrame } from './net-fixture.js';

type Rig = Awaited<ReturnType<typeof netRig>>;

function atWire(rig: Rig): number {
  let n = 0;
  while (rig.wire.receive(() => n++, 64) > 0);
  return n;
}

function send(rig: Rig, count: number, seed = 1): void {
  for (let i = 0; i < count; i++) {
    const f = testFrame(seed + i, 60, rig.wire.macAddress, rig.driver.macAddress);
    expect(rig.driver.transmit(f.length, (b) => b.set(f))).toBe(true);
  }
}

describe('VirtioNetDriver transmitBatch', () => {
  it('holds frames until the batch is full, then sends all of them with one doorbell', async () => {
    const rig = await netRig({ driver: { transmitBatch: 4 } });
    send(rig, 3);
    rig.model.poll(); // the device cannot see unpublished frames
    expect(atWire(rig)).toBe(0);
    send(rig, 1, 10);
    expect(atWire(rig)).toBe(4);
    expect(rig.model.stats.txFrames).toBe(4);
  });

  it('flush, poll and receive publish a partial batch', async () => {
    const rig = await netRig({ driver: { transmitBatch: 8 } });
    send(rig, 2);
    rig.driver.flush();
    expect(atWire(rig)).toBe(2);
    send(rig, 3);
    rig.driver.poll();
    expect(atWire(rig)).toBe(3);
    send(rig, 1);
    expect(rig.driver.receive(() => {}, 8)).toBe(0);
    expect(atWire(rig)).toBe(1);
    rig.driver.flush(); // nothing pending: no effect
    expect(atWire(rig)).toBe(0);
  });

  it('running out of transmit buffers publishes the batch and reclaims', async () => {
    const rig = await netRig({ driver: { transmitBatch: 8, queueSize: 8 } });
    send(rig, 8); // the 8th fills the batch
    expect(atWire(rig)).toBe(8);
    send(rig, 7);
    send(rig, 1); // batch full again: sent
    send(rig, 3); // the pool was empty: the flush inside transmit let the device return buffers
    rig.driver.flush();
    expect(atWire(rig)).toBe(11);
  });

  it('close sends what is pending first', async () => {
    const rig = await netRig({ driver: { transmitBatch: 16 } });
    send(rig, 5);
    await rig.driver.close();
    expect(atWire(rig)).toBe(5);
  });

  it('rejects a batch outside 1..queue size', async () => {
    await expect(netRig({ driver: { transmitBatch: 0 } })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
    await expect(netRig({ driver: { transmitBatch: 300 } })).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
  });
});
