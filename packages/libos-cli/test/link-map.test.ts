/** The link map's arithmetic, formatting and package attribution, and size parsing, without esbuild. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, formatLinkMap, formatSize, OTHER, parseSize } from '@libos/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeLinkMap } from '../src/link-map.js';
import { installedLibosPackages, PackageOwners } from '../src/package-owner.js';

const owners: Record<string, string> = {
  'packages/libos-net/src/a.ts': '@libos/net',
  'packages/libos-net/src/b.ts': '@libos/net',
  'packages/libos-sched/src/c.ts': '@libos/sched',
  'node_modules/lodash/x.js': 'lodash',
  'app/main.ts': 'my-app',
};

describe('computeLinkMap', () => {
  const inputs = {
    'packages/libos-net/src/a.ts': { bytesInOutput: 700 },
    'packages/libos-net/src/b.ts': { bytesInOutput: 300 },
    'packages/libos-sched/src/c.ts': { bytesInOutput: 50 },
    'node_modules/lodash/x.js': { bytesInOutput: 20 },
    'app/main.ts': { bytesInOutput: 10 },
    '<runtime>': { bytesInOutput: 5 },
  };
  const known = ['@libos/fs', '@libos/net', '@libos/sched', '@libos/virtio'];

  it('sums bytes per @libos package; the rest of the file is other', () => {
    const map = computeLinkMap(inputs, 1100, (p) => owners[p], known, 'my-app');
    expect(map.bytes).toBe(1100);
    expect(map.packages).toEqual({
      '@libos/net': 1000,
      '@libos/sched': 50,
      [OTHER]: 50,
      '@libos/fs': 0,
      '@libos/virtio': 0,
    });
    expect(Object.keys(map.packages)).toEqual([
      '@libos/net',
      '@libos/sched',
      OTHER,
      '@libos/fs',
      '@libos/virtio',
    ]);
    expect(map.notLinked).toEqual(['@libos/fs', '@libos/virtio']);
  });

  it("counts the app's own package as other even when it is a @libos one", () => {
    const map = computeLinkMap(inputs, 1100, (p) => owners[p], known, '@libos/net');
    expect(map.packages['@libos/net']).toBeUndefined();
    expect(map.packages[OTHER]).toBe(1050);
  });

  it('adds linked packages that were not in the known list', () => {
    const map = computeLinkMap(inputs, 1100, (p) => owners[p], [], undefined);
    expect(map.packages['@libos/sched']).toBe(50);
    expect(map.notLinked).toEqual([]);
  });

  it('formats one line per package, other, not linked, total', () => {
    const map = computeLinkMap(inputs, 1100, (p) => owners[p], known, 'my-app');
    expect(formatLinkMap(map)).toBe(
      [
        '  1000 B  @libos/net',
        '    50 B  @libos/sched',
        '    50 B  other',
        '     0 B  @libos/fs — not linked',
        '     0 B  @libos/virtio — not linked',
        '  1100 B  total',
      ].join('\n'),
    );
  });
});

describe('parseSize / formatSize', () => {
  it.each([
    ['512', 512],
    ['512K', 512 * 1024],
    ['16M', 16 << 20],
    ['16m', 16 << 20],
    ['16MiB', 16 << 20],
    ['1G', 1 << 30],
    ['2g', 2 ** 31],
  ])('%s → %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['', '16Q', 'M', '-1M', '1.5M', '0', '1000', '16 MB extra', '9007199254740993G'])(
    'rejects %j with a usage CliError',
    (text) => {
      expect(() => parseSize(text)).toThrow(CliError);
      try {
        parseSize(text);
      } catch (e) {
        expect((e as CliError).code).toBe('usage');
        expect((e as CliError).exitStatus).toBe(2);
        expect((e as CliError).message).toMatch(/^bad size /);
      }
    },
  );

  it('formats sizes the way they are typed', () => {
    expect(formatSize(16 << 20)).toBe('16M');
    expect(formatSize(512 * 1024)).toBe('512K');
    expect(formatSize(1 << 30)).toBe('1G');
    expect(formatSize(1536)).toBe('1536');
    expect(parseSize(formatSize(3 << 20))).toBe(3 << 20);
  });
});

describe('installedLibosPackages / PackageOwners', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'libos-cli-owners-'));
    for (const dir of [
      'node_modules/@libos/net/src',
      'node_modules/@libos/cli',
      'node_modules/other',
      'app/node_modules/@libos/fs/dist/esm',
      'app/src',
    ]) {
      await mkdir(join(root, dir), { recursive: true });
    }
    await writeFile(join(root, 'node_modules/@libos/net/package.json'), '{"name":"@libos/net"}');
    await writeFile(join(root, 'app/node_modules/@libos/fs/package.json'), '{"name":"@libos/fs"}');
    // A nameless marker (as some packages keep in dist/) does not own its files.
    await writeFile(
      join(root, 'app/node_modules/@libos/fs/dist/esm/package.json'),
      '{"type":"module"}',
    );
    await writeFile(join(root, 'app/package.json'), '{"name":"my-app"}');
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('lists @libos packages from every node_modules above the app, without @libos/cli', () => {
    const found = installedLibosPackages(join(root, 'app', 'src'));
    expect(found).toContain('@libos/fs');
    expect(found).toContain('@libos/net');
    expect(found).not.toContain('@libos/cli');
    expect(found).toEqual([...found].sort());
  });

  it('names the nearest package.json with a name as the owner', () => {
    const owners = new PackageOwners();
    expect(owners.ownerOf(join(root, 'node_modules/@libos/net/src/index.ts'))).toBe('@libos/net');
    expect(owners.ownerOf(join(root, 'app/node_modules/@libos/fs/dist/esm/index.js'))).toBe(
      '@libos/fs',
    );
    expect(owners.ownerOf(join(root, 'app/src/main.ts'))).toBe('my-app');
  });
});
