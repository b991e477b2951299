/**
 * Hostile devices shared by the inline tests and their worker-thread variants
 * (hostile-device.worker.ts): a used-ring writer that plays a device writing anything it
 * likes, and a virtio-blk device whose completions lie. The same code runs in this
 * thread and in a worker, on the same shared guest memory.
 */
import type { GuestMemory } from '@libos/mem';
import {
  BlkFeature,
  DeviceModelCore,
  DeviceType,
  encodeBlkConfig,
  featureMask,
  type TransportLink,
} from '@libos/virtio';

/**
 * Writes used elements (id, len) at `startIdx`, then `used.idx` (or `finalIdx`), as a
 * device would (virtio 1.2 §2.7.8: le32 id, le32 len; idx published last, with Atomics
 * so the other thread sees the elements first). Returns the new index.
 */
export function writeUsed(
  memory: GuestMemory,
  usedAddr: number,
  size: number,
  startIdx: number,
  elems: readonly (readonly [id: number, len: number])[],
  finalIdx?: number,
): number {
  let idx = startIdx;
  for (const [id, len] of elems) {
    const at = usedAddr + 4 + 8 * (idx++ % size);
    memory.writeU32(at, id >>> 0);
    memory.writeU32(at + 4, len >>> 0);
  }
  const published = finalIdx ?? idx;
  Atomics.store(new Uint16Array(memory.u8.buffer), (usedAddr + 2) / 2, published & 0xffff);
  return idx;
}

/** What the hostile virtio-blk device does with each request. */
export type HostileBlkBehaviour =
  /** Returns the request with used length 0 and no status byte written. */
  | { readonly kind: 'no-status' }
  /** Writes `status` into the status byte, used length 1. */
  | { readonly kind: 'status'; readonly status: number }
  /** Never completes anything. */
  | { readonly kind: 'idle' };

/** The configuration the hostile virtio-blk device advertises. */
export interface HostileBlkConfig {
  readonly blkSize: number;
  readonly capacity: bigint;
}

/** A virtio-blk DeviceModelCore whose behaviour can change between requests (not started). */
export function hostileBlkModel(
  memory: GuestMemory,
  link: TransportLink,
  base: number,
  config: HostileBlkConfig,
  state: { behaviour: HostileBlkBehaviour },
): DeviceModelCore {
  return new DeviceModelCore(
    { memory, base, link },
    {
      deviceId: DeviceType.BLOCK,
      features: featureMask(BlkFeature.BLK_SIZE, BlkFeature.FLUSH),
      queueMaxSizes: [16],
      config: encodeBlkConfig({
        capacity: config.capacity,
        sizeMax: 0,
        segMax: 0,
        blkSize: config.blkSize,
        maxDiscardSectors: 0,
        maxDiscardSeg: 0,
        discardSectorAlignment: 0,
      }),
      serve: (_q, queue) => {
        const b = state.behaviour;
        if (b.kind === 'idle') return true;
        for (let c = queue.popAvailable(); c !== null; c = queue.popAvailable()) {
          if (b.kind === 'no-status') {
            queue.pushUsed(c, 0);
            continue;
          }
          const last = c.segmentCount - 1;
          memory.writeU8(c.segmentAddress(last) + c.segmentLength(last) - 1, b.status);
          queue.pushUsed(c, 1);
        }
        return true;
      },
    },
  );
}
