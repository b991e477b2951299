/**
 * Helpers shared by the FAT tests: images in temp files, dosfstools/mtools runners.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RamDisk } from '@libos/fs';

/** True in CI, where missing tools must fail instead of skipping. */
export const required = process.env.CI === 'true';

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Whether dosfstools and mtools are installed (throws in CI when not). */
export function peerToolsAvailable(): boolean {
  const ok = ['mkfs.fat', 'fsck.fat', 'mdir', 'mcopy', 'mtype', 'mformat'].every(has);
  if (!ok && required) throw new Error('dosfstools and mtools are required in CI');
  return ok;
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'libos-fat-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a RamDisk's bytes to a file. */
export function saveImage(disk: RamDisk, file: string): void {
  writeFileSync(file, disk.contents);
}

/** Loads an image file into a RamDisk. */
export function loadImage(file: string): RamDisk {
  const bytes = new Uint8Array(readFileSync(file));
  return new RamDisk({ contents: bytes });
}

const env = {
  ...process.env,
  MTOOLS_SKIP_CHECK: '1',
  MTOOLS_NO_VFAT: '',
  LC_ALL: 'C.UTF-8',
  TZ: 'UTC',
};

/** Runs `fsck.fat -n` and returns its exit code and output. */
export function fsck(file: string): { status: number; output: string } {
  const r = spawnSync('fsck.fat', ['-n', '-v', file], { encoding: 'utf8', env });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** Reads a file from an image with mtools (`mcopy -n -i img ::/path -`). */
export function mread(file: string, path: string): Uint8Array {
  return new Uint8Array(
    execFileSync('mcopy', ['-n', '-i', file, `::${path}`, '-'], { env, maxBuffer: 1 << 30 }),
  );
}

/** Copies the whole tree out of an image with one `mcopy -s` into a new host directory. */
export function mexport(file: string, into: string): void {
  mkdirSync(into, { recursive: true });
  execFileSync('mcopy', ['-s', '-n', '-i', file, '::*', `${into}/`], { env, maxBuffer: 1 << 30 });
}

/** Names in a directory of an image, via `mdir -b` (bare, full paths). */
export function mlist(file: string, path: string): string[] {
  const out = execFileSync('mdir', ['-b', '-i', file, `::${path}`], { encoding: 'utf8', env });
  return out.split('\n').filter((l) => l.length > 0);
}

/** Runs an mtools or dosfstools command with the test environment. */
export function tool(cmd: string, args: string[], input?: Uint8Array): string {
  return execFileSync(cmd, args, { encoding: 'utf8', env, input });
}

/** A deterministic byte pattern. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A frozen clock. */
export const clock = { now: () => Date.UTC(2024, 4, 17, 12, 34, 56, 780) };
