import {
  BlockDeviceError,
  FaultyBlockDevice,
  PowerLossBlockDevice,
  RamDisk,
  TracingBlockDevice,
} from '@libos/fs';
import { describeBlockDevice } from '@libos/fs/testing';
import { SeededEntropy } from '@libos/sched';
import { describe, expect, it } from 'vitest';
import { DeferredDisk, fill, firstDiff, settle } from './block-helpers.js';

const S = 512;

describeBlockDevice('FaultyBlockDevice (no rules)', {
  create: async () => ({ device: new FaultyBlockDevice(new RamDisk({ sectorCount: 128 })) }),
  createReadOnly: async () => ({
    device: new FaultyBlockDevice(new RamDisk({ sectorCount: 128, readOnly: true })),
  }),
});

describeBlockDevice('FaultyBlockDevice (rule on a sector the suite does not use)', {
  create: async () => {
    const device = new FaultyBlockDevice(new RamDisk({ sectorCount: 128 }));
    device.addRule({ ops: ['read', 'write'], start: 100 });
    return { device };
  },
});

describeBlockDevice('TracingBlockDevice', {
  create: async () => ({ device: new TracingBlockDevice(new RamDisk({ sectorCount: 128 })) }),
  createReadOnly: async () => ({
    device: new TracingBlockDevice(new RamDisk({ sectorCount: 128, readOnly: true })),
  }),
});

describeBlockDevice('PowerLossBlockDevice', {
  create: async () => ({ device: new PowerLossBlockDevice(new RamDisk({ sectorCount: 128 })) }),
  createReadOnly: async () => ({
    device: new PowerLossBlockDevice(new RamDisk({ sectorCount: 128, readOnly: true })),
  }),
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof BlockDeviceError ? e.code : `other: ${String(e)}`;
  }
}

describe('FaultyBlockDevice', () => {
  it('fails reads and writes touching a bad range; a failed write writes nothing', async () => {
    const ram = new RamDisk({ sectorCount: 64 });
    const d = new FaultyBlockDevice(ram);
    d.addRule({ ops: ['write'], start: 10, count: 2 });
    expect(await code(d.write(8, fill(1, 3 * S)))).toBe('EIO'); // 8..10 touches 10
    expect(ram.contents.subarray(8 * S, 11 * S).every((b) => b === 0)).toBe(true);
    expect(await code(d.write(12, fill(1, S)))).toBe('ok');
    expect(await code(d.read(10, new Uint8Array(S)))).toBe('ok'); // writes only
    d.addRule({ ops: ['read'], start: 20 });
    const b = new Uint8Array(S).fill(7);
    expect(await code(d.read(19, new Uint8Array(2 * S)))).toBe('EIO');
    expect(await code(d.read(21, b))).toBe('ok');
    expect(d.injectedFailures).toBe(2);
  });

  it('still reports EINVAL and EROFS before injected errors', async () => {
    const d = new FaultyBlockDevice(new RamDisk({ sectorCount: 8 }));
    d.addRule({ ops: ['read', 'write'] });
    expect(await code(d.write(8, new Uint8Array(S)))).toBe('EINVAL');
    const ro = new FaultyBlockDevice(new RamDisk({ sectorCount: 8, readOnly: true }));
    ro.addRule({ ops: ['write'] });
    expect(await code(ro.write(0, new Uint8Array(S)))).toBe('EROFS');
  });

  it('fails after N matching operations, a limited number of times', async () => {
    const d = new FaultyBlockDevice(new RamDisk({ sectorCount: 8 }));
    d.addRule({ ops: ['write'], after: 2, times: 2 });
    const results: string[] = [];
    for (let i = 0; i < 6; i++) results.push(await code(d.write(i, new Uint8Array(S))));
    expect(results).toEqual(['ok', 'ok', 'EIO', 'EIO', 'ok', 'ok']);
  });

  it('fails flushes and discards by rule, and rules come and go at runtime', async () => {
    const d = new FaultyBlockDevice(new RamDisk({ sectorCount: 8 }));
    const f = d.addRule({ ops: ['flush'] });
    expect(await code(d.flush())).toBe('EIO');
    expect(d.removeRule(f)).toBe(true);
    expect(d.removeRule(f)).toBe(false);
    expect(await code(d.flush())).toBe('ok');
    d.addRule({ ops: ['discard'], start: 3 });
    expect(await code(d.discard!(2, 2))).toBe('EIO');
    expect(await code(d.discard!(4, 2))).toBe('ok');
    d.clearRules();
    expect(await code(d.discard!(2, 2))).toBe('ok');
  });

  it('rejects rules off the device', () => {
    const d = new FaultyBlockDevice(new RamDisk({ sectorCount: 8 }));
    expect(() => d.addRule({ ops: ['read'], start: 8 })).toThrow(BlockDeviceError);
    expect(() => d.addRule({ ops: ['read'], start: 4, count: 5 })).toThrow(BlockDeviceError);
    expect(() => d.addRule({ ops: ['read'], after: -1 })).toThrow(BlockDeviceError);
  });
});

