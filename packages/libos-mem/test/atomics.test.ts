import { Worker } from 'node:worker_threads';
import { GuestMemory, GuestMemoryError, type GuestMemoryErrorCode } from '@libos/mem';
import { describe, expect, it } from 'vitest';

function codeOf(f: () => unknown): GuestMemoryErrorCode | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return e instanceof GuestMemoryError ? e.code : 'other error';
  }
}

describe('GuestMemory atomics', () => {
  it('load/store/exchange/compareExchange/add on u16 and u32, little-endian in memory', () => {
    const mem = new GuestMemory(64);
    mem.atomicStoreU32(8, 0x11223344);
    expect(Array.from(mem.bytes(8, 4))).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(mem.atomicLoadU32(8)).toBe(0x11223344);
    expect(mem.atomicExchangeU32(8, 0xffffffff)).toBe(0x11223344);
    expect(mem.atomicLoadU32(8)).toBe(0xffffffff);
    expect(mem.atomicCompareExchangeU32(8, 1, 2)).toBe(0xffffffff); // no swap
    expect(mem.atomicCompareExchangeU32(8, 0xffffffff, 2)).toBe(0xffffffff); // swap
    expect(mem.readU32(8)).toBe(2);
    expect(mem.atomicAddU32(8, 0xffffffff)).toBe(2);
    expect(mem.atomicLoadU32(8)).toBe(1); // wrapped modulo 2^32

    mem.atomicStoreU16(2, 0xabcd);
    expect(mem.readU16(2)).toBe(0xabcd);
    expect(Array.from(mem.bytes(2, 2))).toEqual([0xcd, 0xab]);
    expect(mem.atomicExchangeU16(2, 0xffff)).toBe(0xabcd);
    expect(mem.atomicAddU16(2, 2)).toBe(0xffff);
    expect(mem.atomicLoadU16(2)).toBe(1); // a virtqueue idx wraps like this
    expect(mem.atomicCompareExchangeU16(2, 1, 9)).toBe(1);
    expect(mem.atomicLoadU16(2)).toBe(9);
  });

  it('works on ArrayBuffer-backed memory too (single agent)', () => {
    const mem = new GuestMemory(16, { shared: false });
    mem.atomicStoreU32(4, 5);
    expect(mem.atomicAddU32(4, 1)).toBe(5);
    expect(mem.readU32(4)).toBe(6);
  });

  it('rejects misaligned, out-of-range and malformed atomic addresses', () => {
    const mem = new GuestMemory(64);
    expect(codeOf(() => mem.atomicLoadU32(2))).toBe('MISALIGNED');
    expect(codeOf(() => mem.atomicStoreU16(3, 0))).toBe('MISALIGNED');
    expect(codeOf(() => mem.notify(6))).toBe('MISALIGNED');
    expect(codeOf(() => mem.atomicLoadU32(64))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.atomicLoadU16(64))).toBe('OUT_OF_BOUNDS');
    expect(codeOf(() => mem.atomicLoadU32(-4))).toBe('BAD_ADDRESS');
    expect(codeOf(() => mem.atomicAddU32(Number.NaN, 1))).toBe('BAD_ADDRESS');
    expect(codeOf(() => mem.atomicLoadU32(60))).toBe('no error');
  });

  it('notify / waitAsync need SharedArrayBuffer-backed memory', () => {
    const mem = new GuestMemory(16, { shared: false });
    expect(codeOf(() => mem.notify(0))).toBe('NOT_SHARED');
    expect(codeOf(() => mem.waitAsync(0, 0))).toBe('NOT_SHARED');
  });

  it('waitAsync reports not-equal and timed-out', async () => {
    const mem = new GuestMemory(16);
    mem.atomicStoreU32(0, 0xffffffff);
    await expect(mem.waitAsync(0, 0)).resolves.toBe('not-equal');
    await expect(mem.waitAsync(0, 0xffffffff, 5)).resolves.toBe('timed-out');
  });

  it('waitAsync wakes on notify from the same thread', async () => {
    const mem = new GuestMemory(16);
    const p = mem.waitAsync(4, 0, 5000);
    mem.atomicStoreU32(4, 1);
    expect(mem.notify(4)).toBe(1);
    await expect(p).resolves.toBe('ok');
  });

  it('a worker rings a doorbell: store + Atomics.notify wakes waitAsync here', async () => {
    const mem = new GuestMemory(64);
    const waiting = mem.waitAsync(16, 0, 10_000);
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       const i32 = new Int32Array(workerData);
       const u8 = new Uint8Array(workerData);
       u8[32] = 0xa5; // payload written before the doorbell
       Atomics.store(i32, 4, 7);
       Atomics.notify(i32, 4);`,
      { eval: true, workerData: mem.buffer },
    );
    try {
      await expect(waiting).resolves.toBe('ok');
      expect(mem.atomicLoadU32(16)).toBe(7);
      expect(mem.readU8(32)).toBe(0xa5);
    } finally {
      await worker.terminate();
    }
  });

  it('notify here wakes a worker blocked in Atomics.wait (an interrupt line)', async () => {
    const mem = new GuestMemory(64);
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const i32 = new Int32Array(workerData);
       const r = Atomics.wait(i32, 2, 0, 10000); // word at guest address 8
       parentPort.postMessage({ r, payload: Atomics.load(i32, 3) });`,
      { eval: true, workerData: mem.buffer },
    );
    try {
      const result = new Promise<{ r: string; payload: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      mem.atomicStoreU32(12, 42); // payload, published before the interrupt
      // notify returns the number of agents woken: 1 proves the worker was blocked on the word.
      let woken = 0;
      for (let tries = 0; woken === 0 && tries < 5000; tries++) {
        woken = mem.notify(8);
        if (woken === 0) await new Promise((r) => setTimeout(r, 1));
      }
      expect(woken).toBe(1);
      await expect(result).resolves.toEqual({ r: 'ok', payload: 42 });
    } finally {
      await worker.terminate();
    }
  });
});
