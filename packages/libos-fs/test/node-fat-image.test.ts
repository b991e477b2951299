/**
 * buildFatImage / extractFatImage against the reference tools: dosfstools' fsck.fat must
 * find the built image clean and mtools must read the files back; extraction must
 * round-trip a host tree byte-exact.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { buildFatImage, extractFatImage } from '@libos/fs/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const required = process.env.CI === 'true';

async function hasTool(name: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

const toolsPresent =
  (await hasTool('fsck.fat')) && (await hasTool('mcopy')) && (await hasTool('mdir'));
if (!toolsPresent && required) {
  throw new Error('CI=true but dosfstools (fsck.fat) or mtools (mcopy, mdir) is missing');
}
const describeTools = toolsPresent ? describe : describe.skip;
if (!toolsPresent) console.warn('skipping FAT image tool checks: install dosfstools and mtools');

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-fat-image-'));
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const stack = [root];
  for (let guard = 0; stack.length > 0 && guard < 10_000; guard++) {
    const dir = stack.pop() as string;
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        out[`${relative(root, p)}/`] = 'dir';
        stack.push(p);
      } else {
        out[relative(root, p)] = createHash('sha256')
          .update(await readFile(p))
          .digest('hex');
      }
    }
  }
  return out;
}

async function makeTree(root: string, big: number): Promise<void> {
  await mkdir(join(root, 'EFI/BOOT'), { recursive: true });
  await mkdir(join(root, 'docs/a rather long directory name/deeper'), { recursive: true });
  await mkdir(join(root, 'empty'));
  await writeFile(join(root, 'README.TXT'), 'short name, upper case\n');
  await writeFile(
    join(root, 'EFI/BOOT/BOOTX64.EFI'),
    Uint8Array.from({ length: big }, (_, i) => (i * 29 + 3) & 0xff),
  );
  await writeFile(join(root, 'docs/Mixed Case Long Name.markdown'), '# hello\n'.repeat(1000));
  await writeFile(
    join(root, 'docs/a rather long directory name/deeper/zero.bin'),
    new Uint8Array(0),
  );
  await writeFile(
    join(root, 'docs/a rather long directory name/deeper/ünïcödé.txt'),
    'utf-16 long name\n',
  );
  for (let i = 0; i < 40; i++)
    await writeFile(join(root, `docs/file-${i}.log`), `line ${i}\n`.repeat(i));
}

async function fsckClean(image: string): Promise<string> {
  const { stdout } = await run('fsck.fat', ['-n', '-v', image]);
  return stdout;
}

describeTools('FAT images from host directories', () => {
  it.each([
    ['default size and type', {}, 3_000_001],
    ['FAT12 floppy', { size: 1440 * 1024, type: 12 as const, label: 'FLOPPY' }, 200_000],
    ['FAT32', { size: 40 * 1024 * 1024, type: 32 as const, label: 'EFI SYSTEM' }, 1_000_000],
  ])(
    '%s: fsck.fat accepts it, mtools reads it, extraction round-trips',
    async (name, options, big) => {
      const src = join(work, `src-${name}`);
      await makeTree(src, big);
      const image = join(work, `${name}.img`);
      const built = await buildFatImage(src, image, options);
      expect((await stat(image)).size).toBe(built.size);
      expect(built.copied.files).toBe(45);
      if ('size' in options) expect(built.size).toBe(options.size);
      const report = await fsckClean(image);
      if ('type' in options) expect(report).toMatch(new RegExp(`FAT${options.type}`));
      const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
      const { stdout: listing } = await run('mdir', ['-i', image, '-b', '::/docs'], { env });
      expect(listing).toContain('Mixed Case Long Name.markdown');
      const { stdout: readme } = await run('mcopy', ['-i', image, '::/README.TXT', '-'], { env });
      expect(readme).toBe('short name, upper case\n');
      const { stdout: efi } = await run('mcopy', ['-i', image, '::/EFI/BOOT/BOOTX64.EFI', '-'], {
        env,
        encoding: 'buffer',
        maxBuffer: 16 << 20,
      });
      expect(createHash('sha256').update(efi).digest('hex')).toBe(
        createHash('sha256')
          .update(await readFile(join(src, 'EFI/BOOT/BOOTX64.EFI')))
          .digest('hex'),
      );
      const out = join(work, `out-${name}`);
      const extracted = await extractFatImage(image, out);
      expect(extracted.files).toBe(45);
      expect(await snapshot(out)).toEqual(await snapshot(src));
      // FAT keeps modification times to 2 s.
      const hostTime = (await stat(join(src, 'README.TXT'))).mtimeMs;
      expect(
        Math.abs((await stat(join(out, 'README.TXT'))).mtimeMs - hostTime),
      ).toBeLessThanOrEqual(2000);
    },
    120_000,
  );

  it('a fixed size that is too small rejects with ENOSPC', async () => {
    const src = join(work, 'too-big');
    await mkdir(src);
    await writeFile(join(src, 'big.bin'), new Uint8Array(2 * 1024 * 1024));
    await expect(
      buildFatImage(src, join(work, 'small.img'), { size: 1024 * 1024 }),
    ).rejects.toMatchObject({
      code: 'ENOSPC',
    });
  });

  it('extracts an image made by mkfs.fat and mcopy', async () => {
    const image = join(work, 'mkfs.img');
    await run('mkfs.fat', ['-C', image, '4096']);
    const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
    const file = join(work, 'hello.txt');
    await writeFile(file, 'made by mtools\n');
    await run('mmd', ['-i', image, '::/Sub Dir'], { env });
    await run('mcopy', ['-i', image, file, '::/Sub Dir/Hello World.txt'], { env });
    const out = join(work, 'mkfs-out');
    await extractFatImage(image, out);
    expect(await readFile(join(out, 'Sub Dir/Hello World.txt'), 'utf8')).toBe('made by mtools\n');
  });
});
