/**
 * The device model against hand-built request chains (a driver that may be hostile):
 * every malformed or refused request gets the status virtio 1.2 §5.2.6 asks for, and
 * chains that cannot carry a status byte break the queue (DEVICE_NEEDS_RESET).
 */
import { DmaAllocator, GuestMemory } from '@libos/mem';
import {
  BLK_CONFIG_SIZE,
  BlkFeature,
  BlkRequestType,
  BlkStatus,
  type BlockBackend,
  BlockDeviceModel,
  type BlockDeviceModelOptions,
  type BufferSegment,
  DeviceStatus,
  DeviceType,
  DriverCore,
  decodeBlkConfig,
  featureMask,
  InlineLink,
  MemoryBlockBackend,
} from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pattern } from './blk-fixture.js';

const ALL_BLK_FEATURES = featureMask(
  BlkFeature.SIZE_MAX,
  BlkFeature.SEG_MAX,
  BlkFeature.RO,
  BlkFeature.BLK_SIZE,
  BlkFeature.FLUSH,
  BlkFeature.DISCARD,
);

/** A memory backend that counts what reaches it. */
class CountingBackend implements BlockBackend {
  readonly inner: MemoryBlockBackend;
  flushes = 0;
  reads = 0;
  writes = 0;
  readonly discards: [number, number][] = [];
  constructor(bytes: number, readOnly = false) {
    this.inner = new MemoryBlockBackend(new Uint8Array(bytes), { readOnly });
  }
  get byteLength(): number {
    return this.inner.byteLength;
  }
  get readOnly(): boolean {
    return this.inner.readOnly;
  }
  read(offset: number, dst: Uint8Array): Promise<void> {
    this.reads++;
    return this.inner.read(offset, dst);
  }
  write(offset: number, src: Uint8Array): Promise<void> {
    this.writes++;
    return this.inner.write(offset, src);
  }
  flush(): Promise<void> {
    this.flushes++;
    return this.inner.flush();
  }
  discard(offset: number, length: number): Promise<void> {
    this.discards.push([offset, length]);
    return this.inner.discard(offset, length);
  }
}

async function rig(backend: BlockBackend, options: BlockDeviceModelOptions = {}) {
  const memory = new GuestMemory(1 << 21);
  const link = new InlineLink(memory);
  const dma = new DmaAllocator(memory, { base: 0x10000, length: (1 << 21) - 0x10000 });
  const model = new BlockDeviceModel({ memory, base: 0x1000, link }, backend, options);
  model.start();
  const waiters = new Map<number, (len: number) => void>();
  const failures: Error[] = [];
  let token = 0;
  const core: DriverCore = await DriverCore.open({
    memory,
    dma,
    base: 0x1000,
    link,
    deviceId: DeviceType.BLOCK,
    features: ALL_BLK_FEATURES,
    queueSizes: [16],
    onUsedBuffers: () => {
      core.queue(0).pollUsed((t, len) => {
        waiters.get(t)?.(len);
        waiters.delete(t);
      });
    },
    onFailure: (e) => failures.push(e),
  });
  const buf = (bytes: Uint8Array): BufferSegment => {
    const r = dma.alloc(Math.max(bytes.length, 1), 16)!;
    r.bytes.set(bytes);
    return { addr: r.addr, len: bytes.length };
  };
  const header = (type: number, sectorLo = 0, sectorHi = 0): Uint8Array => {
    const h = new Uint8Array(16);
    const v = new DataView(h.buffer);
    v.setUint32(0, type, true);
    v.setUint32(8, sectorLo, true);
    v.setUint32(12, sectorHi, true);
    return h;
  };
  /** Submits a chain; resolves with the used length once the device returns it. */
  const submit = (readable: BufferSegment[], writable: BufferSegment[]): Promise<number> =>
    new Promise((resolve) => {
      const t = token++;
      waiters.set(t, resolve);
      expect(core.queue(0).addChain(readable, writable, t)).toBe(true);
      core.kick(0);
    });
  /** A full request: header + data, returns { status, len }. */
  const request = async (
    type: number,
    sectorLo: number,
    opts: { out?: Uint8Array; inLen?: number; sectorHi?: number } = {},
  ) => {
    const readable = [buf(header(type, sectorLo, opts.sectorHi ?? 0))];
    if (opts.out) readable.push(buf(opts.out));
    const writable: BufferSegment[] = [];
    let data: BufferSegment | null = null;
    if (opts.inLen !== undefined) {
      data = buf(new Uint8Array(opts.inLen));
      writable.push(data);
    }
    const status = buf(new Uint8Array([0xff]));
    writable.push(status);
    const len = await submit(readable, writable);
    return {
      status: memory.readU8(status.addr),
      len,
      data: data ? memory.bytes(data.addr, data.len).slice() : null,
    };
  };
  const discardSegments = (...segs: [number, number, number][]): Uint8Array => {
    const out = new Uint8Array(16 * segs.length);
    const v = new DataView(out.buffer);
    segs.forEach(([sector, count, flags], i) => {
      v.setBigUint64(16 * i, BigInt(sector), true);
      v.setUint32(16 * i + 8, count, true);
      v.setUint32(16 * i + 12, flags, true);
    });
    return out;
  };
  return { memory, dma, model, core, failures, buf, header, submit, request, discardSegments };
}

