/**
 * The README's first command: `npm start` builds the site into a FAT image, boots the
 * http-server unikernel with user-mode networking and says where to reach it; curl (a
 * client nobody here wrote) gets the files; Ctrl-C (SIGINT) shuts it down with status 0.
 * Runs the same script npm start runs, with PORT=0 so the host port is free.
 */
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..');
const run = promisify(execFile);
const required = process.env.CI === 'true';

async function hasCurl(): Promise<boolean> {
  try {
    await run('curl', ['--version']);
    return true;
  } catch {
    return false;
  }
}

describe('npm start (examples/http-server/start.ts)', () => {
  it('boots the web server unikernel, prints its URL, serves curl, stops on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=libos-source', '--import', 'tsx', 'examples/http-server/start.ts'],
      { cwd: repo, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    try {
      let url: string | undefined;
      for (let waited = 0; url === undefined; waited += 50) {
        url = /The unikernel is up: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout)?.[1];
        if (url !== undefined) break;
        if (child.exitCode !== null)
          throw new Error(`npm start exited early:\n${stdout}\n${stderr}`);
        if (waited > 60_000) throw new Error(`no URL within 60 s:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stdout).toMatch(/libos: booting on node: net \(nic\), www \(disk\)/);
      expect(stdout).toMatch(/net: eth0 10\.0\.2\.15\/24 by DHCP/);
      expect(stdout).toMatch(/www: vda .* mounted read-only at \//);
      expect(stdout).toMatch(/libos: up in \d+\.\d+ ms/);
      const site = join(repo, 'examples', 'http-server', 'www');
      if (await hasCurl()) {
        const index = await run('curl', ['-sS', '--fail', '--max-time', '10', url]);
        expect(index.stdout).toBe(await readFile(join(site, 'index.html'), 'utf8'));
        const about = await run('curl', ['-sS', '--fail', '--max-time', '10', `${url}about.txt`]);
        expect(about.stdout).toBe(await readFile(join(site, 'about.txt'), 'utf8'));
      } else if (required) {
        throw new Error('curl is required in CI (apt-get install curl)');
      } else {
        expect(await (await fetch(url)).text()).toBe(
          await readFile(join(site, 'index.html'), 'utf8'),
        );
      }
      child.kill('SIGINT');
      const code = await Promise.race([
        exited,
        new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000)),
      ]);
      expect(code, `${stdout}\n${stderr}`).toBe(0);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
