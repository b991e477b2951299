import type { GuestMemory } from '@libos/mem';
import { DeviceModelCore, type DeviceModelPlacement } from '../../core/device-model-core.js';
import { DeviceType } from '../../device-type.js';
import { featureMask } from '../../feature-bits.js';
import type { BufferSegment } from '../../queue/buffer-segment.js';
import { DescriptorChain } from '../../queue/descriptor-chain.js';
import type { SplitQueueDevice } from '../../queue/split-queue-device.js';
import { encodeBlkConfig } from './blk-config.js';
import { BLK_ID_BYTES, BLK_SECTOR_SIZE, BlkFeature, BlkStatus } from './blk-constants.js';
import { type BlkRequest, type BlkRequestLimits, parseBlkRequest } from './blk-request.js';
import type { BlockBackend } from './block-backend.js';

/**
 * Options of a {@link BlockDeviceModel}.
 *
 * @example
 * ```ts
 * import type { BlockDeviceModelOptions } from '@libos/virtio';
 * const options: BlockDeviceModelOptions = { blockSize: 4096, serial: 'disk-0', queueSize: 64 };
 * ```
 */
export interface BlockDeviceModelOptions {
  /** Largest queue the device accepts (QueueNumMax), a power of two ≥ 4. Default 256. */
  readonly queueSize?: number;
  /** Logical block size offered in `blk_size`: a power of two in 512..65536. Default 512. */
  readonly blockSize?: number;
  /** Device ID string for VIRTIO_BLK_T_GET_ID: ASCII, at most 20 bytes. Default `libos-virtio-blk`. */
  readonly serial?: string;
  /** Largest data segment in bytes (`size_max`). Default 1 MiB. */
  readonly sizeMax?: number;
  /** Most segments in one discard request (`max_discard_seg`). Default 16. */
  readonly maxDiscardSegments?: number;
  /** Offer VIRTIO_BLK_F_RO even when the backend is writable. Default: the backend's flag. */
  readonly readOnly?: boolean;
}

/**
 * Error thrown by {@link BlockDeviceModel}'s constructor for bad options (a misuse,
 * never hostile input).
 *
 * @example
 * ```ts
 * import { BlockDeviceModelError } from '@libos/virtio';
 * try { new BlockDeviceModel(placement, backend, { blockSize: 1000 }); }
 * catch (e) { if (e instanceof BlockDeviceModelError) console.log(e.code); } // 'BAD_OPTION'
 * ```
 */
export class BlockDeviceModelError extends Error {
  /** Stable reason code. */
  readonly code: 'BAD_OPTION';

  /**
   * @param code - stable reason
   * @param message - detail
   */
  constructor(code: 'BAD_OPTION', message: string) {
    super(message);
    this.name = 'BlockDeviceModelError';
    this.code = code;
  }
}

const MAX_U32 = 0xffff_ffff;
const DEFAULT_SIZE_MAX = 1 << 20;

/**
 * The device ("hypervisor") side of virtio-blk (virtio 1.2 §5.2): one request queue,
 * served on a {@link DeviceModelCore}, backed by an asynchronous {@link BlockBackend}.
 *
 * - Offers SEG_MAX (queue size − 2), SIZE_MAX, BLK_SIZE, FLUSH, DISCARD (when the
 *   backend can discard) and RO (when read-only); `capacity` is in 512-byte sectors.
 * - Each chain is parsed completely before it executes (see `parseBlkRequest`): a chain
 *   that cannot hold a header and a status byte is a protocol violation
 *   (`BAD_REQUEST`: the queue stops, DEVICE_NEEDS_RESET); every other bad request gets
 *   an IOERR / UNSUPP status. Hostile input never throws out of the device.
 * - Requests run concurrently: `serve` starts the backend work and returns; each
 *   completion writes the status byte, pushes the used element and publishes it
 *   ({@link DeviceModelCore.completeQueue}). A single-segment transfer is read into /
 *   written from guest memory directly; multi-segment ones go through a staging copy.
 * - A device reset forgets requests in flight: their late completions are dropped (no
 *   status byte, no used element). A backend read still running at the reset may fill
 *   its guest buffer when it finishes, as a real disk's DMA in flight would.
 *
 * The constructor takes only plain values and the backend, so the model can also be
 * built inside a worker that shares guest memory.
 *
 * @example
 * ```ts
 * import { GuestMemory } from '@libos/mem';
 * import { BlockDeviceModel, InlineLink, MemoryBlockBackend } from '@libos/virtio';
 * const memory = new GuestMemory(4 << 20);
 * const link = new InlineLink(memory);
 * const disk = new BlockDeviceModel({ memory, base: 0x1000, link },
 *   new MemoryBlockBackend(new Uint8Array(1 << 20)), { serial: 'disk-0' });
 * disk.start();
 * ```
 */
