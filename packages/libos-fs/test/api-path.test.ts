import { posix } from 'node:path';
import { FsError, normalizePath, parsePath } from '@libos/fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('path normalisation', () => {
  it.each([
    ['/', [], false],
    ['//', [], false],
    ['/a', ['a'], false],
    ['/a/', ['a'], true],
    ['//a//b///', ['a', 'b'], true],
    ['/a/./b/.', ['a', 'b'], false],
    ['/a/b/..', ['a'], false],
    ['/a/b/../', ['a'], true],
    ['/..', [], false],
    ['/../../x', ['x'], false],
    ['/a/../../b/../c', ['c'], false],
    ['/.../x', ['...', 'x'], false],
    ['/a b/ c /', ['a b', ' c '], true],
    ['/é/日本', ['é', '日本'], false],
  ] as const)('%s → %j (trailing slash %s)', (input, components, trailingSlash) => {
    expect(parsePath(input, 'stat')).toEqual({ components, trailingSlash });
  });

  it.each(['', 'a', './a', '../a', 'a/b', '~/x'])('relative %j is EINVAL', (input) => {
    expect(() => parsePath(input, 'open')).toThrow(FsError);
    try {
      parsePath(input, 'open');
    } catch (e) {
      expect(e).toMatchObject({ code: 'EINVAL', syscall: 'open', path: input });
    }
  });

  it('a NUL character is EINVAL', () => {
    expect(() => parsePath('/a\0b', 'stat')).toThrow(/EINVAL/);
  });

  it('equals path.posix.normalize for absolute paths (property)', () => {
    const segment = fc.oneof(
      fc.constantFrom('', '.', '..', '...', 'a', 'b', '.hidden', 'x y'),
      fc.string({ maxLength: 5 }).filter((s) => !s.includes('/') && !s.includes('\0')),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 12 }), (segments) => {
        const path = `/${segments.join('/')}`;
        expect(normalizePath(path)).toBe(posix.normalize(path));
      }),
      { numRuns: 2000 },
    );
  });
});
