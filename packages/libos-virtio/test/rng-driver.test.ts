/**
 * virtio-rng (virtio 1.2 §5.4): EntropyDriver against EntropyDeviceModel, inline, with a
 * seeded, recording backend — every byte the driver hands out must be the device's
 * stream, in order, exactly once.
 */
import { DeviceStatus, EntropyDriver, EntropyError } from '@libos/virtio';
import { describe, expect, it } from 'vitest';
import {
  BASE,
  deferredEntropyDevice,
  memoryAndLink,
  rngPair,
  seededStream,
} from './rng-fixture.js';

/** Index of the first differing byte (or length mismatch), -1 when equal; fast on big arrays. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('EntropyDriver + EntropyDeviceModel (inline)', () => {
  it('prefills the pool and hands out exactly the seeded stream the device drew', async () => {
    const { rng, backend } = await rngPair(11);
    expect(rng.available).toBe(4096);
    const a = new Uint8Array(32);
    rng.fill(a);
    const b = await rng.read(1000);
    const drawn = backend.drawn();
    // The backend really is the seeded stream (nothing substituted)…
    expect(drawn).toEqual(seededStream(11, backend.calls));
    // …and the driver handed out its prefix, in order, unaltered.
    expect(concat([a, b])).toEqual(drawn.subarray(0, 1032));
    expect(rng.stats().bytesDelivered).toBe(1032);
  });

  it('read(n) far beyond the pool works and continues the stream', async () => {
    const { rng, backend } = await rngPair(12, { poolSize: 1024, requestSize: 256 });
    const big = await rng.read(100_000);
    expect(big.length).toBe(100_000);
    expect(firstDifference(big, backend.drawn().subarray(0, 100_000))).toBe(-1);
    expect(firstDifference(backend.drawn(), seededStream(12, backend.calls))).toBe(-1);
  });

  it('fill of more than the pool throws TOO_LARGE and consumes nothing', async () => {
    const { rng, backend } = await rngPair(13, { poolSize: 1024, requestSize: 256 });
    expect(() => rng.fill(new Uint8Array(1025))).toThrow(EntropyError);
    expect(() => rng.fill(new Uint8Array(1025))).toThrow(
      expect.objectContaining({ code: 'TOO_LARGE' }),
    );
    await expect(rng.ready(1025)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const next = new Uint8Array(16);
    rng.fill(next);
    expect(next).toEqual(backend.drawn().subarray(0, 16));
  });

  it('a fill above what the pool rests at is topped up at once by an inline device', async () => {
    const { rng, backend } = await rngPair(14, { poolSize: 1024, requestSize: 512 });
    const first = new Uint8Array(1000);
    rng.fill(first);
    // 24 left + one 512-byte request re-posted (a second would overflow the pool).
    expect(rng.available).toBe(536);
    const second = new Uint8Array(1000); // needs a 488-byte top-up request
    rng.fill(second);
    // The 488-byte top-up, then the usual 512-byte refill after the take.
    expect(backend.calls.slice(-2)).toEqual([488, 512]);
    expect(concat([first, second])).toEqual(backend.drawn().subarray(0, 2000));
    expect(rng.stats().wouldBlock).toBe(0);
  });

  it('fill that the pool cannot cover throws EAGAIN and consumes nothing', async () => {
    const placement = memoryAndLink();
    const device = deferredEntropyDevice(placement);
    const rng = await EntropyDriver.open({
      ...placement,
      base: BASE,
      poolSize: 256,
      requestSize: 64,
    });
    device.release(); // 4 × 64 = 256 bytes
    const a = new Uint8Array(200);
    rng.fill(a);
    let caught: unknown = null;
    try {
      rng.fill(new Uint8Array(100)); // 56 left, the refill is pending
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(EntropyError);
    expect((caught as EntropyError).code).toBe('EAGAIN');
    expect(rng.available).toBe(56);
    expect(rng.stats().wouldBlock).toBe(1);
    device.release();
    const b = new Uint8Array(100);
    rng.fill(b);
    expect(Array.from(concat([a, b]))).toEqual(Array.from({ length: 300 }, (_, i) => i & 0xff));
  });

  it('ready(n) close to the pool size is reached even when the pool rests below it', async () => {
    const placement = memoryAndLink();
    const device = deferredEntropyDevice(placement);
    // 100-byte requests in a 256-byte pool: full-size requests alone stop at 200.
    const rng = await EntropyDriver.open({
      ...placement,
      base: BASE,
      poolSize: 256,
      requestSize: 100,
    });
    device.release();
    expect(rng.available).toBe(200);
    let ready = false;
    const waiting = rng.ready(256).then(() => {
      ready = true;
    });
    for (let i = 0; i < 10 && !ready; i++) {
      device.release();
      await new Promise((r) => setTimeout(r, 0));
    }
    await waiting;
    expect(rng.available).toBe(256);
    const all = new Uint8Array(256);
    rng.fill(all);
    expect(Array.from(all)).toEqual(Array.from({ length: 256 }, (_, i) => i & 0xff));
  });

  it('thousands of small fills never repeat a byte of the device stream', async () => {
    const { rng, backend } = await rngPair(15, { poolSize: 2048, requestSize: 128 });
    const out: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) {
      const b = new Uint8Array(1 + (i % 37));
      rng.fill(b);
      out.push(b);
    }
    const got = concat(out);
    const drawn = backend.drawn();
    // Position-for-position equal to the stream: a duplicated or skipped chunk would shift it.
    expect(firstDifference(got, drawn.subarray(0, got.length))).toBe(-1);
    expect(firstDifference(drawn, seededStream(15, backend.calls))).toBe(-1);
    expect(rng.stats().bytesDelivered).toBe(got.length);
    expect(drawn.length - got.length).toBe(rng.available);
  });

  it('the device caps bytes per request; the driver takes only the length reported', async () => {
    const { rng, backend, device } = await rngPair(
      16,
      { poolSize: 1024, requestSize: 256 },
      {
        maxBytesPerRequest: 100,
      },
    );
    expect(backend.calls.every((n) => n === 100)).toBe(true);
    const got = await rng.read(3000);
    expect(got).toEqual(backend.drawn().subarray(0, 3000));
    expect(device.stats().bytes).toBe(backend.drawn().length);
  });

  it('read and ready wait for a device that answers later; fill says EAGAIN meanwhile', async () => {
    const placement = memoryAndLink();
    const device = deferredEntropyDevice(placement);
    const rng = await EntropyDriver.open({
      ...placement,
      base: BASE,
      poolSize: 256,
      requestSize: 64,
    });
    expect(rng.available).toBe(0);
    expect(() => rng.fill(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'EAGAIN' }));
    let readDone = false;
    const reading = rng.read(300).then((b) => {
      readDone = true;
      return b;
    });
    await Promise.resolve();
    expect(readDone).toBe(false);
    let total = 0;
    while (!readDone && total < 100) {
      total += device.release();
      await new Promise((r) => setTimeout(r, 0));
    }
    const got = await reading;
    expect(Array.from(got)).toEqual(Array.from({ length: 300 }, (_, i) => i & 0xff));
    device.release();
    await rng.ready(200);
    const more = new Uint8Array(200);
    rng.fill(more);
    expect(Array.from(more)).toEqual(Array.from({ length: 200 }, (_, i) => (300 + i) & 0xff));
  });

  it('close frees every DMA byte and later calls throw CLOSED', async () => {
    const { rng, dma } = await rngPair(17);
    await rng.ready(4096); // the inline device filled the pool during open
    await rng.close();
    expect(dma.stats().usedBytes).toBe(0);
    expect(() => rng.fill(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await expect(rng.read(1)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('EntropyDriver failure paths', () => {
  it('a backend failure puts the device in NEEDS_RESET and fill throws DEVICE_FAILED', async () => {
    const { rng, backend, device, failures } = await rngPair(21, {
      poolSize: 1024,
      requestSize: 256,
    });
    backend.failAfter = 1024; // the prefill, nothing more
    const ok = new Uint8Array(1024);
    expect(() => rng.fill(ok)).not.toThrow(); // served from the pool; the refill fails
    expect(ok).toEqual(backend.drawn().subarray(0, 1024));
    expect(device.core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET).toBe(
      DeviceStatus.DEVICE_NEEDS_RESET,
    );
    expect(failures).toHaveLength(1);
    expect(() => rng.fill(new Uint8Array(1))).toThrow(
      expect.objectContaining({ name: 'EntropyError', code: 'DEVICE_FAILED' }),
    );
    await expect(rng.read(10)).rejects.toMatchObject({ code: 'DEVICE_FAILED' });
    await expect(rng.ready(1)).rejects.toMatchObject({ code: 'DEVICE_FAILED' });
  });

  it('a pending read rejects when the device fails', async () => {
    const placement = memoryAndLink();
    const device = deferredEntropyDevice(placement);
    const rng = await EntropyDriver.open({
      ...placement,
      base: BASE,
      poolSize: 256,
      requestSize: 64,
    });
    const reading = rng.read(10);
    device.core.transport.markNeedsReset('test: device broke');
    await expect(reading).rejects.toMatchObject({ code: 'DEVICE_FAILED' });
    expect(rng.failure?.code).toBe('DEVICE_FAILED');
  });

  it('a device answering with 0 bytes breaks §5.4.6.2: DEVICE_FAILED, no bytes handed out', async () => {
    const placement = memoryAndLink();
    const device = deferredEntropyDevice(placement);
    const rng = await EntropyDriver.open({
      ...placement,
      base: BASE,
      poolSize: 256,
      requestSize: 64,
    });
    device.setLength(0);
    device.release();
    expect(rng.failure?.code).toBe('DEVICE_FAILED');
    expect(rng.available).toBe(0);
    expect(() => rng.fill(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'DEVICE_FAILED' }),
    );
  });

  it('after a failure, bytes still in the pool are not handed out', async () => {
    const { rng, device } = await rngPair(22);
    expect(rng.available).toBe(4096);
    device.core.transport.markNeedsReset('test');
    expect(() => rng.fill(new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: 'DEVICE_FAILED' }),
    );
    expect(rng.available).toBe(0);
  });
});
