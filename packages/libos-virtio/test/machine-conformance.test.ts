/**
 * The @libos/net and @libos/fs conformance suites against drivers obtained from a
 * machine, in both modes: `createMachine` (models inline, settle = machine.poll()) and
 * `createWorkerMachine` (models in a worker, drivers here on an AtomicsLink, settle =
 * bounded rounds of machine.poll()). The machine wires drivers exactly as the
 * hand-built fixtures do.
 */
import { describeBlockDevice } from '@libos/fs/testing';
import { createLink } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { afterAll, afterEach, vi } from 'vitest';
import { MODES, type Mode, type ModeDeviceSpec } from './machine-modes.js';
import { TEST_MS } from './machine-worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

afterEach(async () => {
  for (const mode of MODES) await mode.cleanup();
});
afterAll(async () => {
  for (const mode of MODES) await mode.cleanup();
});

type NetExtras = Omit<Extract<ModeDeviceSpec, { kind: 'net' }>, 'kind' | 'backend'>;

function netFactory(mode: Mode, extra: NetExtras) {
  return {
    create: async () => {
      const [backend, peer] = createLink();
      const m = await mode.create({
        memoryBytes: 8 << 20,
        // A second device, so the NIC is not alone at the first register block.
        devices: [
          { kind: 'rng', seed: 1 },
          { kind: 'net', backend, ...extra },
        ],
      });
      return {
        device: m.handle(1, 'net').driver,
        peer,
        settle: () => m.settle(),
        dispose: () => m.machine.close(),
      };
    },
  };
}

async function blkSubject(mode: Mode, sectors: number, readOnly: boolean, blockSize = 512) {
  const m = await mode.create({
    memoryBytes: 8 << 20,
    devices: [
      { kind: 'blk', image: new SharedArrayBuffer(sectors * blockSize), readOnly, blockSize },
    ],
  });
  return { device: m.handle(0, 'blk').driver, dispose: () => m.machine.close() };
}

for (const mode of MODES) {
  describeNetDevice(`virtio-net driver from a machine (${mode.name})`, netFactory(mode, {}));
  describeNetDevice(
    `virtio-net driver from a machine (${mode.name}; no MRG_RXBUF, no offloads, 64-entry rings)`,
    netFactory(mode, { mergeableRxBuffers: false, checksumOffload: false, queueSize: 64 }),
  );
  describeBlockDevice(`virtio-blk driver from a machine (${mode.name})`, {
    create: () => blkSubject(mode, 128, false),
    createReadOnly: () => blkSubject(mode, 128, true),
  });
  describeBlockDevice(`virtio-blk driver from a machine (${mode.name}; 4096-byte blocks)`, {
    create: () => blkSubject(mode, 64, false, 4096),
    createReadOnly: () => blkSubject(mode, 64, true, 4096),
  });
}