function expectViolation(r: Awaited<ReturnType<typeof rig>>): void {
  const q = r.model.core.queue(0);
  expect(q?.broken).toBe(true);
  expect(q?.violation?.code).toBe('BAD_REQUEST');
  expect(r.model.core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET).toBe(
    DeviceStatus.DEVICE_NEEDS_RESET,
  );
  expect(r.failures.map((e) => (e as { code?: string }).code)).toEqual(['DEVICE_NEEDS_RESET']);
}

describe('virtio-blk device model: configuration and features (§5.2.3, §5.2.4)', () => {
  it('publishes capacity in 512-byte sectors even with 4096-byte blocks', async () => {
    const r = await rig(new MemoryBlockBackend(new Uint8Array(40 * 4096 + 100)), {
      blockSize: 4096,
      queueSize: 64,
      sizeMax: 65536,
    });
    const config = decodeBlkConfig(r.core.transport.readConfig(0, BLK_CONFIG_SIZE));
    expect(config.capacity).toBe(320n); // 40 whole blocks; the partial one is not exposed
    expect(config.blkSize).toBe(4096);
    expect(config.segMax).toBe(62);
    expect(config.sizeMax).toBe(65536);
    expect(config.discardSectorAlignment).toBe(8);
    expect(config.maxDiscardSeg).toBe(16);
    for (const bit of [
      BlkFeature.SEG_MAX,
      BlkFeature.SIZE_MAX,
      BlkFeature.BLK_SIZE,
      BlkFeature.FLUSH,
      BlkFeature.DISCARD,
    ]) {
      expect(r.core.has(bit), `feature ${bit}`).toBe(true);
    }
    expect(r.core.has(BlkFeature.RO)).toBe(false);
  });

  it('offers RO for a read-only backend and no DISCARD without backend support', async () => {
    const backend: BlockBackend = {
      byteLength: 8192,
      readOnly: true,
      read: async (_o, dst) => {
        dst.fill(3);
      },
      write: async () => {},
      flush: async () => {},
    };
    const r = await rig(backend);
    expect(r.core.has(BlkFeature.RO)).toBe(true);
    expect(r.core.has(BlkFeature.DISCARD)).toBe(false);
    const config = decodeBlkConfig(r.core.transport.readConfig(0, BLK_CONFIG_SIZE));
    expect(config.maxDiscardSectors).toBe(0);
  });
});