describe('TracingBlockDevice', () => {
  it('records op, range, outcome and start/end order of overlapping requests', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 64 }), 'manual');
    const seen: string[] = [];
    const t = new TracingBlockDevice(deferred, { onRecord: (r) => seen.push(r.op) });
    const a = t.write(1, new Uint8Array(2 * S));
    const b = t.read(5, new Uint8Array(S));
    await settle(1);
    deferred.release(1); // the read finishes first
    await b;
    deferred.release(0);
    await a;
    const flushing = t.flush();
    await settle(1);
    deferred.release(0);
    await flushing;
    await t.read(64, new Uint8Array(S)).catch(() => undefined);
    const r = t.records();
    expect(seen).toEqual(['read', 'write', 'flush', 'read']);
    expect(r.slice(0, 2)).toEqual([
      { op: 'read', sector: 5, count: 1, startSeq: 1, endSeq: 2, outcome: 'ok' },
      { op: 'write', sector: 1, count: 2, startSeq: 0, endSeq: 3, outcome: 'ok' },
    ]);
    expect(r.at(-1)).toMatchObject({ op: 'read', sector: 64, outcome: 'EINVAL' });
  });

  it('keeps only the latest records in its ring', async () => {
    const t = new TracingBlockDevice(new RamDisk({ sectorCount: 64 }), { capacity: 3 });
    for (let i = 0; i < 5; i++) await t.write(i, new Uint8Array(S));
    expect(t.records().map((r) => r.sector)).toEqual([2, 3, 4]);
    t.clear();
    expect(t.records()).toEqual([]);
  });
});

