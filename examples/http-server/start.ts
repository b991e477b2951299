/**
 * `npm start`: the README's first command. Builds the site (`www/`) into a FAT disk
 * image, boots the http-server unikernel with user-mode networking forwarding
 * 127.0.0.1:8080 (or $PORT) to its port 80, and says how to reach it. Ctrl-C stops it
 * cleanly.
 *
 * The same as:
 *   libos mkimage examples/http-server/www build/www.img --label WWW
 *   libos run examples/http-server/main.ts --net user,hostfwd=tcp:127.0.0.1:8080-:80 --disk build/www.img,ro
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type CliIo, runCli } from '@libos/cli';

const here = import.meta.dirname;
const port = process.env.PORT ?? '8080';
const image = join(here, '..', '..', 'build', 'www.img');
await mkdir(join(here, '..', '..', 'build'), { recursive: true });

let announced = false;
const io: CliIo = {
  stdout: (text) => {
    process.stdout.write(text);
    // Once the unikernel is up and the forward is open, say where it is.
    if (!announced && /libos: forwarding tcp /.test(text)) {
      announced = true;
      const url = `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(text)?.[1] ?? port}/`;
      process.stdout.write(
        `\nThe unikernel is up: open ${url}\n  try: curl ${url}   curl ${url}about.txt\nCtrl-C stops it.\n\n`,
      );
    }
  },
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
};

const made = await runCli(['mkimage', join(here, 'www'), image, '--label', 'WWW'], io);
if (made !== 0) process.exit(made);
process.exitCode = await runCli(
  [
    'run',
    join(here, 'main.ts'),
    '--net',
    `user,hostfwd=tcp:127.0.0.1:${port}-:80`,
    '--disk',
    `${image},ro`,
  ],
  io,
);