describe('virtio-blk device model: request statuses (§5.2.6)', () => {
  it('reads and writes whole sectors; the used length covers data + status', async () => {
    const r = await rig(new CountingBackend(64 * 512));
    const data = pattern(1, 1024);
    const w = await r.request(BlkRequestType.OUT, 3, { out: data });
    expect(w).toMatchObject({ status: BlkStatus.OK, len: 1 });
    const rd = await r.request(BlkRequestType.IN, 3, { inLen: 1024 });
    expect(rd.status).toBe(BlkStatus.OK);
    expect(rd.len).toBe(1025);
    expect(rd.data).toEqual(data);
  });

  it('answers an unknown type (and unimplemented ones) with UNSUPP', async () => {
    const r = await rig(new CountingBackend(64 * 512));
    for (const type of [
      99,
      BlkRequestType.GET_LIFETIME,
      BlkRequestType.WRITE_ZEROES,
      0xffff_ffff,
    ]) {
      expect((await r.request(type, 0)).status, `type ${type}`).toBe(BlkStatus.UNSUPP);
    }
    expect(r.model.core.queue(0)?.broken).toBe(false);
  });

  it('answers a sector range past capacity with IOERR, exactly at the edge', async () => {
    const backend = new CountingBackend(64 * 512);
    const r = await rig(backend);
    expect((await r.request(BlkRequestType.IN, 63, { inLen: 512 })).status).toBe(BlkStatus.OK);
    expect((await r.request(BlkRequestType.IN, 63, { inLen: 1024 })).status).toBe(BlkStatus.IOERR);
    expect((await r.request(BlkRequestType.IN, 64, { inLen: 512 })).status).toBe(BlkStatus.IOERR);
    expect((await r.request(BlkRequestType.OUT, 64, { out: new Uint8Array(512) })).status).toBe(
      BlkStatus.IOERR,
    );
    // A u64 sector whose low word is in range: the high word must not be lost.
    expect((await r.request(BlkRequestType.IN, 0, { inLen: 512, sectorHi: 1 })).status).toBe(
      BlkStatus.IOERR,
    );
    expect(
      (await r.request(BlkRequestType.IN, 0xffff_ffff, { inLen: 512, sectorHi: 0xffff_ffff }))
        .status,
    ).toBe(BlkStatus.IOERR);
    expect(backend.reads).toBe(1);
  });

  it('refuses a write to a read-only device with IOERR and writes nothing (§5.2.6.2)', async () => {
    const backend = new CountingBackend(64 * 512, true);
    const r = await rig(backend);
    const w = await r.request(BlkRequestType.OUT, 0, { out: pattern(2, 512) });
    expect(w.status).toBe(BlkStatus.IOERR);
    expect(backend.writes).toBe(0);
    expect(backend.inner.bytes.every((b) => b === 0)).toBe(true);
    const d = await r.request(BlkRequestType.DISCARD, 0, { out: r.discardSegments([0, 1, 0]) });
    expect(d.status).toBe(BlkStatus.IOERR);
    expect(backend.discards).toEqual([]);
    // Reads still work.
    expect((await r.request(BlkRequestType.IN, 0, { inLen: 512 })).status).toBe(BlkStatus.OK);
  });

  it('answers data that is not a multiple of 512 bytes, or on the wrong side, with IOERR', async () => {
    const backend = new CountingBackend(64 * 512);
    const r = await rig(backend);
    expect((await r.request(BlkRequestType.IN, 0, { inLen: 513 })).status).toBe(BlkStatus.IOERR);
    expect((await r.request(BlkRequestType.OUT, 0, { out: new Uint8Array(100) })).status).toBe(
      BlkStatus.IOERR,
    );
    // IN carrying device-readable data, OUT carrying device-writable data.
    expect(
      (await r.request(BlkRequestType.IN, 0, { out: new Uint8Array(512), inLen: 512 })).status,
    ).toBe(BlkStatus.IOERR);
    expect(
      (await r.request(BlkRequestType.OUT, 0, { out: new Uint8Array(512), inLen: 512 })).status,
    ).toBe(BlkStatus.IOERR);
    expect(backend.reads + backend.writes).toBe(0);
  });

  it('serves headers and data split over several descriptors', async () => {
    const r = await rig(new CountingBackend(64 * 512));
    const h = r.header(BlkRequestType.OUT, 5);
    const data = pattern(3, 1536);
    const status = r.buf(new Uint8Array([0xff]));
    await r.submit(
      [
        r.buf(h.subarray(0, 7)),
        r.buf(h.subarray(7)),
        r.buf(data.subarray(0, 100)),
        r.buf(data.subarray(100)),
      ],
      [status],
    );
    expect(r.memory.readU8(status.addr)).toBe(BlkStatus.OK);
    const parts = [r.buf(new Uint8Array(512)), r.buf(new Uint8Array(1000))];
    const st2 = r.buf(new Uint8Array([0xff]));
    // The status byte shares the last writable descriptor with the data's tail.
    const tail = r.buf(new Uint8Array(25));
    const len = await r.submit([r.buf(r.header(BlkRequestType.IN, 5))], [...parts, tail]);
    expect(len).toBe(1537);
    const back = new Uint8Array(1536);
    back.set(r.memory.bytes(parts[0]!.addr, 512), 0);
    back.set(r.memory.bytes(parts[1]!.addr, 1000), 512);
    back.set(r.memory.bytes(tail.addr, 24), 1512);
    expect(back).toEqual(data);
    expect(r.memory.readU8(tail.addr + 24)).toBe(BlkStatus.OK);
    expect(r.memory.readU8(st2.addr)).toBe(0xff); // untouched
  });

  it('GET_ID returns the configured 20-byte serial; a short buffer gets IOERR', async () => {
    const r = await rig(new CountingBackend(64 * 512), { serial: 'disk-42' });
    const id = await r.request(BlkRequestType.GET_ID, 0, { inLen: 20 });
    expect(id.status).toBe(BlkStatus.OK);
    expect(id.len).toBe(21);
    const expected = new Uint8Array(20);
    expected.set(new TextEncoder().encode('disk-42'));
    expect(id.data).toEqual(expected);
    expect((await r.request(BlkRequestType.GET_ID, 0, { inLen: 19 })).status).toBe(BlkStatus.IOERR);
    const full = await rig(new CountingBackend(64 * 512), { serial: 'ABCDEFGHIJKLMNOPQRST' });
    const f = await full.request(BlkRequestType.GET_ID, 0, { inLen: 20 });
    expect(new TextDecoder().decode(f.data!)).toBe('ABCDEFGHIJKLMNOPQRST'); // no NUL when 20 long
  });

  it('FLUSH reaches the backend', async () => {
    const backend = new CountingBackend(64 * 512);
    const r = await rig(backend);
    expect((await r.request(BlkRequestType.FLUSH, 0)).status).toBe(BlkStatus.OK);
    expect((await r.request(BlkRequestType.FLUSH, 0)).status).toBe(BlkStatus.OK);
    expect(backend.flushes).toBe(2);
  });

  it('a failing backend gives IOERR', async () => {
    const backend: BlockBackend = {
      byteLength: 8192,
      readOnly: false,
      read: () => Promise.reject(new Error('media error')),
      write: () => {
        throw new Error('sync failure');
      },
      flush: () => Promise.reject(new Error('no')),
    };
    const r = await rig(backend);
    expect((await r.request(BlkRequestType.IN, 0, { inLen: 512 })).status).toBe(BlkStatus.IOERR);
    expect((await r.request(BlkRequestType.OUT, 0, { out: new Uint8Array(512) })).status).toBe(
      BlkStatus.IOERR,
    );
    expect((await r.request(BlkRequestType.FLUSH, 0)).status).toBe(BlkStatus.IOERR);
    expect(r.model.inFlight).toBe(0);
  });
});

