import { describe, expect, it } from 'vitest';
import type { BlockDevice } from '../block-device.js';
import { BlockDeviceError } from '../block-device-error.js';

/**
 * How {@link describeBlockDevice} gets devices to test. Each `create` call must return a
 * fresh, writable device of at least 64 sectors whose contents the test may destroy.
 *
 * @example
 * ```ts
 * import { RamDisk } from '@libos/fs';
 * import type { BlockDeviceFactory } from '@libos/fs/testing';
 * const factory: BlockDeviceFactory = {
 *   create: async () => ({ device: new RamDisk({ sectorCount: 128 }) }),
 *   createReadOnly: async () => ({ device: new RamDisk({ sectorCount: 128, readOnly: true }) }),
 * };
 * ```
 */
export interface BlockDeviceFactory {
  /** A fresh writable device, and how to dispose of it. */
  create(): Promise<BlockDeviceUnderTest>;
  /** A fresh read-only device, when the implementation supports read-only mode. */
  createReadOnly?(): Promise<BlockDeviceUnderTest>;
}

/**
 * A device handed to the conformance suite.
 *
 * @example
 * ```ts
 * import { RamDisk } from '@libos/fs';
 * import type { BlockDeviceUnderTest } from '@libos/fs/testing';
 * const subject: BlockDeviceUnderTest = { device: new RamDisk({ sectorCount: 64 }) };
 * ```
 */
export interface BlockDeviceUnderTest {
  /** The device under test. */
  readonly device: BlockDevice;
  /** Called after the test, e.g. to stop a device model or delete a file. */
  readonly dispose?: () => Promise<void> | void;
}

function pattern(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof BlockDeviceError ? e.code : `other: ${String(e)}`;
  }
}

/**
 * The {@link BlockDevice} conformance suite: registers vitest tests that check an
 * implementation against the contract — whole-sector transfers, bounds and length
 * checks that move no byte, many requests in flight, no retained caller buffers,
 * flush, discard and read-only behaviour. Every implementation (RAM disk, virtio-blk
 * driver, wrappers) runs the same suite. Needs `vitest` (a peer dependency of this
 * subpath).
 *
 * @param name Shown in the test report.
 * @param factory Creates the devices to test.
 * @example
 * ```ts
 * // ram-disk.test.ts
 * import { RamDisk } from '@libos/fs';
 * import { describeBlockDevice } from '@libos/fs/testing';
 * describeBlockDevice('RamDisk', {
 *   create: async () => ({ device: new RamDisk({ sectorCount: 128 }) }),
 * });
 * ```
 */