export class BlockDeviceModel {
  /** The shared device-model machinery (transport, queues). */
  readonly core: DeviceModelCore;
  /** Where the bytes live. */
  readonly backend: BlockBackend;
  /** Capacity in 512-byte sectors, as published in the configuration space. */
  readonly capacity: number;
  /** Logical block size offered in `blk_size`. */
  readonly blockSize: number;
  /** Whether VIRTIO_BLK_F_RO is offered (writes get IOERR). */
  readonly readOnly: boolean;
  /** The 20-byte, NUL-padded device ID string. */
  readonly serial: Uint8Array;

  readonly #memory: GuestMemory;
  readonly #limits: BlkRequestLimits;
  readonly #chain: DescriptorChain;
  readonly #header = new Uint8Array(16);
  /** Bumped by a reset: completions from an older epoch are dropped. */
  #epoch = 0;
  #inFlight = 0;

  /**
   * @param placement - guest memory, register block address and link
   * @param backend - the disk
   * @param options - geometry, serial, limits
   * @throws {@link BlockDeviceModelError} `BAD_OPTION` for invalid options or a disk
   *   smaller than one block
   */
  constructor(
    placement: DeviceModelPlacement,
    backend: BlockBackend,
    options: BlockDeviceModelOptions = {},
  ) {
    const queueSize = options.queueSize ?? 256;
    const blockSize = options.blockSize ?? BLK_SECTOR_SIZE;
    const sizeMax = options.sizeMax ?? DEFAULT_SIZE_MAX;
    const maxDiscardSeg = options.maxDiscardSegments ?? 16;
    if (!isPowerOfTwo(queueSize) || queueSize < 4 || queueSize > 32768) {
      throw new BlockDeviceModelError(
        'BAD_OPTION',
        `queue size ${queueSize} is not a power of two in 4..32768`,
      );
    }
    if (!isPowerOfTwo(blockSize) || blockSize < BLK_SECTOR_SIZE || blockSize > 65536) {
      throw new BlockDeviceModelError(
        'BAD_OPTION',
        `block size ${blockSize} is not a power of two in 512..65536`,
      );
    }
    if (!Number.isSafeInteger(sizeMax) || sizeMax < blockSize || sizeMax > MAX_U32) {
      throw new BlockDeviceModelError(
        'BAD_OPTION',
        `size_max ${sizeMax} is not in ${blockSize}..2^32-1`,
      );
    }
    if (!Number.isSafeInteger(maxDiscardSeg) || maxDiscardSeg < 1 || maxDiscardSeg > 0xffff) {
      throw new BlockDeviceModelError(
        'BAD_OPTION',
        `max discard segments ${maxDiscardSeg} is not in 1..65535`,
      );
    }
    const serial = encodeSerial(options.serial ?? 'libos-virtio-blk');
    const blocks = Math.floor(backend.byteLength / blockSize);
    if (!Number.isSafeInteger(backend.byteLength) || blocks < 1) {
      throw new BlockDeviceModelError(
        'BAD_OPTION',
        `a disk of ${backend.byteLength} bytes holds no ${blockSize}-byte block`,
      );
    }
    this.backend = backend;
    this.blockSize = blockSize;
    this.capacity = (blocks * blockSize) / BLK_SECTOR_SIZE;
    this.readOnly = options.readOnly === true || backend.readOnly;
    this.serial = serial;
    this.#memory = placement.memory;
    this.#chain = new DescriptorChain(placement.memory, 8);
    const alignment = blockSize / BLK_SECTOR_SIZE;
    // Largest aligned count that fits the le32 field (§5.2.4).
    const maxDiscardSectors = Math.min(this.capacity, MAX_U32 - (MAX_U32 % alignment));
    const discard = typeof backend.discard === 'function';
    this.#limits = {
      capacity: this.capacity,
      readOnly: this.readOnly,
      sizeMax,
      discard,
      maxDiscardSectors,
      maxDiscardSeg,
      discardSectorAlignment: alignment,
    };
    const features =
      featureMask(BlkFeature.SIZE_MAX, BlkFeature.SEG_MAX, BlkFeature.BLK_SIZE, BlkFeature.FLUSH) |
      (discard ? featureMask(BlkFeature.DISCARD) : 0n) |
      (this.readOnly ? featureMask(BlkFeature.RO) : 0n);
    this.core = new DeviceModelCore(placement, {
      deviceId: DeviceType.BLOCK,
      features,
      queueMaxSizes: [queueSize],
      // virtio 1.2 §5.2.4: capacity in 512-byte sectors, whatever blk_size is.
      config: encodeBlkConfig({
        capacity: BigInt(this.capacity),
        sizeMax,
        segMax: queueSize - 2, // two descriptors go to the header and the status byte
        blkSize: blockSize,
        maxDiscardSectors: discard ? maxDiscardSectors : 0,
        maxDiscardSeg: discard ? maxDiscardSeg : 0,
        discardSectorAlignment: discard ? alignment : 0,
      }),
      serve: (_index, queue) => this.#serve(queue),
      onReset: () => {
        this.#epoch++;
        this.#inFlight = 0;
      },
    });
  }

  /** Requests started on the backend and not completed yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Starts watching the doorbells.
   * @example
   * ```ts
   * disk.start();
   * ```
   */
  start(): void {
    this.core.start();
  }

  /**
   * Stops watching the doorbells (requests in flight still complete).
   * @example
   * ```ts
   * disk.stop();
   * ```
   */
  stop(): void {
    this.core.stop();
  }

  #serve(queue: SplitQueueDevice): boolean {
    const chain = this.#chain;
    while (queue.popAvailable(chain) !== null) {
      const request = parseBlkRequest(chain, this.#limits, this.#header);
      if (request.kind === 'violation') {
        queue.reportViolation('BAD_REQUEST', request.message);
        return true;
      }
      this.#execute(queue, chain.head, request);
    }
    return true;
  }

  #execute(
    queue: SplitQueueDevice,
    head: number,
    request: Exclude<BlkRequest, { kind: 'violation' }>,
  ): void {
    const memory = this.#memory;
    const noData = request.writable === 1 ? 1 : 0;
    switch (request.kind) {
      case 'status':
        memory.writeU8(request.statusAddr, request.status);
        queue.pushUsed(head, noData);
        return;
      case 'get-id': {
        writeSegments(memory, request.data, this.serial);
        memory.writeU8(request.statusAddr, BlkStatus.OK);
        queue.pushUsed(
          head,
          request.writable === BLK_ID_BYTES + 1 ? request.writable : BLK_ID_BYTES,
        );
        return;
      }
      case 'read': {
        const single = request.data.length === 1 ? request.data[0]! : null;
        const dst = single ? memory.bytes(single.addr, single.len) : new Uint8Array(request.length);
        // On success every writable byte was written: the data, then the status (§2.7.8.1).
        this.#run(head, request.statusAddr, request.writable, noData, () =>
          this.backend.read(request.offset, dst).then(() => {
            if (single === null) writeSegments(memory, request.data, dst);
          }),
        );
        return;
      }
      case 'write': {
        const single = request.data.length === 1 ? request.data[0]! : null;
        const src = single
          ? memory.bytes(single.addr, single.len)
          : gather(memory, request.data, request.length);
        this.#run(head, request.statusAddr, noData, noData, () =>
          this.backend.write(request.offset, src),
        );
        return;
      }
      case 'flush':
        this.#run(head, request.statusAddr, noData, noData, () => this.backend.flush());
        return;
      case 'discard': {
        const backend = this.backend;
        this.#run(head, request.statusAddr, noData, noData, async () => {
          for (const r of request.ranges) await backend.discard!(r.offset, r.length);
        });
        return;
      }
    }
  }

  /** Starts backend work; its completion writes the status and returns the chain. */
  #run(
    head: number,
    statusAddr: number,
    okLength: number,
    errorLength: number,
    work: () => Promise<void>,
  ): void {
    const epoch = this.#epoch;
    this.#inFlight++;
    let promise: Promise<void>;
    try {
      promise = work();
    } catch (e) {
      promise = Promise.reject(e);
    }
    promise.then(
      () => this.#complete(epoch, head, statusAddr, BlkStatus.OK, okLength),
      () => this.#complete(epoch, head, statusAddr, BlkStatus.IOERR, errorLength),
    );
  }

  #complete(epoch: number, head: number, statusAddr: number, status: number, length: number): void {
    if (epoch !== this.#epoch) return; // reset since: the chain is no longer ours
    this.#inFlight--;
    const queue = this.core.queue(0);
    if (queue === null || queue.broken) return;
    try {
      this.#memory.writeU8(statusAddr, status);
      queue.pushUsed(head, length);
    } catch (e) {
      queue.reportViolation('BAD_REQUEST', `virtio-blk completion failed: ${String(e)}`);
      return;
    }
    this.core.completeQueue(0);
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** §5.2.6: the ID is a NUL-padded ASCII string of up to 20 bytes. */
function encodeSerial(serial: string): Uint8Array {
  const out = new Uint8Array(BLK_ID_BYTES);
  if (serial.length > BLK_ID_BYTES) {
    throw new BlockDeviceModelError(
      'BAD_OPTION',
      `serial "${serial}" is longer than ${BLK_ID_BYTES} bytes`,
    );
  }
  for (let i = 0; i < serial.length; i++) {
    const c = serial.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new BlockDeviceModelError('BAD_OPTION', `serial "${serial}" is not printable ASCII`);
    }
    out[i] = c;
  }
  return out;
}

/** Scatters `src` over validated device-writable guest buffers. */
function writeSegments(
  memory: GuestMemory,
  segments: readonly BufferSegment[],
  src: Uint8Array,
): void {
  let pos = 0;
  for (const s of segments) {
    memory.u8.set(src.subarray(pos, pos + s.len), s.addr);
    pos += s.len;
  }
}

/** Gathers validated device-readable guest buffers into one copy. */
function gather(
  memory: GuestMemory,
  segments: readonly BufferSegment[],
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  let pos = 0;
  for (const s of segments) {
    out.set(memory.u8.subarray(s.addr, s.addr + s.len), pos);
    pos += s.len;
  }
  return out;
}
