import type { BlockDevice } from '@libos/fs';
import { BlockDeviceError, checkBlockRequest, checkDiscardRequest } from '@libos/fs';
import {
  BufferPool,
  type DmaAllocator,
  type DmaRegion,
  type GuestMemory,
  type PoolBuffer,
} from '@libos/mem';
import { DriverCore } from '../../core/driver-core.js';
import { DeviceType } from '../../device-type.js';
import { featureMask } from '../../feature-bits.js';
import type { BufferSegment } from '../../queue/buffer-segment.js';
import type { SplitQueueDriver } from '../../queue/split-queue-driver.js';
import type { TransportLink } from '../../transport/transport-link.js';
import { BLK_CONFIG_SIZE, decodeBlkConfig } from './blk-config.js';
import {
  BLK_DISCARD_SEGMENT_SIZE,
  BLK_HEADER_SIZE,
  BLK_ID_BYTES,
  BLK_SECTOR_SIZE,
  BlkFeature,
  BlkRequestType,
  BlkStatus,
} from './blk-constants.js';

/**
 * Where the device is and how the driver runs it; see {@link VirtioBlockDriver.open}.
 *
 * @example
 * ```ts
 * import type { VirtioBlockDriverOptions } from '@libos/virtio';
 * const options: VirtioBlockDriverOptions = { memory, dma, base: 0x1000, link, queueSize: 64 };
 * ```
 */
export interface VirtioBlockDriverOptions {
  /** Guest memory shared with the device. */
  readonly memory: GuestMemory;
  /** Where rings, request headers and bounce buffers are allocated. */
  readonly dma: DmaAllocator;
  /** Guest address of the device's register block. */
  readonly base: number;
  /** Doorbells between the two sides. */
  readonly link: TransportLink;
  /** Size of the request queue (power of two, ≤ the device's maximum). Default 128. */
  readonly queueSize?: number;
  /** Largest transfer per request in bytes; bigger reads / writes are split. Default 256 KiB. */
  readonly maxTransferBytes?: number;
  /**
   * Bytes of bounce buffer reserved in each request slot (one slot per queue entry):
   * transfers up to this size never touch the DMA allocator. Default 4096; 0 disables.
   */
  readonly slotBounceBytes?: number;
  /** Milliseconds to wait for the device during initialisation (default 1000). */
  readonly timeoutMs?: number;
}

/** The features this driver understands (virtio 1.2 §5.2.3). */
const DRIVER_FEATURES = featureMask(
  BlkFeature.SIZE_MAX,
  BlkFeature.SEG_MAX,
  BlkFeature.RO,
  BlkFeature.BLK_SIZE,
  BlkFeature.FLUSH,
  BlkFeature.DISCARD,
);

/**
 * One pool slot per request in flight:
 *
 * ```text
 *  slot.addr  +16      +17         +64
 *  ├ header ──┼ status ┼─ (pad) ───┼── small-transfer bounce buffer ──┤
 * ```
 */
const SLOT_HEADER_BYTES = 64;
const STATUS_OFFSET = BLK_HEADER_SIZE;
/** Written to the status byte before submission: no device status has this value. */
const STATUS_UNSET = 0xff;
const TWO_POW_32 = 0x1_0000_0000;
/** Schedules microtasks without `queueMicrotask` (not in the browser-safe ES lib). */
const RESOLVED = Promise.resolve();