export function describeBlockDevice(name: string, factory: BlockDeviceFactory): void {
  async function withDevice(f: (d: BlockDevice) => Promise<void>, readOnly = false): Promise<void> {
    const make = readOnly ? factory.createReadOnly : factory.create;
    if (!make) throw new Error('no factory for this mode');
    const subject = await make.call(factory);
    try {
      await f(subject.device);
    } finally {
      await subject.dispose?.();
    }
  }

  describe(`BlockDevice conformance: ${name}`, () => {
    it('has a sane geometry', () =>
      withDevice(async (d) => {
        expect(Number.isSafeInteger(d.sectorSize)).toBe(true);
        expect(d.sectorSize).toBeGreaterThanOrEqual(512);
        expect(d.sectorSize & (d.sectorSize - 1)).toBe(0);
        expect(Number.isSafeInteger(d.sectorCount)).toBe(true);
        expect(d.sectorCount).toBeGreaterThanOrEqual(64);
        expect(d.readOnly).toBe(false);
      }));

    it('reads back what was written: one sector, many sectors, the last sector', () =>
      withDevice(async (d) => {
        const s = d.sectorSize;
        const one = pattern(1, s);
        const many = pattern(2, 7 * s);
        const last = pattern(3, s);
        const neighbours = pattern(4, 9 * s);
        await d.write(9, neighbours); // sectors 9..17
        await d.write(0, one);
        await d.write(10, many); // sectors 10..16
        await d.write(d.sectorCount - 1, last);
        const back = new Uint8Array(7 * s);
        await d.read(10, back);
        expect(back).toEqual(many);
        const b1 = new Uint8Array(s);
        await d.read(0, b1);
        expect(b1).toEqual(one);
        await d.read(d.sectorCount - 1, b1);
        expect(b1).toEqual(last);
        // The sectors either side of a multi-sector write are untouched.
        await d.read(9, b1);
        expect(b1).toEqual(neighbours.subarray(0, s));
        await d.read(17, b1);
        expect(b1).toEqual(neighbours.subarray(8 * s, 9 * s));
      }));

    it('refuses out-of-range and misaligned requests with EINVAL, moving no byte', () =>
      withDevice(async (d) => {
        const s = d.sectorSize;
        const marker = pattern(5, s);
        await d.write(d.sectorCount - 1, marker);
        expect(await codeOf(d.write(d.sectorCount - 1, pattern(6, 2 * s)))).toBe('EINVAL');
        expect(await codeOf(d.write(d.sectorCount, pattern(6, s)))).toBe('EINVAL');
        expect(await codeOf(d.write(-1, pattern(6, s)))).toBe('EINVAL');
        expect(await codeOf(d.write(0, pattern(6, s + 1)))).toBe('EINVAL');
        expect(await codeOf(d.write(0, new Uint8Array(0)))).toBe('EINVAL');
        expect(await codeOf(d.write(0.5, pattern(6, s)))).toBe('EINVAL');
        const back = new Uint8Array(s);
        expect(await codeOf(d.read(d.sectorCount, back))).toBe('EINVAL');
        expect(await codeOf(d.read(0, new Uint8Array(s - 1)))).toBe('EINVAL');
        await d.read(d.sectorCount - 1, back);
        expect(back).toEqual(marker);
      }));

    it('keeps many requests in flight and completes each correctly', () =>
      withDevice(async (d) => {
        const s = d.sectorSize;
        const n = 48;
        await Promise.all(Array.from({ length: n }, (_, i) => d.write(i, pattern(100 + i, s))));
        const buffers = Array.from({ length: n }, () => new Uint8Array(s));
        await Promise.all(buffers.map((b, i) => d.read(i, b)));
        buffers.forEach((b, i) => {
          expect(b).toEqual(pattern(100 + i, s));
        });
      }));

    it('does not keep the caller buffer: later changes to it do not reach the disk', () =>
      withDevice(async (d) => {
        const s = d.sectorSize;
        const data = pattern(7, s);
        const copy = data.slice();
        await d.write(3, data);
        data.fill(0xee);
        const back = new Uint8Array(s);
        await d.read(3, back);
        expect(back).toEqual(copy);
      }));

    it('reads into and writes from views with a byte offset', () =>
      withDevice(async (d) => {
        const s = d.sectorSize;
        const big = new Uint8Array(3 * s);
        big.set(pattern(8, s), s);
        await d.write(5, big.subarray(s, 2 * s));
        const target = new Uint8Array(3 * s).fill(0xaa);
        await d.read(5, target.subarray(s, 2 * s));
        expect(target.subarray(s, 2 * s)).toEqual(pattern(8, s));
        expect(target[0]).toBe(0xaa);
        expect(target[2 * s]).toBe(0xaa);
      }));

    it('flushes', () =>
      withDevice(async (d) => {
        await d.write(2, pattern(9, d.sectorSize));
        await expect(d.flush()).resolves.toBeUndefined();
      }));

    it('discards in range (when supported) and refuses ranges past the end', () =>
      withDevice(async (d) => {
        if (!d.discard) return;
        const s = d.sectorSize;
        await d.write(20, pattern(10, 2 * s));
        await d.discard(20, 2);
        expect(await codeOf(d.discard(d.sectorCount - 1, 2))).toBe('EINVAL');
        // After a discard the contents are unspecified, but the device still works.
        await d.write(20, pattern(11, s));
        const back = new Uint8Array(s);
        await d.read(20, back);
        expect(back).toEqual(pattern(11, s));
      }));

    if (factory.createReadOnly) {
      it('read-only: reads work, writes and discards fail with EROFS', () =>
        withDevice(async (d) => {
          expect(d.readOnly).toBe(true);
          const b = new Uint8Array(d.sectorSize);
          await d.read(0, b);
          expect(await codeOf(d.write(0, b))).toBe('EROFS');
          if (d.discard) expect(await codeOf(d.discard(0, 1))).toBe('EROFS');
        }, true));
    }
  });
}
