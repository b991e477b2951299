/**
 * The @libos/net and @libos/fs conformance suites against drivers obtained from
 * createMachine (settle = machine.poll()): the machine wires them exactly as the
 * hand-built fixtures do.
 */
import { describeBlockDevice } from '@libos/fs/testing';
import { createLink } from '@libos/net';
import { describeNetDevice } from '@libos/net/testing';
import { SeededEntropy } from '@libos/sched';
import { createMachine, MemoryBlockBackend, type NetDeviceSpec } from '@libos/virtio';

function netFactory(extra: Omit<NetDeviceSpec, 'kind' | 'backend'>) {
  return {
    create: async () => {
      const [backend, peer] = createLink();
      const machine = await createMachine({
        memoryBytes: 8 << 20,
        // A second device, so the NIC is not alone at the first register block.
        devices: [
          { kind: 'rng', source: new SeededEntropy(1) },
          { kind: 'net', backend, ...extra },
        ],
      });
      return {
        device: machine.devices[1].driver,
        peer,
        settle: async () => {
          machine.poll();
        },
        dispose: () => machine.close(),
      };
    },
  };
}

describeNetDevice('virtio-net driver from createMachine', netFactory({}));
describeNetDevice(
  'virtio-net driver from createMachine (no MRG_RXBUF, no offloads, 64-entry rings)',
  netFactory({ mergeableRxBuffers: false, checksumOffload: false, queueSize: 64 }),
);

async function blkSubject(sectors: number, readOnly: boolean, blockSize = 512) {
  const backend = new MemoryBlockBackend(new Uint8Array(sectors * blockSize), { readOnly });
  const machine = await createMachine({
    memoryBytes: 8 << 20,
    devices: [{ kind: 'blk', backend, blockSize }],
  });
  return { device: machine.devices[0].driver, dispose: () => machine.close() };
}

describeBlockDevice('virtio-blk driver from createMachine', {
  create: () => blkSubject(128, false),
  createReadOnly: () => blkSubject(128, true),
});
describeBlockDevice('virtio-blk driver from createMachine (4096-byte blocks)', {
  create: () => blkSubject(64, false, 4096),
  createReadOnly: () => blkSubject(64, true, 4096),
});