describe('virtio-blk device model: DISCARD segments (§5.2.6)', () => {
  it('discards valid segments on the backend', async () => {
    const backend = new CountingBackend(64 * 512);
    backend.inner.bytes.fill(9);
    const r = await rig(backend);
    const d = await r.request(BlkRequestType.DISCARD, 0, {
      out: r.discardSegments([2, 3, 0], [10, 1, 0]),
    });
    expect(d.status).toBe(BlkStatus.OK);
    expect(backend.discards).toEqual([
      [1024, 1536],
      [5120, 512],
    ]);
    expect(backend.inner.bytes[1024]).toBe(0);
    expect(backend.inner.bytes[1023]).toBe(9);
  });

  it('refuses bad segments before discarding anything', async () => {
    const backend = new CountingBackend(64 * 512);
    const r = await rig(backend, { maxDiscardSegments: 2 });
    const seg = r.discardSegments;
    const cases: [Uint8Array, number][] = [
      [seg([0, 1, 1]), BlkStatus.UNSUPP], // unmap MUST be 0 for discard (§5.2.6.2)
      [seg([0, 1, 0x8000_0000]), BlkStatus.UNSUPP], // a reserved flag
      [seg([0, 1, 0], [63, 2, 0]), BlkStatus.IOERR], // second segment past capacity
      [seg([0, 1, 0], [1, 1, 0], [2, 1, 0]), BlkStatus.IOERR], // more than max_discard_seg
      [seg([0, 0, 0]), BlkStatus.IOERR], // empty range
      [new Uint8Array(20), BlkStatus.IOERR], // not whole 16-byte segments
      [new Uint8Array(0), BlkStatus.IOERR], // no segment at all
    ];
    for (const [body, status] of cases) {
      const d = await r.request(BlkRequestType.DISCARD, 0, body.length ? { out: body } : {});
      expect(d.status).toBe(status);
    }
    expect(backend.discards).toEqual([]);
  });

  it('checks discard_sector_alignment for 4096-byte blocks', async () => {
    const backend = new CountingBackend(16 * 4096);
    const r = await rig(backend, { blockSize: 4096 });
    expect(
      (await r.request(BlkRequestType.DISCARD, 0, { out: r.discardSegments([1, 8, 0]) })).status,
    ).toBe(BlkStatus.IOERR);
    expect(
      (await r.request(BlkRequestType.DISCARD, 0, { out: r.discardSegments([8, 4, 0]) })).status,
    ).toBe(BlkStatus.IOERR);
    expect(
      (await r.request(BlkRequestType.DISCARD, 0, { out: r.discardSegments([8, 8, 0]) })).status,
    ).toBe(BlkStatus.OK);
    expect(backend.discards).toEqual([[4096, 4096]]);
  });

  it('answers DISCARD with UNSUPP when the backend cannot discard', async () => {
    const inner = new MemoryBlockBackend(new Uint8Array(8192));
    const backend: BlockBackend = {
      byteLength: inner.byteLength,
      readOnly: false,
      read: (o, d) => inner.read(o, d),
      write: (o, s) => inner.write(o, s),
      flush: () => inner.flush(),
    };
    const r = await rig(backend);
    const d = await r.request(BlkRequestType.DISCARD, 0, { out: r.discardSegments([0, 1, 0]) });
    expect(d.status).toBe(BlkStatus.UNSUPP);
  });
});