describe('PowerLossBlockDevice', () => {
  async function setup() {
    const ram = new RamDisk({ sectorCount: 64 });
    const d = new PowerLossBlockDevice(ram);
    await d.write(0, fill(1, S));
    await d.flush();
    await d.write(1, fill(2, S));
    await d.write(2, fill(3, 3 * S)); // sectors 2..4
    await d.write(1, fill(4, S)); // overwrites the first unflushed write
    return { ram, d };
  }
  const sector = async (d: PowerLossBlockDevice, s: number) => {
    const b = new Uint8Array(S);
    await d.read(s, b);
    return b;
  };
  const zero = new Uint8Array(S);

  it('reads unflushed writes before the cut; a cut drops them all by default', async () => {
    const { ram, d } = await setup();
    expect(await sector(d, 1)).toEqual(fill(4, S));
    expect(d.unflushedWrites).toBe(3);
    expect(ram.contents.subarray(S, 2 * S)).toEqual(zero); // not on the platter yet
    const report = await d.powerCut();
    expect(report).toEqual({ unflushed: 3, survived: [], torn: null });
    expect(await sector(d, 0)).toEqual(fill(1, S));
    expect(await sector(d, 1)).toEqual(zero);
    expect(await sector(d, 3)).toEqual(zero);
    // After the reboot the disk works as before.
    await d.write(7, fill(9, S));
    await d.flush();
    expect(ram.contents.subarray(7 * S, 8 * S)).toEqual(fill(9, S));
    expect(d.powerCuts).toBe(1);
  });

  it('keeps everything flushed, and a prefix of the rest when asked', async () => {
    const { d } = await setup();
    const report = await d.powerCut({ survivors: 'prefix', keep: 2 });
    expect(report.survived.map((w) => w.index)).toEqual([0, 1]);
    expect(await sector(d, 1)).toEqual(fill(2, S)); // the third write (to 1) was lost
    expect(await sector(d, 4)).toEqual(fill(3, 3 * S).subarray(2 * S));
  });

  it('applies survivors in a seeded random order: reordering can let an older write win', async () => {
    let olderWon = false;
    let newerWon = false;
    for (let seed = 0; seed < 40; seed++) {
      const { d } = await setup();
      const r = await d.powerCut({ survivors: 'all', reorder: true, seed });
      expect(r.survived).toHaveLength(3);
      const s1 = await sector(d, 1);
      if (firstDiff(s1, fill(2, S)) === -1) olderWon = true;
      if (firstDiff(s1, fill(4, S)) === -1) newerWon = true;
      const order = r.survived.map((w) => w.index);
      expect(olderWon || newerWon).toBe(true);
      expect(order.indexOf(0) > order.indexOf(2)).toBe(
        olderWon && firstDiff(s1, fill(2, S)) === -1,
      );
    }
    expect(olderWon && newerWon).toBe(true);
  });

  it('tears the last surviving write: only a proper subset of its sectors lands', async () => {
    const { d } = await setup();
    await d.write(10, fill(5, 8 * S));
    const r = await d.powerCut({ survivors: 'all', tear: true, seed: 3 });
    expect(r.torn).toMatchObject({ index: 3, sector: 10, count: 8 });
    const landed: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const got = await sector(d, 10 + i);
      const want = fill(5, 8 * S).subarray(i * S, (i + 1) * S);
      landed.push(firstDiff(got, want) === -1);
      if (!landed[i]) expect(got).toEqual(zero); // sectors are atomic
    }
    expect(landed.filter(Boolean).length).toBe(r.torn!.sectorsApplied);
    expect(r.torn!.sectorsApplied).toBeLessThan(8);
  });

  it('is deterministic for a seed and for an entropy source', async () => {
    const run = async (opts: Parameters<PowerLossBlockDevice['powerCut']>[0]) => {
      const { ram, d } = await setup();
      const r = await d.powerCut(opts);
      return { r, bytes: ram.contents.slice() };
    };
    const a = await run({ survivors: 'subset', reorder: true, tear: true, seed: 11 });
    const b = await run({ survivors: 'subset', reorder: true, tear: true, seed: 11 });
    expect(b.r).toEqual(a.r);
    expect(firstDiff(a.bytes, b.bytes)).toBe(-1);
    const c = await run({ survivors: 'prefix', entropy: new SeededEntropy(5) });
    const e = await run({ survivors: 'prefix', entropy: new SeededEntropy(5) });
    expect(e.r).toEqual(c.r);
    // Different seeds choose differently somewhere.
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      outcomes.add(JSON.stringify((await run({ survivors: 'subset', seed })).r.survived));
    }
    expect(outcomes.size).toBeGreaterThan(1);
  });

  it('a flush interrupted by the cut rejects with EIO; what it already applied stays', async () => {
    const deferred = new DeferredDisk(new RamDisk({ sectorCount: 64 }), 'manual');
    const d = new PowerLossBlockDevice(deferred);
    await d.write(1, fill(1, S));
    await d.write(2, fill(2, S));
    const flushing = d.flush();
    await settle(1);
    deferred.release(0); // write of sector 1 reaches the platter
    await settle(1);
    const cut = d.powerCut();
    deferred.release(0); // write of sector 2 was already under way
    await expect(flushing).rejects.toMatchObject({ code: 'EIO' });
    await settle(1);
    deferred.release(0); // the cut's own flush
    const r = await cut;
    expect(r.unflushed).toBe(2);
    expect(r.survived.map((w) => w.sector)).toEqual([1, 2]);
    expect(deferred.ram.contents.subarray(S, 2 * S)).toEqual(fill(1, S));
  });

  it('passes the k-th-write workload check: every prefix cut leaves exactly that prefix', async () => {
    const writes = Array.from({ length: 6 }, (_, i) => ({ s: (i * 5) % 7, data: fill(i + 20, S) }));
    for (let k = 0; k <= writes.length; k++) {
      const ram = new RamDisk({ sectorCount: 16 });
      const d = new PowerLossBlockDevice(ram);
      for (const w of writes) await d.write(w.s, w.data);
      await d.powerCut({ survivors: 'prefix', keep: k });
      const model = new RamDisk({ sectorCount: 16 });
      for (const w of writes.slice(0, k)) await model.write(w.s, w.data);
      expect(firstDiff(ram.contents, model.contents)).toBe(-1);
    }
  });
});
