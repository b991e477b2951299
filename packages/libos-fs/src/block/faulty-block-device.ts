import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError } from '../block-device-error.js';
import { checkBlockRequest, checkDiscardRequest } from '../check-block-request.js';
import type { BlockOp } from './tracing-block-device.js';

/**
 * A fault a {@link FaultyBlockDevice} injects: requests of the chosen kinds that touch
 * the chosen sectors fail with `EIO` — all of them, or only after some succeeded, or
 * only a number of times.
 *
 * @example
 * ```ts
 * import type { FaultRule } from '@libos/fs';
 * const badSector: FaultRule = { ops: ['read', 'write'], start: 100, count: 1 };
 * const failSecondFlush: FaultRule = { ops: ['flush'], after: 1, times: 1 };
 * ```
 */
export interface FaultRule {
  /** The request kinds the rule applies to. */
  readonly ops: readonly BlockOp[];
  /** First sector of the failing range. Omitted: every sector, and flushes. A rule with a range never fails a flush. */
  readonly start?: number;
  /** Sectors in the failing range (default 1 when `start` is given). */
  readonly count?: number;
  /** Let this many matching requests succeed before failing. Default 0. */
  readonly after?: number;
  /** Fail at most this many requests, then stop matching. Default: no limit. */
  readonly times?: number;
}

interface ActiveRule {
  readonly rule: FaultRule;
  readonly start: number;
  readonly end: number;
  seen: number;
  failed: number;
}

/**
 * A {@link BlockDevice} wrapper that injects `EIO` failures by rule, for testing how
 * file systems and caches survive bad sectors and failing flushes. Rules can be added and
 * removed while requests run. A request is checked against the contract first (so bad
 * requests still get `EINVAL`), then against the rules; a failing write or discard changes
 * nothing and a failing read leaves the caller's buffer untouched.
 *
 * @example
 * ```ts
 * import { FaultyBlockDevice, RamDisk } from '@libos/fs';
 * const disk = new FaultyBlockDevice(new RamDisk({ sectorCount: 64 }));
 * const rule = disk.addRule({ ops: ['write'], start: 7 });
 * await disk.write(7, new Uint8Array(512)).catch((e) => e.code); // 'EIO'
 * disk.removeRule(rule);
 * ```
 */
export class FaultyBlockDevice implements BlockDevice {
  /** Bytes per sector, as the wrapped device. */
  readonly sectorSize: number;
  /** Number of sectors, as the wrapped device. */
  readonly sectorCount: number;
  /** Whether the wrapped device is read-only. */
  readonly readOnly: boolean;
  /** Discards through the rules; present when the wrapped device has discard. */
  readonly discard?: (sector: number, count: number) => Promise<void>;

  readonly #inner: BlockDevice;
  readonly #rules = new Map<number, ActiveRule>();
  #nextRuleId = 1;
  #injected = 0;

  /** @param inner The device to wrap. */
  constructor(inner: BlockDevice) {
    this.#inner = inner;
    this.sectorSize = inner.sectorSize;
    this.sectorCount = inner.sectorCount;
    this.readOnly = inner.readOnly;
    const innerDiscard = inner.discard;
    if (innerDiscard) {
      this.discard = (sector, count) => {
        try {
          checkDiscardRequest(this, sector, count);
          this.#check('discard', sector, count);
        } catch (e) {
          return Promise.reject(e);
        }
        return innerDiscard.call(inner, sector, count);
      };
    }
  }

  /** How many requests the rules have failed so far. */
  get injectedFailures(): number {
    return this.#injected;
  }

  /**
   * Adds a rule; it applies to requests that start from now on.
   *
   * @param rule What to fail.
   * @returns An id for {@link FaultyBlockDevice.removeRule}.
   * @throws {@link BlockDeviceError} `EINVAL` for a range outside the device or bad counts.
   */
  addRule(rule: FaultRule): number {
    const whole = rule.start === undefined;
    const start = rule.start ?? 0;
    const count = whole ? this.sectorCount : (rule.count ?? 1);
    for (const [name, value] of [
      ['start', start],
      ['count', count],
      ['after', rule.after ?? 0],
      ['times', rule.times ?? 0],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new BlockDeviceError('EINVAL', `fault rule ${name} ${value} is not a count`);
      }
    }
    if (count < 1 || start >= this.sectorCount || count > this.sectorCount - start) {
      throw new BlockDeviceError('EINVAL', `fault rule range ${start}+${count} is off the device`);
    }
    const id = this.#nextRuleId++;
    this.#rules.set(id, { rule, start, end: start + count, seen: 0, failed: 0 });
    return id;
  }

  /**
   * Removes a rule.
   *
   * @param id What {@link FaultyBlockDevice.addRule} returned.
   * @returns Whether the rule existed.
   */
  removeRule(id: number): boolean {
    return this.#rules.delete(id);
  }

  /** Removes every rule: the device behaves like the wrapped one again. */
  clearRules(): void {
    this.#rules.clear();
  }

  /** Reads through, unless a rule fails the request. */
  read(sector: number, buffer: Uint8Array): Promise<void> {
    try {
      const count = checkBlockRequest(this, sector, buffer.length, 'read');
      this.#check('read', sector, count);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#inner.read(sector, buffer);
  }

  /** Writes through, unless a rule fails the request (then nothing is written). */
  write(sector: number, data: Uint8Array): Promise<void> {
    try {
      const count = checkBlockRequest(this, sector, data.length, 'write');
      this.#check('write', sector, count);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#inner.write(sector, data);
  }

  /** Flushes through, unless a rule fails the flush. */
  flush(): Promise<void> {
    try {
      this.#check('flush', 0, this.sectorCount);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#inner.flush();
  }

  #check(op: BlockOp, sector: number, count: number): void {
    for (const active of this.#rules.values()) {
      const { rule } = active;
      if (!rule.ops.includes(op)) continue;
      if (op !== 'flush' && (sector >= active.end || sector + count <= active.start)) continue;
      if (op === 'flush' && rule.start !== undefined) continue;
      if (rule.times !== undefined && active.failed >= rule.times) continue;
      active.seen++;
      if (active.seen <= (rule.after ?? 0)) continue;
      active.failed++;
      this.#injected++;
      throw new BlockDeviceError('EIO', `injected ${op} failure at sectors ${sector}+${count}`);
    }
  }
}
