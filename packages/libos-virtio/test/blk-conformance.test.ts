/**
 * The BlockDevice conformance suite run against VirtioBlockDriver ↔ BlockDeviceModel,
 * inline, on a memory backend: 512-byte and 4096-byte blocks, writable and read-only.
 */
import { describeBlockDevice } from '@libos/fs/testing';
import { blkPair, memoryBackend } from './blk-fixture.js';

async function subject(bytes: number, readOnly: boolean, blockSize = 512) {
  const { driver, model } = await blkPair(memoryBackend(bytes, readOnly), { blockSize });
  return {
    device: driver,
    dispose: async () => {
      await driver.close();
      model.stop();
    },
  };
}

describeBlockDevice('virtio-blk (inline, memory backend)', {
  create: () => subject(128 * 512, false),
  createReadOnly: () => subject(128 * 512, true),
});

describeBlockDevice('virtio-blk (inline, memory backend, 4096-byte blocks)', {
  create: () => subject(96 * 4096, false, 4096),
  createReadOnly: () => subject(96 * 4096, true, 4096),
});