/** One request from submission to completion. */
interface PendingRequest {
  readonly type: number;
  /** First sector in 512-byte units (§5.2.6). */
  readonly sector: number;
  /** Caller bytes: written to the device (OUT, DISCARD) or filled from it (IN, GET_ID). */
  readonly data: Uint8Array | null;
  /** Whether `data` is device-writable (IN, GET_ID). */
  readonly toDriver: boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** A request whose chain is on the ring. */
interface InFlightRequest {
  readonly request: PendingRequest;
  readonly slot: PoolBuffer;
  /** Bounce buffer address, or -1 when the caller's buffer is in guest memory (zero-copy) or absent. */
  readonly bounce: number;
  /** Whether `bounce` came from the DMA allocator (rather than the slot). */
  readonly bounceAllocated: boolean;
}

/**
 * The guest side of virtio-blk (virtio 1.2 §5.2): a `BlockDevice` over a
 * {@link DriverCore}, with many requests in flight.
 *
 * ```text
 *  read(sector, buffer) ─► checkBlockRequest ─► slot (header+status) + bounce buffer
 *    ─► chain [header][data…][status] on the ring ─► kick (batched per microtask)
 *    ◄─ used buffer interrupt ─► pollUsed ─► status byte ─► copy out, resolve / reject
 * ```
 *
 * - `sectorSize` is `blk_size` when VIRTIO_BLK_F_BLK_SIZE was negotiated, else 512;
 *   request sector numbers on the wire are always 512-byte units (§5.2.6).
 * - Each request takes a slot for its header and status byte (a `BufferPool` with one
 *   slot per queue entry: nothing allocated per request for them). Its data goes through
 *   a bounce buffer: the slot's own (`slotBounceBytes`, 4 KiB by default) or, for larger
 *   transfers, one from the DMA allocator — unless the caller's buffer already is a view
 *   of guest memory, which is used in place (zero-copy).
 * - When the ring, the slots or DMA memory run out, requests wait in FIFO order and
 *   start as earlier ones complete.
 * - Status IOERR and UNSUPP reject with `BlockDeviceError('EIO')` (UNSUPP means the
 *   device refused a request this driver only sends when negotiated). A device failure
 *   (DEVICE_NEEDS_RESET, a hostile used ring) rejects everything pending with `EIO`.
 * - `discard` exists only when VIRTIO_BLK_F_DISCARD was negotiated; `flush` is a no-op
 *   when VIRTIO_BLK_F_FLUSH was not offered.
 *
 * @example
 * ```ts
 * import { VirtioBlockDriver } from '@libos/virtio';
 * const disk = await VirtioBlockDriver.open({ memory, dma, base: 0x1000, link });
 * const sector = new Uint8Array(disk.sectorSize);
 * await disk.read(0, sector);
 * await disk.write(1, sector);
 * await disk.flush();
 * ```
 */
export class VirtioBlockDriver implements BlockDevice {
  /** Bytes per sector: `blk_size` if negotiated, else 512. */
  readonly sectorSize: number;
  /** Number of `sectorSize` sectors. */
  readonly sectorCount: number;
  /** Whether the device offered VIRTIO_BLK_F_RO. */
  readonly readOnly: boolean;
  /**
   * Discards `count` sectors from `sector` (VIRTIO_BLK_T_DISCARD); present only when
   * VIRTIO_BLK_F_DISCARD was negotiated.
   */
  readonly discard?: (sector: number, count: number) => Promise<void>;
  /** The shared driver machinery (transport, queue). */
  readonly core: DriverCore;

  readonly #memory: GuestMemory;
  readonly #dma: DmaAllocator;
  readonly #queue: SplitQueueDriver<number>;
  readonly #slots: BufferPool;
  readonly #inFlight: (InFlightRequest | undefined)[];
  readonly #waiting: PendingRequest[] = [];
  readonly #maxTransfer: number;
  readonly #slotBounce: number;
  readonly #flushSupported: boolean;
  readonly #maxDiscardSectors: number;
  readonly #maxDiscardSeg: number;
  readonly #onUsed = (token: number): void => this.#complete(token);
  readonly #kick = (): void => {
    this.#kickScheduled = false;
    if (this.#closed || this.core.failure !== null) return;
    try {
      this.core.kick(0);
    } catch (e) {
      this.core.fail(e instanceof Error ? e : new Error(String(e)));
    }
  };
  /** Requests on the ring whose promise is not settled. */
  #active = 0;
  #kickScheduled = false;
  #closed = false;

