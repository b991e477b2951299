/**
 * Cross-thread smoke test: the device model runs in a worker thread on the same
 * SharedArrayBuffer, so `avail.idx` / `used.idx` really are published with Atomics
 * between threads (§2.7.13). Every token must come back once, with the device's reply
 * bytes visible to the driver.
 */
import { Worker } from 'node:worker_threads';
import { DmaAllocator, GuestMemory } from '@libos/mem';
import { allocateSplitQueue, SplitQueueDriver } from '@libos/virtio';
import { describe, expect, it } from 'vitest';

const SIZE = 64;
const MEM = 1 << 20;
const DATA = 0x40000;
const CONTROL = 0x3f000; // i32 words: [0] stop flag, [1] device doorbell
const FRAMES = 50_000;

/** The device side, evaluated in the worker (plain JS; imports the TS source through tsx). */
const deviceSource = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  (await import('tsx/esm/api')).register();
  const { GuestMemory } = await import('@libos/mem');
  const { DescriptorChain, SplitQueueDevice } = await import('@libos/virtio');
  const { buffer, size, addresses, control } = workerData;
  const memory = new GuestMemory(buffer);
  const device = new SplitQueueDevice(memory, size, addresses, { eventIdx: true, indirect: false });
  const chain = new DescriptorChain(memory);
  const i32 = new Int32Array(buffer, control, 2);
  const req = new Uint8Array(8);
  const reply = new Uint8Array(8);
  let served = 0;
  while (Atomics.load(i32, 0) === 0) {
    let n = 0;
    while (device.popAvailable(chain) !== null) {
      chain.readReadable(req);
      for (let i = 0; i < 8; i++) reply[i] = req[i] ^ 0xff;
      chain.writeWritable(reply);
      device.pushUsed(chain, 8);
      n++;
    }
    if (n > 0) { device.publishUsed(); served += n; continue; }
    if (device.broken) break;
    const seen = Atomics.load(i32, 1);
    if (!device.enableNotifications()) Atomics.wait(i32, 1, seen, 5);
  }
  parentPort.postMessage({ served, violation: device.violation });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

describe('device model in a worker thread', () => {
  it('round-trips 50,000 requests across threads with Atomics ordering', async () => {
    const memory = new GuestMemory(MEM, { shared: true });
    const dma = new DmaAllocator(memory, { base: 0, length: CONTROL });
    const addresses = allocateSplitQueue(dma, SIZE)!;
    const driver = new SplitQueueDriver<number>(memory, SIZE, addresses, {
      eventIdx: true,
      indirect: false,
    });
    let finished = false;
    const worker = new Worker(deviceSource, {
      eval: true,
      execArgv: ['--conditions=libos-source'],
      workerData: { buffer: memory.buffer, size: SIZE, addresses, control: CONTROL },
    });
    const result = new Promise<{ served?: number; error?: string; violation?: unknown }>(
      (resolve, reject) => {
        worker.once('message', (m) => {
          finished = true;
          resolve(m);
        });
        worker.once('error', reject);
      },
    );
    const i32 = new Int32Array(memory.buffer, CONTROL, 2);
    const seen = new Uint8Array(FRAMES);
    let bad = 0;
    let sent = 0;
    let done = 0;
    const onUsed = (token: number, len: number) => {
      if (seen[token] !== 0 || len !== 8) bad++;
      seen[token] = 1;
      const slot = DATA + (token % SIZE) * 32;
      for (let i = 0; i < 8; i++) {
        if (memory.readU8(slot + 16 + i) !== (((token + i) & 0xff) ^ 0xff)) bad++;
      }
      done++;
    };
    const deadline = Date.now() + 20_000;
    while (done < FRAMES && !finished && Date.now() < deadline) {
      while (sent < FRAMES && driver.freeCount >= 2) {
        const slot = DATA + (sent % SIZE) * 32;
        for (let i = 0; i < 8; i++) memory.writeU8(slot + i, (sent + i) & 0xff);
        driver.addChain([{ addr: slot, len: 8 }], [{ addr: slot + 16, len: 8 }], sent);
        sent++;
      }
      driver.publish();
      if (driver.kickNeeded()) {
        Atomics.add(i32, 1, 1); // the doorbell
        Atomics.notify(i32, 1);
      }
      if (driver.pollUsed(onUsed) === 0) await new Promise((r) => setImmediate(r));
    }
    Atomics.store(i32, 0, 1);
    Atomics.notify(i32, 1);
    const r = await result;
    await worker.terminate();
    expect(r.error).toBeUndefined();
    expect(r.violation).toBeNull();
    expect(driver.failed).toBe(false);
    expect(done).toBe(FRAMES);
    expect(r.served).toBe(FRAMES);
    expect(bad).toBe(0);
    expect(driver.stats().notificationsNeeded).toBeLessThan(FRAMES);
  }, 30_000);
});
