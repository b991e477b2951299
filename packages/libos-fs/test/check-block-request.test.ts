import { BlockDeviceError, checkBlockRequest, checkDiscardRequest } from '@libos/fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const disk = { sectorSize: 512, sectorCount: 8, readOnly: false };

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof BlockDeviceError) return e.code;
    throw e;
  }
  return undefined;
}

describe('checkBlockRequest', () => {
  it('returns the sector count of valid requests, up to the last sector', () => {
    expect(checkBlockRequest(disk, 0, 512, 'read')).toBe(1);
    expect(checkBlockRequest(disk, 6, 1024, 'write')).toBe(2);
    expect(checkBlockRequest(disk, 0, 4096, 'read')).toBe(8);
  });

  it('refuses bad sectors, lengths and ranges with EINVAL', () => {
    expect(codeOf(() => checkBlockRequest(disk, -1, 512, 'read'))).toBe('EINVAL');
    expect(codeOf(() => checkBlockRequest(disk, 0.5, 512, 'read'))).toBe('EINVAL');
    expect(codeOf(() => checkBlockRequest(disk, 0, 0, 'read'))).toBe('EINVAL');
    expect(codeOf(() => checkBlockRequest(disk, 0, 513, 'read'))).toBe('EINVAL');
    expect(codeOf(() => checkBlockRequest(disk, 7, 1024, 'read'))).toBe('EINVAL');
    expect(codeOf(() => checkBlockRequest(disk, 8, 512, 'read'))).toBe('EINVAL');
    expect(codeOf(() => checkBlockRequest(disk, 2 ** 53, 512, 'read'))).toBe('EINVAL');
  });

  it('has no precision loss near 2^53 sectors', () => {
    const huge = { sectorSize: 512, sectorCount: Number.MAX_SAFE_INTEGER, readOnly: false };
    expect(checkBlockRequest(huge, Number.MAX_SAFE_INTEGER - 1, 512, 'read')).toBe(1);
    expect(codeOf(() => checkBlockRequest(huge, Number.MAX_SAFE_INTEGER - 1, 1024, 'read'))).toBe(
      'EINVAL',
    );
  });

  it('refuses writes to a read-only device with EROFS but allows reads', () => {
    const ro = { ...disk, readOnly: true };
    expect(codeOf(() => checkBlockRequest(ro, 0, 512, 'write'))).toBe('EROFS');
    expect(checkBlockRequest(ro, 0, 512, 'read')).toBe(1);
  });

  it('accepts exactly the requests that fit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        (sector, count) => {
          const fits = count > 0 && sector + count <= disk.sectorCount;
          const code = codeOf(() => checkBlockRequest(disk, sector, count * 512, 'read'));
          expect(code === undefined).toBe(fits);
        },
      ),
    );
  });
});

describe('checkDiscardRequest', () => {
  it('accepts in-range discards and refuses bad counts, ranges and read-only devices', () => {
    expect(() => checkDiscardRequest(disk, 2, 3)).not.toThrow();
    expect(() => checkDiscardRequest(disk, 0, 8)).not.toThrow();
    expect(codeOf(() => checkDiscardRequest(disk, 0, 0))).toBe('EINVAL');
    expect(codeOf(() => checkDiscardRequest(disk, 0, 1.5))).toBe('EINVAL');
    expect(codeOf(() => checkDiscardRequest(disk, 7, 2))).toBe('EINVAL');
    expect(codeOf(() => checkDiscardRequest(disk, 0, 9))).toBe('EINVAL');
    expect(codeOf(() => checkDiscardRequest({ ...disk, readOnly: true }, 0, 1))).toBe('EROFS');
  });
});
