import { createLink, type FaultConfig, FaultInjector, type NetDevice, PhyError } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { VirtualClock } from '@libos/sched';
import { describe, expect, it } from 'vitest';

const NO_FAULTS: FaultConfig = {
  dropProbability: 0,
  duplicateProbability: 0,
  corruptProbability: 0,
  reorderProbability: 0,
  delayMicros: 0,
};

describeNetDevice('FaultInjector with every fault at 0', {
  create: async () => {
    const [inner, peer] = createLink();
    const device = new FaultInjector(inner, {
      seed: 1,
      clock: new VirtualClock(),
      rx: NO_FAULTS,
      tx: NO_FAULTS,
    });
    return { device, peer, settle: async () => void device.poll() };
  },
});

describeNetDevice('FaultInjector (no faults) over a 4-frame link with a 2-frame holding queue', {
  create: async () => {
    const [inner, peer] = createLink({ queueFrames: 4 });
    const device = new FaultInjector(inner, { seed: 9, clock: new VirtualClock(), queueFrames: 2 });
    return { device, peer, settle: async () => void device.poll() };
  },
});

/** Writes the test frame carrying `seq` in bytes 14..15 and a pattern after it. */
function writeSeq(f: Uint8Array, seq: number): void {
  f.fill(0);
  f[12] = 0x88;
  f[13] = 0xb5;
  f[14] = seq >> 8;
  f[15] = seq & 0xff;
  for (let i = 16; i < f.length; i++) f[i] = (i * 7 + seq) & 0xff;
}

function sendSeq(device: NetDevice, seq: number, length = 64): boolean {
  return device.transmit(length, (f) => writeSeq(f, seq));
}

function collect(device: NetDevice): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (device.receive((f) => out.push(f.slice()), 64) > 0) {}
  return out;
}

const seqOf = (f: Uint8Array): number => (f[14]! << 8) | f[15]!;

/** Sends `count` frames through a tx-faulty injector (polling and draining as it goes). */
function runTx(
  seed: number,
  tx: FaultConfig,
  count: number,
  step = 0,
): { out: Uint8Array[]; inj: FaultInjector } {
  const clock = new VirtualClock();
  const [a, b] = createLink({ queueFrames: 256 });
  const inj = new FaultInjector(a, { seed, clock, tx, queueFrames: 256 });
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    expect(sendSeq(inj, i)).toBe(true);
    clock.advanceBy(step);
    inj.poll();
    out.push(...collect(b));
  }
  for (let guard = 0; guard < 100 && inj.pollAt() !== undefined; guard++) {
    clock.advanceTo(Math.max(clock.now(), inj.pollAt()!));
    inj.poll();
    out.push(...collect(b));
  }
  return { out, inj };
}