  private constructor(core: DriverCore, options: VirtioBlockDriverOptions, slots: BufferPool) {
    this.core = core;
    this.#memory = options.memory;
    this.#dma = options.dma;
    this.#queue = core.queue(0);
    this.#slots = slots;
    this.#slotBounce = slots.bufferSize - SLOT_HEADER_BYTES;
    this.#inFlight = new Array<InFlightRequest | undefined>(slots.count).fill(undefined);
    // virtio 1.2 §5.2.4: the configuration space, read once the device is live.
    const config = decodeBlkConfig(core.transport.readConfig(0, BLK_CONFIG_SIZE));
    const blkSize = config.blkSize;
    const sectorSize =
      core.has(BlkFeature.BLK_SIZE) &&
      blkSize >= BLK_SECTOR_SIZE &&
      blkSize <= 65536 &&
      (blkSize & (blkSize - 1)) === 0
        ? blkSize
        : BLK_SECTOR_SIZE;
    const bytes = Number(config.capacity) * BLK_SECTOR_SIZE;
    this.sectorSize = sectorSize;
    this.sectorCount = Number.isSafeInteger(bytes) ? Math.floor(bytes / sectorSize) : 0;
    this.readOnly = core.has(BlkFeature.RO);
    this.#flushSupported = core.has(BlkFeature.FLUSH);
    let maxTransfer = options.maxTransferBytes ?? 256 * 1024;
    // The data goes in one descriptor: keep it within size_max (§5.2.4).
    if (core.has(BlkFeature.SIZE_MAX) && config.sizeMax > 0)
      maxTransfer = Math.min(maxTransfer, config.sizeMax);
    this.#maxTransfer = Math.max(sectorSize, maxTransfer - (maxTransfer % sectorSize));
    this.#maxDiscardSectors = config.maxDiscardSectors;
    this.#maxDiscardSeg = config.maxDiscardSeg;
    if (core.has(BlkFeature.DISCARD) && config.maxDiscardSectors > 0 && config.maxDiscardSeg > 0) {
      this.discard = (sector, count) => this.#discard(sector, count);
    }
  }

  /**
   * Opens the device at `options.base`: initialises it (§3.1.1), negotiates features,
   * sets up the request queue and reads the configuration.
   *
   * @param options - memory, DMA allocator, register block, link, queue size
   * @returns the driver
   * @throws {@link TransportError} when the device is absent, not a block device, or refuses
   * @example
   * ```ts
   * const disk = await VirtioBlockDriver.open({ memory, dma, base: 0x1000, link });
   * ```
   */
  static async open(options: VirtioBlockDriverOptions): Promise<VirtioBlockDriver> {
    const queueSize = options.queueSize ?? 128;
    let driver: VirtioBlockDriver | null = null;
    const core = await DriverCore.open({
      memory: options.memory,
      dma: options.dma,
      base: options.base,
      link: options.link,
      deviceId: DeviceType.BLOCK,
      features: DRIVER_FEATURES,
      queueSizes: [queueSize],
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      onUsedBuffers: () => {
        if (driver !== null) driver.#poll();
      },
      onFailure: (e) => {
        if (driver !== null) driver.#failAll(e);
      },
    });
    const bounce = options.slotBounceBytes ?? 4096;
    let slots: BufferPool;
    try {
      if (!Number.isSafeInteger(bounce) || bounce < 0) {
        throw new RangeError(`slotBounceBytes ${bounce} is not a non-negative integer`);
      }
      // Headers and bounce data are written before each request uses them: not zeroed.
      slots = BufferPool.fromDma(options.dma, queueSize, SLOT_HEADER_BYTES + bounce, 64, false);
    } catch (e) {
      await core.close();
      throw e;
    }
    driver = new VirtioBlockDriver(core, options, slots);
    return driver;
  }

  /**
   * Reads `buffer.length / sectorSize` sectors from `sector` into `buffer`.
   * @param sector - first sector (of `sectorSize` bytes)
   * @param buffer - destination, a positive multiple of `sectorSize` long
   * @returns resolves when the data is in `buffer`
   * @throws `BlockDeviceError` `EINVAL` (bad range), `EIO` (device error or failure)
   * @example
   * ```ts
   * await disk.read(0, new Uint8Array(disk.sectorSize));
   * ```
   */
  read(sector: number, buffer: Uint8Array): Promise<void> {
    return this.#transfer(BlkRequestType.IN, sector, buffer, 'read');
  }

