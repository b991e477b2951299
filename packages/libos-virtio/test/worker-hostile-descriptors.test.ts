/**
 * RELIABILITY items 1–4 with the device model in a worker thread: hostile descriptors
 * forged in guest memory reach a device running on another thread. Each must put the
 * device in DEVICE_NEEDS_RESET, reach the driver as a failure, write nothing into guest
 * memory, and never hang either side. (The same cases run inline, with the exact
 * violation codes, in queue-hostile-descriptors.test.ts.)
 */
import type { GuestMemory } from '@libos/mem';
import { DescriptorFlag, DeviceStatus, DeviceType, DriverCore } from '@libos/virtio';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DRIVER_TIMEOUT_MS, stopWorkers, TEST_MS, until, workerRig } from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const QUEUE = 8;
const { INDIRECT, NEXT, WRITE } = DescriptorFlag;

interface Forgery {
  readonly name: string;
  /** Writes the hostile descriptors; returns the avail.idx to publish (default 1). */
  // biome-ignore lint/suspicious/noConfusingVoidType: most forgeries are one void call.
  readonly forge: (m: GuestMemory, desc: number, canary: number, table: number) => number | void;
}

function putDesc(
  m: GuestMemory,
  at: number,
  addr: bigint,
  len: number,
  flags: number,
  next: number,
): void {
  m.writeU64(at, addr); // virtio 1.2 §2.7.5: le64 addr, le32 len, le16 flags, le16 next
  m.writeU32(at + 8, len);
  m.writeU16(at + 12, flags);
  m.writeU16(at + 14, next);
}

const forgeries: Forgery[] = [
  {
    name: 'descriptor loop (item 1)',
    forge: (m, d, c) => putDesc(m, d, BigInt(c), 16, WRITE | NEXT, 0),
  },
  {
    name: 'loop through two descriptors (item 1)',
    forge: (m, d, c) => {
      putDesc(m, d, BigInt(c), 8, WRITE | NEXT, 1);
      putDesc(m, d + 16, BigInt(c + 8), 8, WRITE | NEXT, 0);
    },
  },
  {
    name: 'next index out of range (item 2)',
    forge: (m, d, c) => putDesc(m, d, BigInt(c), 16, WRITE | NEXT, QUEUE),
  },
  {
    name: 'address past guest memory (item 2)',
    forge: (m, d) => putDesc(m, d, BigInt(m.size), 16, WRITE, 0),
  },
  {
    name: 'addr + len overflows 2^64 (item 2)',
    forge: (m, d) => putDesc(m, d, 2n ** 64n - 8n, 16, WRITE, 0),
  },
  {
    name: 'indirect table length not a multiple of 16 (item 4)',
    forge: (m, d, _c, t) => putDesc(m, d, BigInt(t), 24, INDIRECT, 0),
  },
  {
    name: 'nested indirect (item 4)',
    forge: (m, d, c, t) => {
      putDesc(m, t, BigInt(c), 16, INDIRECT, 0);
      putDesc(m, d, BigInt(t), 16, INDIRECT, 0);
    },
  },
  {
    name: 'INDIRECT together with NEXT (item 4)',
    forge: (m, d, c, t) => {
      putDesc(m, t, BigInt(c), 16, WRITE, 0);
      putDesc(m, d, BigInt(t), 16, INDIRECT | NEXT, 1);
      putDesc(m, d + 16, BigInt(c), 16, WRITE, 0);
    },
  },
  {
    name: 'avail.idx jumps by more than the queue size (item 3)',
    forge: (m, d, c) => {
      putDesc(m, d, BigInt(c), 16, WRITE, 0);
      return QUEUE + 5;
    },
  },
];

const BASE = 0x1000;
let rig: Awaited<ReturnType<typeof workerRig>>;

beforeAll(async () => {
  rig = await workerRig(
    forgeries.map((_, i) => ({
      kind: 'rng' as const,
      base: BASE + i * 0x1000,
      backend: { type: 'seeded' as const, seed: i },
    })),
  );
});

afterAll(stopWorkers);

describe('hostile descriptors against a device model in a worker thread', () => {
  it.each(forgeries.map((f, i) => [f.name, i] as const))(
    '%s → DEVICE_NEEDS_RESET, nothing written',
    async (_name, i) => {
      const failures: Error[] = [];
      const core = await DriverCore.open({
        memory: rig.memory,
        dma: rig.dma,
        base: BASE + i * 0x1000,
        link: rig.link,
        deviceId: DeviceType.ENTROPY,
        features: 0n,
        queueSizes: [QUEUE],
        timeoutMs: DRIVER_TIMEOUT_MS,
        onFailure: (e) => failures.push(e),
      });
      const canary = rig.dma.alloc(64, 16)!;
      const table = rig.dma.alloc(64, 16)!;
      canary.bytes.fill(0xaa);
      const q = core.queue(0);
      const idx = forgeries[i]!.forge(rig.memory, q.addresses.desc, canary.addr, table.addr) ?? 1;
      rig.memory.writeU16(q.addresses.avail + 4, 0); // ring[0] = head 0
      rig.memory.atomicStoreU16(q.addresses.avail + 2, idx); // publish (§2.7.13)
      core.transport.notify(0);
      await until(() => failures.length > 0, 'driver failure');
      expect((failures[0] as Error & { code?: string }).code).toBe('DEVICE_NEEDS_RESET');
      expect(core.transport.status & DeviceStatus.DEVICE_NEEDS_RESET).toBe(
        DeviceStatus.DEVICE_NEEDS_RESET,
      );
      expect(canary.bytes.every((b) => b === 0xaa)).toBe(true);
      expect(rig.worker.alive).toBe(true); // the device thread survived
    },
  );
});
