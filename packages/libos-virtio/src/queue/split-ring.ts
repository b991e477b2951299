import type { GuestMemory } from '@libos/mem';
import { splitQueueLayout } from '../split-ring-layout.js';
import type { SplitQueueAddresses } from './split-queue-options.js';
import { VirtqueueError } from './virtqueue-error.js';

/**
 * Internal: typed-array views over the three parts of one split virtqueue, built once,
 * shared by {@link SplitQueueDriver} and {@link SplitQueueDevice}. Not exported from the
 * package.
 *
 * ```text
 *  desc + 16·i      addr lo u32 │ addr hi u32 │ len u32 │ flags u16 | next u16      (§2.7.5)
 *  avail + 0        flags u16 │ idx u16 │ ring[N] u16 │ used_event u16             (§2.7.6)
 *  used + 0         flags u16 │ idx u16 │ ring[N] { id u32, len u32 } │ avail_event u16 (§2.7.8)
 * ```
 *
 * The index and event words are reached through `GuestMemory`'s atomic accessors at the
 * addresses below; everything else through the views (plain accesses, ordered by those
 * atomics — §2.7.13).
 */
export class SplitRing {
  readonly memory: GuestMemory;
  readonly size: number;
  readonly mask: number;
  /** 4 words per descriptor: addr lo, addr hi, len, flags | next << 16. */
  readonly desc: Uint32Array;
  /** `avail.ring[N]`. */
  readonly availRing: Uint16Array;
  /** `used.ring[N]` as 2 words per element: id, len. */
  readonly usedRing: Uint32Array;
  readonly availFlagsAddr: number;
  readonly availIdxAddr: number;
  readonly usedEventAddr: number;
  readonly usedFlagsAddr: number;
  readonly usedIdxAddr: number;
  readonly availEventAddr: number;

  constructor(memory: GuestMemory, size: number, addresses: SplitQueueAddresses) {
    let layout: ReturnType<typeof splitQueueLayout>;
    try {
      layout = splitQueueLayout(size);
    } catch (e) {
      throw new VirtqueueError('BAD_QUEUE_SIZE', (e as Error).message);
    }
    checkPart(memory, 'desc', addresses.desc, layout.descriptorTable.bytes, 16);
    checkPart(memory, 'avail', addresses.avail, layout.availableRing.bytes, 2);
    checkPart(memory, 'used', addresses.used, layout.usedRing.bytes, 4);
    // Throws UNSUPPORTED_HOST on a big-endian host: the views below assume little-endian.
    memory.atomicLoadU16(addresses.avail);
    this.memory = memory;
    this.size = size;
    this.mask = size - 1;
    const buffer = memory.buffer;
    this.desc = new Uint32Array(buffer, addresses.desc, 4 * size);
    this.availRing = new Uint16Array(buffer, addresses.avail + 4, size);
    this.usedRing = new Uint32Array(buffer, addresses.used + 4, 2 * size);
    this.availFlagsAddr = addresses.avail; // §2.7.6 flags
    this.availIdxAddr = addresses.avail + 2; // §2.7.6 idx
    this.usedEventAddr = addresses.avail + 4 + 2 * size; // §2.7.6 used_event
    this.usedFlagsAddr = addresses.used; // §2.7.8 flags
    this.usedIdxAddr = addresses.used + 2; // §2.7.8 idx
    this.availEventAddr = addresses.used + 4 + 8 * size; // §2.7.8 avail_event
  }
}

function checkPart(
  memory: GuestMemory,
  name: string,
  addr: number,
  bytes: number,
  align: number,
): void {
  if (!Number.isSafeInteger(addr) || addr < 0 || addr % align !== 0) {
    throw new VirtqueueError(
      'BAD_ADDRESS',
      `${name} address ${addr} is not a ${align}-byte aligned guest address (§2.7)`,
    );
  }
  if (!memory.contains(addr, bytes)) {
    throw new VirtqueueError(
      'BAD_ADDRESS',
      `${name} area [${addr}, +${bytes}) is not inside guest memory`,
    );
  }
}