  /**
   * Writes `data.length / sectorSize` sectors from `sector`. `data` is copied before the
   * promise settles; it may be reused afterwards.
   * @param sector - first sector (of `sectorSize` bytes)
   * @param data - the bytes, a positive multiple of `sectorSize` long
   * @returns resolves when the device completed the write
   * @throws `BlockDeviceError` `EINVAL`, `EROFS` (read-only device), `EIO`
   * @example
   * ```ts
   * await disk.write(1, new Uint8Array(disk.sectorSize).fill(7));
   * ```
   */
  write(sector: number, data: Uint8Array): Promise<void> {
    return this.#transfer(BlkRequestType.OUT, sector, data, 'write');
  }

  /**
   * Makes every completed write durable (VIRTIO_BLK_T_FLUSH, §5.2.6); resolves at once
   * when the device did not offer VIRTIO_BLK_F_FLUSH.
   * @returns resolves when the device completed the flush
   * @throws `BlockDeviceError` `EIO`
   * @example
   * ```ts
   * await disk.write(0, data);
   * await disk.flush();
   * ```
   */
  flush(): Promise<void> {
    if (!this.#flushSupported) return this.#closed ? this.#rejectClosed() : Promise.resolve();
    // §5.2.6.1: sector 0 and no data for FLUSH.
    return this.#submit(BlkRequestType.FLUSH, 0, null, false);
  }

  /**
   * Fetches the device ID string (VIRTIO_BLK_T_GET_ID, §5.2.6): up to 20 ASCII bytes.
   * @returns the serial, without NUL padding
   * @throws `BlockDeviceError` `EIO` (including a device that does not support it)
   * @example
   * ```ts
   * console.log(await disk.getId()); // 'libos-virtio-blk'
   * ```
   */
  async getId(): Promise<string> {
    const id = new Uint8Array(BLK_ID_BYTES);
    await this.#submit(BlkRequestType.GET_ID, 0, id, true);
    let end = id.indexOf(0);
    if (end < 0) end = BLK_ID_BYTES;
    let out = '';
    for (let i = 0; i < end; i++) out += String.fromCharCode(id[i]!);
    return out;
  }

  /** Requests queued or on the ring, not completed yet. */
  get pending(): number {
    return this.#waiting.length + this.#active;
  }

  /**
   * Resets the device and frees the rings; pending requests reject with `EIO`.
   * @returns resolves once the device acknowledged the reset
   * @example
   * ```ts
   * await disk.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new Error('the driver was closed'));
    await this.core.close();
  }

  // ── internals ────────────────────────────────────────────────────────────────────

  #transfer(type: number, sector: number, data: Uint8Array, kind: 'read' | 'write'): Promise<void> {
    try {
      checkBlockRequest(this, sector, data.length, kind);
    } catch (e) {
      return Promise.reject(e);
    }
    const perSector = this.sectorSize / BLK_SECTOR_SIZE;
    const max = this.#maxTransfer;
    if (data.length <= max) return this.#submit(type, sector * perSector, data, kind === 'read');
    const parts: Promise<void>[] = [];
    for (let at = 0; at < data.length; at += max) {
      const piece = data.subarray(at, Math.min(at + max, data.length));
      parts.push(
        this.#submit(type, (sector + at / this.sectorSize) * perSector, piece, kind === 'read'),
      );
    }
    return Promise.all(parts).then(() => undefined);
  }

  #discard(sector: number, count: number): Promise<void> {
    try {
      checkDiscardRequest(this, sector, count);
    } catch (e) {
      return Promise.reject(e);
    }
    // Ranges of at most max_discard_sectors (kept a multiple of the sector size, which is
    // the device's discard_sector_alignment), max_discard_seg of them per request.
    const perSector = this.sectorSize / BLK_SECTOR_SIZE;
    const maxPerSegment = Math.max(
      perSector,
      this.#maxDiscardSectors - (this.#maxDiscardSectors % perSector),
    );
    const segments: Uint8Array[] = [];
    let first = sector * perSector;
    let left = count * perSector;
    while (left > 0) {
      const n = Math.min(left, maxPerSegment);
      const seg = new Uint8Array(BLK_DISCARD_SEGMENT_SIZE);
      const view = new DataView(seg.buffer);
      // §5.2.6: le64 sector, le32 num_sectors, le32 flags (unmap MUST be 0 for discard).
      view.setUint32(0, first % TWO_POW_32, true);
      view.setUint32(4, Math.floor(first / TWO_POW_32), true);
      view.setUint32(8, n, true);
      segments.push(seg);
      first += n;
      left -= n;
    }
    const requests: Promise<void>[] = [];
    for (let i = 0; i < segments.length; i += this.#maxDiscardSeg) {
      const group = segments.slice(i, i + this.#maxDiscardSeg);
      const body = new Uint8Array(group.length * BLK_DISCARD_SEGMENT_SIZE);
      group.forEach((g, k) => {
        body.set(g, k * BLK_DISCARD_SEGMENT_SIZE);
      });
      requests.push(this.#submit(BlkRequestType.DISCARD, 0, body, false));
    }
    return Promise.all(requests).then(() => undefined);
  }

  #rejectClosed(): Promise<void> {
    return Promise.reject(new BlockDeviceError('EIO', 'the driver is closed'));
  }

  #submit(type: number, sector: number, data: Uint8Array | null, toDriver: boolean): Promise<void> {
    if (this.#closed) return this.#rejectClosed();
    const failure = this.core.failure;
    if (failure !== null) {
      return Promise.reject(new BlockDeviceError('EIO', `the device failed: ${failure.message}`));
    }
    return new Promise<void>((resolve, reject) => {
      const request: PendingRequest = { type, sector, data, toDriver, resolve, reject };
      if (this.#waiting.length > 0 || !this.#start(request)) this.#wait(request);
    });
  }

  /** Puts `request` on the ring; `false` when a resource is exhausted (try again later). */
  #start(request: PendingRequest): boolean {
    const slot = this.#slots.alloc();
    if (slot === null) return false;
    const data = request.data;
    const memory = this.#memory;
    let dataAddr = -1;
    let bounce = -1;
    let bounceAllocated = false;
    if (data !== null) {
      dataAddr = this.#guestAddress(data);
      if (dataAddr < 0) {
        if (data.length <= this.#slotBounce) {
          bounce = slot.addr + SLOT_HEADER_BYTES;
        } else {
          const region = this.#allocBounce(data.length);
          if (region === null) {
            this.#slots.free(slot);
            return false;
          }
          bounce = region.addr;
          bounceAllocated = true;
        }
        dataAddr = bounce;
        if (!request.toDriver) memory.u8.set(data, bounce);
      }
    }
    // virtio 1.2 §5.2.6: le32 type, le32 reserved, le64 sector (512-byte units).
    const hdr = slot.addr;
    memory.writeU32(hdr, request.type);
    memory.writeU32(hdr + 4, 0);
    memory.writeU32(hdr + 8, request.sector % TWO_POW_32);
    memory.writeU32(hdr + 12, Math.floor(request.sector / TWO_POW_32));
    memory.writeU8(hdr + STATUS_OFFSET, STATUS_UNSET);
    const header: BufferSegment = { addr: hdr, len: BLK_HEADER_SIZE };
    const status: BufferSegment = { addr: hdr + STATUS_OFFSET, len: 1 };
    const readable: BufferSegment[] = [header];
    const writable: BufferSegment[] = [];
    if (data !== null && data.length > 0) {
      (request.toDriver ? writable : readable).push({ addr: dataAddr, len: data.length });
    }
    writable.push(status); // the status byte is the last device-writable byte
    let added: boolean;
    try {
      added = this.#queue.addChain(readable, writable, slot.index);
    } catch (e) {
      added = false;
      this.#release(slot, bounceAllocated ? bounce : -1);
      request.reject(new BlockDeviceError('EIO', `cannot queue the request: ${String(e)}`));
      return true;
    }
    if (!added) {
      this.#release(slot, bounceAllocated ? bounce : -1);
      return false;
    }
    this.#inFlight[slot.index] = { request, slot, bounce, bounceAllocated };
    this.#active++;
    this.#scheduleKick();
    return true;
  }

