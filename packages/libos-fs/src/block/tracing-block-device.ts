import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError, type BlockDeviceErrorCode } from '../block-device-error.js';

/**
 * The kind of request a {@link TracingBlockDevice} saw.
 *
 * @example
 * ```ts
 * import type { BlockOp } from '@libos/fs';
 * const mutates = (op: BlockOp) => op !== 'read';
 * ```
 */
export type BlockOp = 'read' | 'write' | 'flush' | 'discard';

/**
 * One request as a {@link TracingBlockDevice} recorded it: what was asked, in which
 * order it started and finished relative to every other request, and how it ended.
 *
 * @example
 * ```ts
 * import type { BlockTraceRecord } from '@libos/fs';
 * const writesBeforeFlush = (trace: readonly BlockTraceRecord[]) => {
 *   const flush = trace.find((r) => r.op === 'flush');
 *   return trace.filter((r) => r.op === 'write' && flush && r.endSeq < flush.startSeq);
 * };
 * ```
 */
export interface BlockTraceRecord {
  /** What the request was. */
  readonly op: BlockOp;
  /** First sector (0 for `flush`). */
  readonly sector: number;
  /** Number of sectors (0 for `flush`). */
  readonly count: number;
  /**
   * Position of the request's start in the device's single event sequence: starts and
   * ends share one counter, so `a.endSeq < b.startSeq` means `a` completed before `b` began.
   */
  readonly startSeq: number;
  /** Position of the request's completion in the same sequence as `startSeq`. */
  readonly endSeq: number;
  /** `'ok'`, or the {@link BlockDeviceError} code (`'error'` for any other rejection). */
  readonly outcome: 'ok' | BlockDeviceErrorCode | 'error';
}

/**
 * Where a {@link TracingBlockDevice} puts its records.
 *
 * @example
 * ```ts
 * import { RamDisk, TracingBlockDevice, type TracingOptions } from '@libos/fs';
 * const options: TracingOptions = { capacity: 1024 };
 * const traced = new TracingBlockDevice(new RamDisk({ sectorCount: 64 }), options);
 * ```
 */
export interface TracingOptions {
  /** Called with each record as its request completes. */
  readonly onRecord?: (record: BlockTraceRecord) => void;
  /**
   * How many of the latest records {@link TracingBlockDevice.records} keeps (a ring; the
   * oldest are dropped). Default 4096; 0 keeps none (use `onRecord`).
   */
  readonly capacity?: number;
}

/**
 * A {@link BlockDevice} wrapper that passes every request through unchanged and records
 * it (op, sector range, start/end order, outcome) to a callback and a bounded ring. Tests
 * use it to assert write ordering, e.g. that a cache finished every data write before it
 * asked the disk below to flush.
 *
 * @example
 * ```ts
 * import { RamDisk, TracingBlockDevice } from '@libos/fs';
 * const traced = new TracingBlockDevice(new RamDisk({ sectorCount: 64 }));
 * await traced.write(3, new Uint8Array(512));
 * await traced.flush();
 * traced.records().map((r) => r.op); // ['write', 'flush']
 * ```
 */
export class TracingBlockDevice implements BlockDevice {
  /** Bytes per sector, as the wrapped device. */
  readonly sectorSize: number;
  /** Number of sectors, as the wrapped device. */
  readonly sectorCount: number;
  /** Whether the wrapped device is read-only. */
  readonly readOnly: boolean;
  /** Passes a discard through and records it; present when the wrapped device has discard. */
  readonly discard?: (sector: number, count: number) => Promise<void>;

  readonly #inner: BlockDevice;
  readonly #onRecord: ((record: BlockTraceRecord) => void) | undefined;
  readonly #capacity: number;
  readonly #ring: BlockTraceRecord[] = [];
  #ringStart = 0;
  #seq = 0;

  /**
   * @param inner The device to trace.
   * @param options Callback and ring size.
   */
  constructor(inner: BlockDevice, options: TracingOptions = {}) {
    this.#inner = inner;
    this.sectorSize = inner.sectorSize;
    this.sectorCount = inner.sectorCount;
    this.readOnly = inner.readOnly;
    this.#onRecord = options.onRecord;
    const capacity = options.capacity ?? 4096;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new BlockDeviceError('EINVAL', `trace capacity ${capacity} is not a count`);
    }
    this.#capacity = capacity;
    const innerDiscard = inner.discard;
    if (innerDiscard) {
      this.discard = (sector, count) =>
        this.#trace('discard', sector, count, () => innerDiscard.call(inner, sector, count));
    }
  }

  /** Passes a read through and records it. */
  read(sector: number, buffer: Uint8Array): Promise<void> {
    const count = buffer.length / this.sectorSize;
    return this.#trace('read', sector, count, () => this.#inner.read(sector, buffer));
  }

  /** Passes a write through and records it. */
  write(sector: number, data: Uint8Array): Promise<void> {
    const count = data.length / this.sectorSize;
    return this.#trace('write', sector, count, () => this.#inner.write(sector, data));
  }

  /** Passes a flush through and records it. */
  flush(): Promise<void> {
    return this.#trace('flush', 0, 0, () => this.#inner.flush());
  }

  /** The records kept in the ring, oldest first (a copy). */
  records(): BlockTraceRecord[] {
    return [...this.#ring.slice(this.#ringStart), ...this.#ring.slice(0, this.#ringStart)];
  }

  /** Forgets the records in the ring (the sequence counter keeps counting). */
  clear(): void {
    this.#ring.length = 0;
    this.#ringStart = 0;
  }

  async #trace(
    op: BlockOp,
    sector: number,
    count: number,
    run: () => Promise<void>,
  ): Promise<void> {
    const startSeq = this.#seq++;
    let outcome: BlockTraceRecord['outcome'] = 'ok';
    try {
      await run();
    } catch (e) {
      outcome = e instanceof BlockDeviceError ? e.code : 'error';
      throw e;
    } finally {
      this.#record({ op, sector, count, startSeq, endSeq: this.#seq++, outcome });
    }
  }

  #record(record: BlockTraceRecord): void {
    if (this.#capacity > 0) {
      if (this.#ring.length < this.#capacity) {
        this.#ring.push(record);
      } else {
        this.#ring[this.#ringStart] = record;
        this.#ringStart = (this.#ringStart + 1) % this.#capacity;
      }
    }
    this.#onRecord?.(record);
  }
}
