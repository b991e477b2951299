/**
 * The machine's memory map, its errors and teardown: register blocks never overlap
 * each other or the DMA region, a machine too small for its drivers fails with a
 * MachineError after tearing down what it built; in both modes (inline and worker)
 * close is idempotent and closed drivers refuse work. Worker-only failures (a worker
 * that cannot start or dies) are in machine-worker-lifecycle.test.ts.
 */
import { createLink } from '@libos/net';
import { SeededEntropy } from '@libos/sched';
import {
  createMachine,
  type DeviceSpec,
  MACHINE_DMA_BASE,
  MACHINE_MAX_DEVICES,
  MachineError,
  type MachineMode,
  MemoryBlockBackend,
  MMIO_BLOCK_SIZE,
  planMemoryMap,
} from '@libos/virtio';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MODES } from './machine-modes.js';
import { bounded, TEST_MS } from './machine-worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

afterEach(async () => {
  for (const mode of MODES) await mode.cleanup();
});
afterAll(async () => {
  for (const mode of MODES) await mode.cleanup();
});

function disk(sectors = 64): MemoryBlockBackend {
  return new MemoryBlockBackend(new Uint8Array(sectors * 512));
}

async function expectMachineError(promise: Promise<unknown>, code: string): Promise<MachineError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MachineError);
  expect((error as MachineError).code).toBe(code);
  return error as MachineError;
}

describe('machine memory map', () => {
  it('gives every device its own block below the DMA region, for any device count', () => {
    for (let n = 0; n <= MACHINE_MAX_DEVICES; n++) {
      const map = planMemoryMap(4 << 20, n);
      expect(map.registers).toHaveLength(n);
      const regions = [...map.registers, map.dma].sort((a, b) => a.start - b.start);
      for (let i = 1; i < regions.length; i++) {
        expect(regions[i]!.start).toBeGreaterThanOrEqual(regions[i - 1]!.end);
      }
      for (const r of map.registers) {
        expect(r.end - r.start).toBe(MMIO_BLOCK_SIZE);
        expect(r.start).toBeGreaterThan(0); // page 0 stays unused
        expect(r.end).toBeLessThanOrEqual(MACHINE_DMA_BASE);
      }
      expect(map.dma).toEqual({ start: MACHINE_DMA_BASE, end: 4 << 20 });
    }
  });

  it('keeps the drivers’ rings and buffers inside the DMA region', async () => {
    const [backend] = createLink();
    const machine = await createMachine({
      memoryBytes: 8 << 20,
      devices: [
        { kind: 'net', backend },
        { kind: 'blk', backend: disk() },
        { kind: 'rng', source: new SeededEntropy(1) },
        { kind: 'console', output: () => {} },
      ],
    });
    const { registers, dma } = machine.memoryMap;
    for (const h of machine.devices) {
      expect(h.base).toBe(registers[h.index]!.start);
      const transport = h.model.core.transport;
      for (let q = 0; q < transport.queueCount; q++) {
        const { descriptorArea, driverArea, deviceArea, ready } = transport.queue(q);
        expect(ready).toBe(true);
        for (const addr of [descriptorArea, driverArea, deviceArea]) {
          expect(Number(addr)).toBeGreaterThanOrEqual(dma.start);
          expect(Number(addr)).toBeLessThan(dma.end);
        }
      }
    }
    expect(machine.dma.stats().usedBytes).toBeGreaterThan(0);
    await machine.close();
  });

  it('refuses bad sizes and too many devices', () => {
    expect(() => planMemoryMap(1000, 1)).toThrow(MachineError);
    expect(() => planMemoryMap(MACHINE_DMA_BASE, 1)).toThrow(/no DMA region/);
    expect(() => planMemoryMap(4 << 20, MACHINE_MAX_DEVICES + 1)).toThrow(MachineError);
  });
});

