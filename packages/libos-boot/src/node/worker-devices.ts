import type { EntropySource } from '@libos/sched';
import type { BlockBackend, DeviceSpec } from '@libos/virtio';
import type { BlockBackendDescription, WorkerDeviceSpec } from '@libos/virtio/node';

/**
 * Why a device of a worker-mode machine cannot be built: its backend is an object that
 * cannot cross to the device worker thread.
 */
export class WorkerDeviceError extends Error {
  /**
   * @param index - the device's position in the machine
   * @param message - what is wrong, for people
   */
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(message);
    this.name = 'WorkerDeviceError';
  }
}

/**
 * Describes one inline device spec (what `boot()` plans) for a device worker
 * (`createWorkerMachine` from `@libos/virtio/node`). Network backends and console output
 * stay in this thread; disks must be a `FileBlockBackend` (the worker opens the same
 * file) or a `MemoryBlockBackend` over a whole `SharedArrayBuffer`; entropy must be the
 * host's own source (the worker draws from its own `HostEntropy`).
 *
 * @param spec - the device as planned by a declaration
 * @param index - its position in the machine (for messages)
 * @param hostEntropy - the host's entropy source, the only one a worker can stand in for
 * @returns the worker spec
 * @throws {@link WorkerDeviceError} for a backend that cannot move to the worker
 */
export function toWorkerSpec(
  spec: DeviceSpec,
  index: number,
  hostEntropy: EntropySource,
): WorkerDeviceSpec {
  switch (spec.kind) {
    case 'net':
    case 'console':
      return spec;
    case 'blk': {
      const { backend, ...rest } = spec;
      const described = describeDisk(backend);
      if (described !== undefined) return { ...rest, backend: described };
      throw new WorkerDeviceError(
        index,
        `device ${index} (blk): in worker mode a disk must be a file (FileBlockBackend) or a MemoryBlockBackend over a whole SharedArrayBuffer`,
      );
    }
    case 'rng': {
      const { source, ...rest } = spec;
      if (source !== hostEntropy) {
        throw new WorkerDeviceError(
          index,
          `device ${index} (rng): in worker mode an entropy device draws from the host's randomness; give entropy() no source`,
        );
      }
      return { ...rest, source: { type: 'host' } };
    }
  }
}

/**
 * A disk backend as data a worker can rebuild, or `undefined`. Checked by shape, not
 * class: the app's bundle and the host may each have their own copy of @libos/virtio.
 */
function describeDisk(backend: BlockBackend): BlockBackendDescription | undefined {
  const file = backend as Partial<{ path: unknown; close: unknown }>;
  if (typeof file.path === 'string' && typeof file.close === 'function') {
    return { type: 'file', path: file.path, readOnly: backend.readOnly };
  }
  const bytes = (backend as Partial<{ bytes: unknown }>).bytes;
  if (
    bytes instanceof Uint8Array &&
    bytes.buffer instanceof SharedArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength
  ) {
    return { type: 'memory', buffer: bytes.buffer, readOnly: backend.readOnly };
  }
  return undefined;
}
