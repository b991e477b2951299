/**
 * The @libos/net and @libos/fs conformance suites against drivers obtained from
 * createWorkerMachine (device models in a worker, drivers here on an AtomicsLink;
 * settle = bounded rounds of machine.poll()).
 */
import { describeBlockDevice } from '@libos/fs/testing';
import { createLink } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import type { WorkerNetDeviceSpec } from '@libos/virtio/node';
import { afterAll, afterEach, vi } from 'vitest';
import {
  DRIVER_TIMEOUT_MS,
  settle,
  stopMachines,
  TEST_MS,
  workerMachine,
} from './machine-worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

afterEach(stopMachines);
afterAll(stopMachines);

function netFactory(extra: Omit<WorkerNetDeviceSpec, 'kind' | 'backend'>) {
  return {
    create: async () => {
      const [backend, peer] = createLink();
      const machine = await workerMachine({
        memoryBytes: 8 << 20,
        // A second device, so the NIC is not alone at the first register block.
        devices: [
          { kind: 'rng', source: { type: 'seeded', seed: 1 } },
          { kind: 'net', backend, ...extra, driver: { timeoutMs: DRIVER_TIMEOUT_MS } },
        ],
      });
      return {
        device: machine.devices[1].driver,
        peer,
        settle: () => settle(machine),
        dispose: () => machine.close(),
      };
    },
  };
}

describeNetDevice('virtio-net driver from createWorkerMachine', netFactory({}));
describeNetDevice(
  'virtio-net driver from createWorkerMachine (no MRG_RXBUF, no offloads, 64-entry rings)',
  netFactory({ mergeableRxBuffers: false, checksumOffload: false, queueSize: 64 }),
);

async function blkSubject(sectors: number, readOnly: boolean, blockSize = 512) {
  const buffer = new SharedArrayBuffer(sectors * blockSize);
  const machine = await workerMachine({
    memoryBytes: 8 << 20,
    devices: [
      {
        kind: 'blk',
        backend: { type: 'memory', buffer, readOnly },
        blockSize,
        driver: { timeoutMs: DRIVER_TIMEOUT_MS },
      },
    ],
  });
  return { device: machine.devices[0].driver, dispose: () => machine.close() };
}

describeBlockDevice('virtio-blk driver from createWorkerMachine', {
  create: () => blkSubject(128, false),
  createReadOnly: () => blkSubject(128, true),
});
describeBlockDevice('virtio-blk driver from createWorkerMachine (4096-byte blocks)', {
  create: () => blkSubject(64, false, 4096),
  createReadOnly: () => blkSubject(64, true, 4096),
});