describe('createMachine errors', () => {
  it('fails with MEMORY_TOO_SMALL and tears down the devices already opened', async () => {
    const backend = disk();
    let flushes = 0;
    const flush = backend.flush.bind(backend);
    backend.flush = () => {
      flushes++;
      return flush();
    };
    const [wire] = createLink();
    const specs = [
      { kind: 'blk', backend, driver: { queueSize: 8 } },
      { kind: 'rng', source: new SeededEntropy(3) },
      { kind: 'net', backend: wire }, // 256-entry rings and 2 × 256 buffers do not fit
    ] as const satisfies readonly DeviceSpec[];
    const error = await expectMachineError(
      createMachine({ memoryBytes: MACHINE_DMA_BASE + 0x40000, devices: specs }),
      'MEMORY_TOO_SMALL',
    );
    expect(error.device).toBe(2);
    expect(error.message).toMatch(/DMA region/);
    expect(error.cause).toBeInstanceOf(Error);
    // The disk opened before the failure was flushed and closed by the teardown.
    expect(flushes).toBe(1);
  });

  it('fails with MEMORY_TOO_SMALL when the register window leaves no DMA region', async () => {
    await expectMachineError(
      createMachine({ memoryBytes: MACHINE_DMA_BASE, devices: [] }),
      'MEMORY_TOO_SMALL',
    );
  });

  it('reports a device model that rejects its options as BAD_OPTION with the cause', async () => {
    const error = await expectMachineError(
      createMachine({
        memoryBytes: 4 << 20,
        devices: [
          { kind: 'rng', source: new SeededEntropy(1) },
          { kind: 'blk', backend: disk(), blockSize: 1000 },
        ],
      }),
      'BAD_OPTION',
    );
    expect(error.device).toBe(1);
    expect(String(error.cause)).toMatch(/block size 1000/);
  });

  it('reports a driver that cannot open for another reason as DEVICE_OPEN_FAILED', async () => {
    const error = await expectMachineError(
      createMachine({
        memoryBytes: 4 << 20,
        // The driver asks for a 64-entry ring, the device offers 16.
        devices: [{ kind: 'blk', backend: disk(), queueSize: 16, driver: { queueSize: 64 } }],
      }),
      'DEVICE_OPEN_FAILED',
    );
    expect(error.device).toBe(0);
  });

  it('refuses worker mode with UNSUPPORTED_MODE, pointing at createWorkerMachine', async () => {
    const worker: MachineMode = 'worker';
    const error = await expectMachineError(
      createMachine({
        memoryBytes: 4 << 20,
        devices: [],
        // Worker mode lives in @libos/virtio/node; the core createMachine is inline only.
        mode: worker as unknown as 'inline',
      }),
      'UNSUPPORTED_MODE',
    );
    expect(error.message).toContain('createWorkerMachine');
  });

  it('refuses a memory size that is not a multiple of 4 KiB', async () => {
    await expectMachineError(
      createMachine({ memoryBytes: (4 << 20) + 1, devices: [] }),
      'BAD_OPTION',
    );
  });
});

describe.each(MODES)('machine.close ($name)', (mode) => {
  it('is idempotent and leaves every driver refusing work', async () => {
    const [backend, wire] = createLink();
    const out: Uint8Array[] = [];
    const m = await mode.create({
      memoryBytes: 8 << 20,
      devices: [
        { kind: 'net', backend },
        { kind: 'blk', image: new SharedArrayBuffer(64 * 512) },
        { kind: 'rng', seed: 1 },
        { kind: 'console', output: (b) => out.push(b.slice()) },
      ],
    });
    const { machine } = m;
    const nic = m.handle(0, 'net').driver;
    const blk = m.handle(1, 'blk').driver;
    const rng = m.handle(2, 'rng').driver;
    const tty = m.handle(3, 'console').driver;
    const first = machine.close();
    expect(machine.close()).toBe(first);
    await bounded(first, 'close');
    await bounded(machine.close(), 'second close');
    expect(machine.closed).toBe(true);
    expect(machine.poll()).toBe(false);

    expect(nic.transmit(60, (b) => b.fill(1))).toBe(false);
    expect(wire.receive(() => {}, 8)).toBe(0);
    wire.transmit(60, (b) => b.fill(2));
    expect(nic.receive(() => {}, 8)).toBe(0);
    await expect(blk.read(0, new Uint8Array(512))).rejects.toMatchObject({ code: 'EIO' });
    await expect(blk.write(0, new Uint8Array(512))).rejects.toMatchObject({ code: 'EIO' });
    expect(() => rng.fill(new Uint8Array(8))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await expect(tty.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'CLOSED' });
    expect(out).toEqual([]);
  });
});

describe('machine.close (inline)', () => {
  it('flushes the disks before closing', async () => {
    const backend = disk();
    let flushes = 0;
    const flush = backend.flush.bind(backend);
    backend.flush = () => {
      flushes++;
      return flush();
    };
    const machine = await createMachine({
      memoryBytes: 4 << 20,
      devices: [{ kind: 'blk', backend }],
    });
    await machine.close();
    expect(flushes).toBe(1);
  });
});