describe('virtio-blk device model: malformed chains are violations', () => {
  it('a header shorter than 16 bytes breaks the queue (DEVICE_NEEDS_RESET)', async () => {
    const backend = new CountingBackend(64 * 512);
    const r = await rig(backend);
    const status = r.buf(new Uint8Array([0xff]));
    expect(r.core.queue(0).addChain([r.buf(new Uint8Array(15))], [status], 1)).toBe(true);
    expect(() => r.core.kick(0)).not.toThrow();
    expectViolation(r);
    expect(r.memory.readU8(status.addr)).toBe(0xff); // nothing written
  });

  it('a chain without a writable status byte breaks the queue', async () => {
    const r = await rig(new CountingBackend(64 * 512));
    expect(
      r.core
        .queue(0)
        .addChain([r.buf(r.header(BlkRequestType.OUT, 0)), r.buf(new Uint8Array(512))], [], 1),
    ).toBe(true);
    r.core.kick(0);
    expectViolation(r);
  });

  it('a chain with only a zero-length writable descriptor breaks the queue', async () => {
    const r = await rig(new CountingBackend(64 * 512));
    const hdr = r.buf(r.header(BlkRequestType.FLUSH, 0));
    expect(r.core.queue(0).addChain([hdr], [{ addr: hdr.addr, len: 0 }], 1)).toBe(true);
    r.core.kick(0);
    expectViolation(r);
  });
});

