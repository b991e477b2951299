/**
 * `libos run`: every error a user can cause — a bad command line, a missing or corrupt
 * file, a port in use, an app that fails to boot or throws — gives exactly one line on
 * standard error, `libos: <message>`, no stack trace, and exit status 2 (usage) or 1.
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeImage } from '@libos/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libos } from './run-cli.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const app = join(fixtures, 'http-app.ts');
const throwsApp = join(fixtures, 'throws-app.ts');

let work = '';
let busy: Server | undefined;
let busyPort = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'libos-cli-run-errors-'));
  await mkdir(join(work, 'empty'));
  await makeImage({ dir: join(work, 'empty'), image: join(work, 'ok.img'), size: 1 << 20 });
  // Random bytes: no boot sector, no FAT.
  await writeFile(join(work, 'corrupt.img'), randomFillSync(new Uint8Array(1 << 20)));
  await writeFile(join(work, 'syntax.ts'), 'export const x = ;\n');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  busy = server;
  const address = server.address();
  busyPort = typeof address === 'object' && address !== null ? address.port : 0;
});
afterAll(async () => {
  await new Promise<void>((resolve) => (busy ? busy.close(() => resolve()) : resolve()));
  if (work) await rm(work, { recursive: true, force: true });
});

interface Case {
  readonly name: string;
  readonly args: () => string[];
  readonly status: number;
  readonly message: RegExp;
}

const cases: Case[] = [
  {
    name: 'no entry',
    args: () => ['run'],
    status: 2,
    message: /missing <entry\.ts> for libos run/,
  },
  {
    name: 'entry missing',
    args: () => ['run', join(work, 'nope.ts')],
    status: 1,
    message: /entry file not found: .*nope\.ts$/,
  },
  {
    name: 'entry does not build',
    args: () => ['run', join(work, 'syntax.ts')],
    status: 1,
    message: /build failed: .*syntax\.ts:1:\d+: /,
  },
  {
    name: 'unknown option',
    args: () => ['run', app, '--netdev', 'user'],
    status: 2,
    message: /unknown option --netdev for libos run/,
  },
  {
    name: 'unknown --net type',
    args: () => ['run', app, '--net', 'tap,ifname=tap0'],
    status: 2,
    message: /unknown --net type "tap" \(supported: user, stream, dgram\)/,
  },
  {
    name: 'unknown --net user option',
    args: () => ['run', app, '--net', 'user,restrict=on'],
    status: 2,
    message: /unknown option "restrict" for --net user \(supported: hostfwd\)/,
  },
  {
    name: 'bad hostfwd syntax',
    args: () => ['run', app, '--net', 'user,hostfwd=tcp:8080:80'],
    status: 2,
    message: /bad hostfwd "tcp:8080:80": expected tcp:HOSTADDR:HOSTPORT-\[GUESTADDR\]:GUESTPORT/,
  },
  {
    name: 'hostfwd guest port out of range',
    args: () => ['run', app, '--net', 'user,hostfwd=tcp::8080-:70000'],
    status: 2,
    message: /bad hostfwd guest port/,
  },
  {
    name: 'stream without an address',
    args: () => ['run', app, '--net', 'stream,server'],
    status: 2,
    message: /--net stream needs path=SOCKET or port=N/,
  },
  {
    name: 'dgram with two addresses',
    args: () => ['run', app, '--net', 'dgram,local=127.0.0.1:5000,remote=127.0.0.2:5001'],
    status: 2,
    message: /local and remote must use the same address/,
  },
  {
    name: 'bad --disk option',
    args: () => ['run', app, '--disk', 'x.img,readonly'],
    status: 2,
    message: /unknown option "readonly" for --disk \(supported: ro, rw\)/,
  },
  {
    name: 'bad --mem',
    args: () => ['run', app, '--mem', '64Q'],
    status: 2,
    message: /bad size "64Q"/,
  },
  {
    name: 'forwarded port in use',
    args: () => ['run', app, '--net', `user,hostfwd=tcp:127.0.0.1:${busyPort}-:80`],
    status: 1,
    message: /--net user \(NIC 0\): host port 127\.0\.0\.1:\d+ is already in use/,
  },
  {
    name: 'stream peer missing',
    args: () => ['run', app, '--net', `stream,path=${join(work, 'nobody.sock')}`],
    status: 1,
    message: /--net stream \(NIC 0\): no socket at .*nobody\.sock \(start the server side first\)/,
  },
  {
    name: 'disk image missing',
    args: () => ['run', app, '--net', 'user', '--disk', join(work, 'missing.img')],
    status: 1,
    message: /disk image not found: .*missing\.img$/,
  },
  {
    name: 'no backend for the NIC (BootError NO_BACKEND)',
    args: () => ['run', app],
    status: 1,
    message: /net: NIC 0 has no backend: run with `libos run --net user`/,
  },
  {
    name: 'corrupt disk image (BootError SERVICE_FAILED)',
    args: () => [
      'run',
      app,
      '--net',
      'user',
      '--disk',
      `${join(work, 'corrupt.img')},ro`,
      '--disk',
      join(work, 'ok.img'),
    ],
    status: 1,
    message: /^libos: www: vda \(1 MiB\) holds no FAT file system we can mount: /,
  },
  {
    name: 'app throws after boot',
    args: () => ['run', throwsApp],
    status: 1,
    message: /throws-app\.ts failed: Error: app broke after boot \(4 random bytes drawn\)$/,
  },
];

describe('libos run: user errors give one line on stderr and a non-zero exit', () => {
  it.concurrent.each(cases)(
    '$name',
    async ({ args, status, message }) => {
      const r = await libos(args());
      expect(r.code).toBe(status);
      const lines = r.stderr.split('\n');
      expect(lines.at(-1)).toBe('');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^libos: /);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stdout).not.toMatch(/^\s+at /m);
    },
    90_000,
  );

  it('keeps the boot log on stdout when the app throws after boot', async () => {
    const r = await libos(['run', throwsApp]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/libos: booting on node: rng \(entropy\)/);
    expect(r.stdout).toMatch(/libos: up in /);
    expect(r.stdout).not.toMatch(/libos: shut down/);
  }, 90_000);
});
