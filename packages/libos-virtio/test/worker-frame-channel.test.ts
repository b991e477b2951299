/**
 * The shared-memory frame channel used by worker virtio-net: byte-exact frames both
 * ways, order across index wrap, back-pressure when full, a refused forward keeps the
 * frame, header validation on attach, and a real cross-thread round trip.
 */
import { Worker } from 'node:worker_threads';
import { createLink } from '@libos/net';
import { FrameChannel, FrameChannelLayout } from '@libos/virtio';
import { afterEach, describe, expect, it } from 'vitest';
import { bounded, pattern, until } from './worker-rig.js';

const ID = { macAddress: Uint8Array.of(2, 0, 0, 0, 0, 9), maxTransmitUnit: 1500 };
const workers: Worker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
});

describe('FrameChannel', () => {
  it('carries frames byte-exact in both directions, in order across many wraps', () => {
    const channel = FrameChannel.create({ slots: 4, slotBytes: 1514 });
    const parent = channel.port('parent', ID);
    const worker = FrameChannel.attach(channel.buffer).port('worker', ID);
    for (let i = 0; i < 50; i++) {
      const a = pattern(i, 14 + ((i * 97) % 1500));
      const b = pattern(1000 + i, 60 + i);
      expect(parent.transmit(a.length, (buf) => buf.set(a))).toBe(true);
      expect(worker.transmit(b.length, (buf) => buf.set(b))).toBe(true);
      const gotA: Uint8Array[] = [];
      const gotB: Uint8Array[] = [];
      expect(worker.receive((f) => gotA.push(f.slice()), 8)).toBe(1);
      expect(parent.receive((f) => gotB.push(f.slice()), 8)).toBe(1);
      expect(gotA).toEqual([a]);
      expect(gotB).toEqual([b]);
    }
  });

  it('refuses when full and for bad lengths without calling fill; frees a slot per receive', () => {
    const channel = FrameChannel.create({ slots: 3, slotBytes: 1514 });
    const parent = channel.port('parent', ID);
    const worker = channel.port('worker', ID);
    const f = pattern(1, 64);
    for (let i = 0; i < 3; i++) expect(parent.transmit(64, (b) => b.set(f))).toBe(true);
    let called = false;
    const mark = (): void => {
      called = true;
    };
    expect(parent.transmit(64, mark)).toBe(false);
    expect(parent.freeSlots).toBe(0);
    expect(worker.pending).toBe(3);
    expect(worker.transmit(13, mark)).toBe(false);
    expect(worker.transmit(1515, mark)).toBe(false);
    expect(called).toBe(false);
    expect(worker.receive(() => {}, 1)).toBe(1);
    expect(parent.freeSlots).toBe(1);
    expect(parent.transmit(64, (b) => b.set(f))).toBe(true);
  });

  it('forwardTo keeps a frame the target refuses', () => {
    const channel = FrameChannel.create({ slots: 8, slotBytes: 1514 });
    const parent = channel.port('parent', ID);
    const worker = channel.port('worker', ID);
    const [target, far] = createLink({ queueFrames: 2 });
    const frames = [1, 2, 3].map((i) => pattern(i, 100));
    for (const f of frames) worker.transmit(f.length, (b) => b.set(f));
    expect(parent.forwardTo(target, 8)).toBe(2); // the link queue holds two
    expect(parent.pending).toBe(1);
    const got: Uint8Array[] = [];
    far.receive((f) => got.push(f.slice()), 8);
    expect(parent.forwardTo(target, 8)).toBe(1);
    far.receive((f) => got.push(f.slice()), 8);
    expect(got).toEqual(frames);
  });

  it('attach refuses a buffer that is not a channel; create refuses bad geometry', () => {
    expect(() => FrameChannel.attach(new SharedArrayBuffer(16))).toThrow(RangeError);
    expect(() => FrameChannel.attach(new SharedArrayBuffer(4096))).toThrow(RangeError);
    expect(() => FrameChannel.create({ slots: 0, slotBytes: 1514 })).toThrow(RangeError);
    expect(() => FrameChannel.create({ slots: 4, slotBytes: 10 })).toThrow(RangeError);
    expect(FrameChannelLayout.bytesFor(4, 1514)).toBe(0x40 + 2 * 4 * (4 + 1516));
  });

  it('round-trips 20,000 frames through a real worker thread', async () => {
    const channel = FrameChannel.create({ slots: 64, slotBytes: 1514 });
    // The worker echoes every frame back (plain JS on the layout: Atomics indices).
    const source = `
      const { workerData } = require('node:worker_threads');
      const { buffer, slots, stride, base } = workerData;
      const w = new Int32Array(buffer); const u8 = new Uint8Array(buffer); const dv = new DataView(buffer);
      const inT = 0x20 / 4, inH = 0x24 / 4, outT = 0x30 / 4, outH = 0x34 / 4, sig = 0x0c / 4, peer = 0x10 / 4;
      for (;;) {
        const seen = Atomics.load(w, sig);
        let moved = 0;
        while (Atomics.load(w, inH) !== Atomics.load(w, inT)) {
          const t = Atomics.load(w, outT);
          if (((t - Atomics.load(w, outH)) >>> 0) >= slots) break;
          const h = Atomics.load(w, inH);
          const src = base + ((h >>> 0) % slots) * stride;
          const dst = base + slots * stride + ((t >>> 0) % slots) * stride;
          const len = dv.getUint32(src, true);
          u8.copyWithin(dst + 4, src + 4, src + 4 + len);
          dv.setUint32(dst, len, true);
          Atomics.store(w, outT, (t + 1) | 0);
          Atomics.store(w, inH, (h + 1) | 0);
          moved++;
        }
        if (moved > 0) { Atomics.add(w, peer, 1); Atomics.notify(w, peer); continue; }
        Atomics.wait(w, sig, seen, 50);
      }`;
    const worker = new Worker(source, {
      eval: true,
      workerData: {
        buffer: channel.buffer,
        slots: 64,
        stride: FrameChannelLayout.stride(1514),
        base: FrameChannelLayout.SLOTS_BASE,
      },
    });
    workers.push(worker);
    const port = channel.port('parent', ID);
    const total = 20_000;
    let sent = 0;
    let bad = 0;
    let got = 0;
    await bounded(
      until(() => {
        while (
          sent < total &&
          port.transmit(60 + (sent % 64), (b) => b.set(pattern(sent, b.length)))
        )
          sent++;
        port.receive((f) => {
          if (f.length !== 60 + (got % 64) || f[20] !== pattern(got, f.length)[20]) bad++;
          got++;
        }, 64);
        return got === total;
      }, 'echo'),
      'echo',
    );
    expect(bad).toBe(0);
    expect(got).toBe(total);
  }, 20_000);
});