  /**
   * A DMA bounce buffer, or null when there is none now (exhausted, or larger than any
   * block). Not zeroed: a write fills it from the caller, a read is copied out only
   * after the device reported success for the whole transfer.
   */
  #allocBounce(length: number): DmaRegion | null {
    try {
      return this.#dma.alloc(length, 64, false);
    } catch {
      return null;
    }
  }

  /** The guest address of `bytes` when it is a view of guest memory, else −1. */
  #guestAddress(bytes: Uint8Array): number {
    const memory = this.#memory;
    if (bytes.buffer !== memory.buffer) return -1;
    return memory.contains(bytes.byteOffset, bytes.length) ? bytes.byteOffset : -1;
  }

  /** One publish + doorbell for everything queued in this turn of the event loop. */
  #scheduleKick(): void {
    if (this.#kickScheduled) return;
    this.#kickScheduled = true;
    RESOLVED.then(this.#kick);
  }

  #poll(): void {
    this.#queue.pollUsed(this.#onUsed);
    this.#startWaiting();
  }

  #complete(token: number): void {
    const entry = this.#inFlight[token];
    if (entry === undefined) return;
    this.#inFlight[token] = undefined;
    this.#active--;
    const { request, slot, bounce, bounceAllocated } = entry;
    const memory = this.#memory;
    const status = memory.readU8(slot.addr + STATUS_OFFSET);
    const data = request.data;
    if (status === BlkStatus.OK && bounce >= 0 && request.toDriver && data !== null) {
      data.set(memory.u8.subarray(bounce, bounce + data.length));
    }
    this.#release(slot, bounceAllocated ? bounce : -1);
    if (status === BlkStatus.OK) {
      request.resolve();
    } else {
      const what =
        status === BlkStatus.UNSUPP
          ? 'unsupported request'
          : status === BlkStatus.IOERR
            ? 'I/O error'
            : `bad status ${status}`;
      request.reject(new BlockDeviceError('EIO', `virtio-blk: ${what}`));
    }
  }

  /** Gives back a slot and, when ≥ 0, a bounce buffer taken from the DMA allocator. */
  #release(slot: PoolBuffer, allocatedBounce: number): void {
    this.#slots.free(slot);
    if (allocatedBounce >= 0) this.#dma.free(allocatedBounce);
  }

  /**
   * Queues a request that could not start. With nothing in flight no completion will
   * free anything, so waiting would hang: the request is refused instead.
   */
  #wait(request: PendingRequest): void {
    if (this.#active === 0 && this.#waiting.length === 0) {
      request.reject(tooLarge());
      return;
    }
    this.#waiting.push(request);
  }

  #startWaiting(): void {
    const waiting = this.#waiting;
    while (waiting.length > 0 && !this.#closed && this.core.failure === null) {
      const next = waiting[0]!;
      if (this.#start(next)) {
        waiting.shift();
      } else if (this.#active === 0) {
        waiting.shift();
        next.reject(tooLarge());
      } else {
        break;
      }
    }
  }

  #failAll(error: Error): void {
    const reason = new BlockDeviceError('EIO', `virtio-blk device failed: ${error.message}`);
    for (let i = 0; i < this.#inFlight.length; i++) {
      const entry = this.#inFlight[i];
      if (entry === undefined) continue;
      this.#inFlight[i] = undefined;
      this.#active--;
      // The device may still own the buffers: they are not given back (bounded leak until reset).
      entry.request.reject(reason);
    }
    for (const request of this.#waiting.splice(0)) request.reject(reason);
  }
}

/** Why a request that cannot start with nothing in flight is refused. */
function tooLarge(): BlockDeviceError {
  return new BlockDeviceError('EIO', 'not enough DMA memory or ring space for this request');
}
