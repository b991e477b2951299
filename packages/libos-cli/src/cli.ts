import { isAbsolute, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { buildImage } from './build-image.js';
import { CliError } from './cli-error.js';
import { formatLinkMap } from './link-map.js';
import { IMAGE_FILE_SYSTEMS, type ImageFileSystem, makeImage } from './make-image.js';
import { formatSize, parseSize } from './parse-size.js';
import { parseDiskSpec, parseNetSpec } from './run-spec.js';

/**
 * Where {@link runCli} writes: standard output and standard error, plus the directory
 * relative paths are resolved against.
 *
 * @example
 * ```ts
 * import type { CliIo } from '@libos/cli';
 * const lines: string[] = [];
 * const io: CliIo = { stdout: (t) => lines.push(t), stderr: (t) => lines.push(t), cwd: '/tmp' };
 * ```
 */
export interface CliIo {
  /** Writes text (ending in a newline) to standard output. */
  readonly stdout: (text: string) => void;
  /** Writes text (ending in a newline) to standard error. */
  readonly stderr: (text: string) => void;
  /** Working directory. */
  readonly cwd: string;
}

const USAGE = `Usage: libos <command> [options]

Commands:
  build <entry.ts>            bundle an app into one minified ESM file and print its link map
  mkimage <dir> <file.img>    build a FAT disk image from a host directory
  run <entry.ts|image.mjs>    boot an app with host networking and disks (Ctrl-C stops it)

Options:
  -h, --help                  show help (also: libos <command> --help)
`;

const BUILD_USAGE = `Usage: libos build <entry.ts> [--out dir] [--no-minify] [--json]

Bundles the app with esbuild (tree-shaking, minify) into <dir>/<entry>.mjs, one ESM file
for Node 20+, with @libos packages taken from their sources. Prints bytes per @libos
package, "other" (app code, other packages, bundler glue), the installed @libos packages
that were not linked at all, and the total.

Options:
  -o, --out <dir>   output directory (default: dist)
  --no-minify       keep the output readable
  --json            print the link map as JSON
  -h, --help        show this help
`;

const MKIMAGE_USAGE = `Usage: libos mkimage <dir> <file.img> [--size 16M] [--fs fat] [--label NAME]

Builds a FAT disk image (no partition table) holding the files and directories of <dir>.

Options:
  --size <size>     image size: bytes, or a number with K, M or G (default: what the
                    files need plus slack)
  --fs <type>       ${IMAGE_FILE_SYSTEMS.join(', ')} (default: fat, which picks
                    FAT12/16/32 from the size like mkfs.fat)
  --label <name>    volume label, up to 11 characters
  -h, --help        show this help
`;

const RUN_USAGE = `Usage: libos run <entry.ts | image.mjs> [--net ...]... [--disk file.img[,ro]]...
                 [--pcap out.pcap] [--worker] [--mem 64M]

Boots a libos app: bundles a .ts/.js entry (an .mjs image from libos build runs as it
is), opens the backends below and runs the app on this machine. The app's boot() gets
one backend per --net for its nic()s and one per --disk for its fatDisk()s, in order.
Ctrl-C (SIGINT) or SIGTERM shuts it down cleanly: services stopped, disks flushed,
sockets and the capture closed; exit status 0.

Options:
  --net user[,hostfwd=tcp:ADDR:HOSTPORT-:GUESTPORT]...
                    user-mode network: DHCP (guest 10.0.2.15, gateway 10.0.2.2) and host
                    ports forwarded into the guest, as QEMU (tcp or udp; ADDR default
                    127.0.0.1; HOSTPORT 0 picks a free port, printed after boot)
  --net stream,path=SOCKET[,server]
  --net stream,[host=127.0.0.1,]port=N[,server]
                    QEMU -netdev stream framing over a unix or TCP socket: connect to
                    a peer, or with server wait for one to connect
  --net dgram,local=127.0.0.1:N[,remote=127.0.0.1:M]
                    QEMU -netdev dgram: one frame per UDP datagram
  --disk <file.img>[,ro]
                    a disk image (FAT, see libos mkimage), read-write unless ,ro
  --pcap <file>     record every frame of every NIC (tcpdump, Wireshark, tshark -r)
  --worker          run the device models in a worker thread
  --mem <size>      guest memory for apps that do not say (e.g. 64M; default 16M)
  -h, --help        show this help

After boot it prints each forwarded port, e.g.
  libos: forwarding tcp 127.0.0.1:8080 -> guest port 80
`;

/**
 * Runs the `libos` command line: `libos build`, `libos mkimage`, `libos run`, `--help`. Errors a user
 * can cause are printed as one line, `libos: <message>`, on standard error, and give a
 * non-zero status (2 for a wrong command line, 1 otherwise); no stack trace is printed.
 *
 * @param argv The arguments after the program name (`process.argv.slice(2)`).
 * @param io Output streams and working directory.
 * @returns The process exit status.
 * @example
 * ```ts
 * import { runCli } from '@libos/cli';
 * process.exitCode = await runCli(['build', 'src/main.ts', '--json'], {
 *   stdout: (t) => process.stdout.write(t),
 *   stderr: (t) => process.stderr.write(t),
 *   cwd: process.cwd(),
 * });
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
        throw new CliError('usage', 'no command given (see libos --help)');
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return 0;
      case 'build':
        return await buildCommand(rest, io);
      case 'mkimage':
        return await mkimageCommand(rest, io);
      case 'run':
        return await runCommand(rest, io);
      default:
        throw new CliError(
          'usage',
          command.startsWith('-')
            ? `unknown option ${command} (see libos --help)`
            : `unknown command ${JSON.stringify(command)} (commands: build, mkimage, run; see libos --help)`,
        );
    }
  } catch (e) {
    if (e instanceof CliError) {
      io.stderr(`libos: ${oneLine(e.message)}\n`);
      return e.exitStatus;
    }
    // Not a user's mistake but a bug in libos: still one line, the stack only on request.
    const detail =
      e instanceof Error ? ((process.env['LIBOS_DEBUG'] ? e.stack : e.message) ?? e.message) : e;
    io.stderr(`libos: internal error: ${oneLine(String(detail))}\n`);
    return 70;
  }
}

async function buildCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('build', args, {
    out: { type: 'string', short: 'o' },
    'no-minify': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    io.stdout(BUILD_USAGE);
    return 0;
  }
  const entry = expectPositionals('build', positionals, ['<entry.ts>']);
  const out = values['out'];
  const result = await buildImage({
    entry: entry[0],
    minify: values['no-minify'] !== true,
    cwd: io.cwd,
    ...(typeof out === 'string' ? { outDir: out } : {}),
  });
  if (values['json']) {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    io.stdout(`libos build: ${shortPath(io.cwd, result.outputFile)}\n${formatLinkMap(result)}\n`);
  }
  return 0;
}

async function mkimageCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('mkimage', args, {
    size: { type: 'string' },
    fs: { type: 'string' },
    label: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    io.stdout(MKIMAGE_USAGE);
    return 0;
  }
  const [dir, image] = expectPositionals('mkimage', positionals, ['<dir>', '<file.img>']);
  const sizeText = values['size'];
  const size = typeof sizeText === 'string' ? parseSize(sizeText) : undefined;
  const fsText = values['fs'] ?? 'fat';
  const fs = IMAGE_FILE_SYSTEMS.find((f) => f === fsText);
  if (fs === undefined) {
    throw new CliError(
      'usage',
      `unsupported --fs ${JSON.stringify(fsText)} (supported: ${IMAGE_FILE_SYSTEMS.join(', ')})`,
    );
  }
  const label = values['label'];
  const result = await makeImage({
    dir,
    image,
    fs: fs satisfies ImageFileSystem,
    cwd: io.cwd,
    ...(size !== undefined ? { size } : {}),
    ...(typeof label === 'string' ? { label } : {}),
  });
  const { files, directories, bytes, skipped } = result.copied;
  const skip = skipped.length > 0 ? `, ${skipped.length} skipped (not files or directories)` : '';
  io.stdout(
    `libos mkimage: ${image} — ${formatSize(result.size)} FAT${result.fatType}, ` +
      `${files} files, ${directories} directories, ${bytes} bytes${skip}\n`,
  );
  return 0;
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('run', args, {
    net: { type: 'string', multiple: true },
    disk: { type: 'string', multiple: true },
    pcap: { type: 'string' },
    worker: { type: 'boolean' },
    mem: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    io.stdout(RUN_USAGE);
    return 0;
  }
  const [entry] = expectPositionals('run', positionals, ['<entry.ts>']);
  const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
  const net = list(values['net']).map(parseNetSpec);
  const disks = list(values['disk']).map(parseDiskSpec);
  const memText = values['mem'];
  const memoryBytes = typeof memText === 'string' ? parseSize(memText) : undefined;
  const pcap = values['pcap'];

  // First SIGINT/SIGTERM: shut down cleanly. A second one: leave at once.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) {
      stop.abort(signal);
      return;
    }
    io.stderr(`libos: ${signal} again, exiting without a clean shutdown\n`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    // Loaded on demand: build and mkimage need none of the host, network or disk code.
    const { runApp } = await import('./run-app.js');
    await runApp({
      entry,
      net,
      disks,
      worker: values['worker'] === true,
      cwd: io.cwd,
      stdout: io.stdout,
      stop: stop.signal,
      ...(typeof pcap === 'string' ? { pcap } : {}),
      ...(memoryBytes === undefined ? {} : { memoryBytes }),
    });
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

type OptionSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
>;

function parse(
  command: string,
  args: readonly string[],
  options: OptionSpec,
): {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
} {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      allowPositionals: true,
      strict: true,
    });
    return {
      values: values as Record<string, string | boolean | string[] | undefined>,
      positionals,
    };
  } catch (e) {
    throw new CliError('usage', parseArgsMessage(command, e));
  }
}

/** Rewords `node:util` parseArgs errors (long, with advice about `--`) as one short line. */
function parseArgsMessage(command: string, e: unknown): string {
  const { code, message } = e as { code?: string; message: string };
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const option = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
  const help = `see libos ${command} --help`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted} for libos ${command} (${help})`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `option ${option} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'} (${help})`;
    default:
      return `${message.split('\n')[0]} (${help})`;
  }
}

/** Checks the positional arguments are exactly `names`. */
function expectPositionals<const N extends readonly string[]>(
  command: string,
  positionals: readonly string[],
  names: N,
): { [K in keyof N]: string } {
  if (positionals.length < names.length) {
    const missing = names.slice(positionals.length).join(' ');
    throw new CliError(
      'usage',
      `missing ${missing} for libos ${command} (see libos ${command} --help)`,
    );
  }
  if (positionals.length > names.length) {
    throw new CliError(
      'usage',
      `unexpected argument ${JSON.stringify(positionals[names.length])} for libos ${command} (see libos ${command} --help)`,
    );
  }
  return positionals as unknown as { [K in keyof N]: string };
}

/** `file` relative to `cwd` when it lies below it, else absolute. */
function shortPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