describe('FaultInjector', () => {
  it('drops about the configured share of frames, for fixed seeds', () => {
    for (const seed of [1, 2, 3]) {
      const { out, inj } = runTx(seed, { dropProbability: 0.3 }, 5000);
      expect(inj.txStats.frames).toBe(5000);
      expect(inj.txStats.dropped).toBeGreaterThan(1350);
      expect(inj.txStats.dropped).toBeLessThan(1650);
      expect(out.length).toBe(5000 - inj.txStats.dropped);
      expect(inj.txStats.passed).toBe(out.length);
      const seqs = out.map(seqOf);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y)); // order kept
    }
  });

  it('corrupts by flipping exactly one bit, and duplicates', () => {
    const { out, inj } = runTx(7, { corruptProbability: 0.2, duplicateProbability: 0.1 }, 2000);
    expect(inj.txStats.corrupted).toBeGreaterThan(320);
    expect(inj.txStats.corrupted).toBeLessThan(480);
    expect(inj.txStats.duplicated).toBeGreaterThan(140);
    expect(inj.txStats.duplicated).toBeLessThan(260);
    expect(out.length).toBe(2000 + inj.txStats.duplicated);
    let flipped = 0;
    for (const frame of out) {
      // Rebuild the frame the sender meant, from its (possibly damaged) sequence bytes,
      // and count differing bits; a hit on the sequence bytes shows as a different pattern.
      let best = Number.POSITIVE_INFINITY;
      for (const seq of [
        seqOf(frame),
        ...Array.from({ length: 16 }, (_, k) => seqOf(frame) ^ (1 << k)),
      ]) {
        const ref = new Uint8Array(64);
        writeSeq(ref, seq);
        let bits = 0;
        for (let i = 0; i < 64; i++) {
          let d = frame[i]! ^ ref[i]!;
          while (d) {
            bits += d & 1;
            d >>= 1;
          }
        }
        best = Math.min(best, bits);
      }
      expect(best).toBeLessThanOrEqual(1);
      flipped += best;
    }
    // Each corrupted frame shows one flipped bit (a duplicate of one shows it too).
    expect(flipped).toBeGreaterThanOrEqual(inj.txStats.corrupted);
  });

  it('is deterministic: same seed and input, same output; another seed differs', () => {
    const faults: FaultConfig = {
      dropProbability: 0.1,
      duplicateProbability: 0.1,
      corruptProbability: 0.1,
      reorderProbability: 0.1,
      delayMicros: 50,
    };
    const first = runTx(1234, faults, 500, 10);
    const again = runTx(1234, faults, 500, 10);
    const other = runTx(4321, faults, 500, 10);
    expect(again.out).toEqual(first.out);
    expect(again.inj.txStats).toEqual(first.inj.txStats);
    expect(other.out).not.toEqual(first.out);
    expect(first.inj.txStats.reordered).toBeGreaterThan(20);
  });

  it('reorders: a held frame comes right after the next one, or alone at its deadline', () => {
    const { out, inj } = runTx(1, { reorderProbability: 1 }, 6);
    expect(out.map(seqOf)).toEqual([1, 0, 3, 2, 5, 4]);
    expect(inj.txStats.reordered).toBe(3);

    const clock = new VirtualClock();
    const [a, b] = createLink();
    const lone = new FaultInjector(a, {
      seed: 1,
      clock,
      tx: { reorderProbability: 1, reorderHoldMicros: 300 },
    });
    sendSeq(lone, 0);
    expect(collect(b)).toEqual([]);
    expect(lone.pollAt()).toBe(300);
    clock.advanceTo(299);
    expect(lone.poll()).toBe(0);
    clock.advanceTo(300);
    expect(lone.poll()).toBe(1);
    expect(collect(b).map(seqOf)).toEqual([0]);
    expect(lone.pollAt()).toBeUndefined();
  });

  it('delays transmitted frames until now >= due and reports pollAt', () => {
    const clock = new VirtualClock(1000);
    const [a, b] = createLink();
    const inj = new FaultInjector(a, { seed: 5, clock, tx: { delayMicros: 250 } });
    expect(inj.pollAt()).toBeUndefined();
    sendSeq(inj, 1);
    clock.advanceTo(1100);
    sendSeq(inj, 2);
    expect(inj.pollAt()).toBe(1250);
    clock.advanceTo(1249);
    inj.poll();
    expect(collect(b)).toEqual([]);
    clock.advanceTo(1250);
    expect(inj.poll()).toBe(1);
    expect(collect(b).map(seqOf)).toEqual([1]);
    expect(inj.pollAt()).toBe(1350);
    clock.advanceTo(2000);
    inj.poll();
    expect(collect(b).map(seqOf)).toEqual([2]);
  });

  it('delays received frames until receive is called at or after their due time', () => {
    const clock = new VirtualClock();
    const [a, b] = createLink();
    const inj = new FaultInjector(a, { seed: 5, clock, rx: { delayMicros: 100 } });
    sendSeq(b, 1);
    sendSeq(b, 2);
    expect(collect(inj)).toEqual([]);
    expect(inj.pollAt()).toBe(100);
    clock.advanceTo(100);
    const got: number[] = [];
    expect(inj.receive((f) => got.push(seqOf(f)), 1)).toBe(1);
    expect(inj.receive((f) => got.push(seqOf(f)), 8)).toBe(1);
    expect(got).toEqual([1, 2]);
    expect(inj.rxStats.passed).toBe(2);
  });

  it('polices frames per interval and bytes per second under a fake clock', () => {
    const clock = new VirtualClock();
    const [a, b] = createLink({ queueFrames: 64 });
    const inj = new FaultInjector(a, {
      seed: 1,
      clock,
      tx: { rateLimit: { framesPerInterval: 5, intervalMicros: 1000 } },
    });
    for (let i = 0; i < 10; i++) sendSeq(inj, i);
    expect(collect(b).map(seqOf)).toEqual([0, 1, 2, 3, 4]);
    clock.advanceTo(999);
    sendSeq(inj, 10);
    clock.advanceTo(1000);
    for (let i = 11; i < 20; i++) sendSeq(inj, i);
    expect(collect(b).map(seqOf)).toEqual([11, 12, 13, 14, 15]);
    clock.advanceTo(2500); // window [2000, 3000)
    for (let i = 20; i < 30; i++) sendSeq(inj, i);
    expect(collect(b)).toHaveLength(5);
    expect(inj.txStats.rateLimited).toBe(5 + 1 + 4 + 5);

    const bytes = new FaultInjector(createLink()[0], {
      seed: 1,
      clock: new VirtualClock(),
      tx: { rateLimit: { bytesPerSecond: 1_000_000, burstBytes: 640 } },
    });
    for (let i = 0; i < 20; i++) sendSeq(bytes, i); // 64-byte frames: 10 fit the burst
    expect(bytes.txStats.passed).toBe(10);
    expect(bytes.txStats.rateLimited).toBe(10);
  });

  it('refills the byte bucket with time', () => {
    const clock = new VirtualClock();
    const [a, b] = createLink({ queueFrames: 64 });
    const inj = new FaultInjector(a, {
      seed: 1,
      clock,
      rx: { rateLimit: { bytesPerSecond: 640_000, burstBytes: 128 } }, // 64 B per 100 µs
    });
    for (let i = 0; i < 4; i++) sendSeq(b, i);
    expect(collect(inj).map(seqOf)).toEqual([0, 1]);
    for (let i = 4; i < 8; i++) sendSeq(b, i);
    clock.advanceTo(100);
    expect(collect(inj).map(seqOf)).toEqual([4]);
    expect(inj.rxStats.rateLimited).toBe(5);
  });

  it('drops frames above maxFrameSize and refuses when the holding queue is full', () => {
    const { out, inj } = runTx(1, { maxFrameSize: 100 }, 0);
    expect(out).toEqual([]);
    expect(sendSeq(inj, 1, 101)).toBe(true);
    expect(sendSeq(inj, 2, 100)).toBe(true);
    expect(inj.txStats.oversize).toBe(1);

    const [a] = createLink({ queueFrames: 1 });
    const full = new FaultInjector(a, { seed: 1, clock: new VirtualClock(), queueFrames: 2 });
    const accepted = [0, 1, 2, 3, 4].map((i) => sendSeq(full, i));
    expect(accepted).toEqual([true, true, true, false, false]); // 1 in the link, 2 held
    expect(full.txStats.refused).toBe(2);
    expect(full.pollAt()).toBe(0); // waiting for the link: poll now
  });

  it('rejects out-of-range settings with INVALID_OPTION', () => {
    const [a] = createLink();
    const clock = new VirtualClock();
    for (const tx of [
      { dropProbability: 1.5 },
      { corruptProbability: -0.1 },
      { delayMicros: -1 },
      { maxFrameSize: 0 },
      { rateLimit: { bytesPerSecond: 0 } },
      { rateLimit: { framesPerInterval: 1.5 } },
    ] satisfies FaultConfig[]) {
      expect(() => new FaultInjector(a, { seed: 1, clock, tx })).toThrow(PhyError);
    }
  });
});