describe('virtio-blk device model: reset with requests in flight', () => {
  it('drops completions that arrive after a reset, writing nothing', async () => {
    let release: (() => void) | null = null;
    const backend: BlockBackend = {
      byteLength: 8192,
      readOnly: false,
      read: (_o, dst) =>
        new Promise<void>((resolve) => {
          release = () => {
            dst.fill(0xab);
            resolve();
          };
        }),
      write: async () => {},
      flush: async () => {},
    };
    const r = await rig(backend);
    const status = r.buf(new Uint8Array([0xff]));
    const data = r.buf(new Uint8Array(512));
    r.core.queue(0).addChain([r.buf(r.header(BlkRequestType.IN, 0))], [data, status], 1);
    r.core.kick(0);
    expect(r.model.inFlight).toBe(1);
    await r.core.close(); // status 0: device reset
    expect(r.model.inFlight).toBe(0);
    expect(release).not.toBeNull();
    release!();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(r.memory.readU8(status.addr)).toBe(0xff);
  });
});

describe('virtio-blk device model: random requests (fast-check)', () => {
  it('answers every well-framed request with exactly one of OK / IOERR / UNSUPP, as the spec says', async () => {
    const backend = new CountingBackend(64 * 512);
    const r = await rig(backend);
    const known = new Set<number>([
      BlkRequestType.IN,
      BlkRequestType.OUT,
      BlkRequestType.FLUSH,
      BlkRequestType.GET_ID,
      BlkRequestType.DISCARD,
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(0, 1, 4, 8, 11), fc.nat(0xffff_ffff)),
        fc.oneof(fc.nat(70), fc.nat(0xffff_ffff)),
        fc.oneof(fc.constant(0), fc.nat(0xffff_ffff)),
        fc.oneof(fc.constant(0), fc.constantFrom(16, 512, 1024), fc.nat(2000)),
        fc.oneof(fc.constant(0), fc.constantFrom(20, 512, 1024), fc.nat(2000)),
        async (type, sectorLo, sectorHi, outLen, inLen) => {
          const res = await r.request(type, sectorLo, {
            sectorHi,
            ...(outLen > 0 ? { out: pattern(outLen, outLen) } : {}),
            ...(inLen > 0 ? { inLen } : {}),
          });
          expect([BlkStatus.OK, BlkStatus.IOERR, BlkStatus.UNSUPP]).toContain(res.status);
          if (!known.has(type)) expect(res.status).toBe(BlkStatus.UNSUPP);
          if (
            res.status === BlkStatus.OK &&
            (type === BlkRequestType.IN || type === BlkRequestType.OUT)
          ) {
            const length = type === BlkRequestType.IN ? inLen : outLen;
            expect(sectorHi).toBe(0);
            expect(length % 512).toBe(0);
            expect(sectorLo * 512 + length).toBeLessThanOrEqual(64 * 512);
          }
          expect(res.len).toBeLessThanOrEqual(inLen + 1);
        },
      ),
      { numRuns: 300 },
    );
    expect(r.model.core.queue(0)?.broken).toBe(false);
    expect(r.failures).toEqual([]);
    expect(r.model.inFlight).toBe(0);
  });
});
