import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installHost } from '@libos/boot';
import { type NodeHost, nodeHost } from '@libos/boot/node';
import { buildImage } from './build-image.js';
import { CliError } from './cli-error.js';
import { openBackends } from './run-backends.js';
import type { DiskSpec, NetSpec } from './run-spec.js';

/**
 * Options of {@link runApp}.
 *
 * @example
 * ```ts
 * import { parseNetSpec, type RunAppOptions } from '@libos/cli';
 * const options: RunAppOptions = {
 *   entry: 'src/main.ts',
 *   net: [parseNetSpec('user,hostfwd=tcp:127.0.0.1:8080-:80')],
 *   disks: [{ path: 'www.img', readOnly: true }],
 *   stdout: (t) => process.stdout.write(t),
 * };
 * ```
 */
export interface RunAppOptions {
  /** The app: TypeScript or JavaScript (bundled first), or an `.mjs` image from `libos build`. */
  readonly entry: string;
  /** One NIC backend each, in the order the app declares its `nic()`s. */
  readonly net?: readonly NetSpec[];
  /** One disk image each, in the order the app declares its disks. */
  readonly disks?: readonly DiskSpec[];
  /** Record every frame of every NIC to this pcap file. */
  readonly pcap?: string;
  /** Run the device models in a worker thread. Default false. */
  readonly worker?: boolean;
  /** Guest memory for apps that do not say (bytes). Default boot's (16 MiB). */
  readonly memoryBytes?: number;
  /** Directory relative paths are resolved against. Default: the process's working directory. */
  readonly cwd?: string;
  /** Receives the boot log and `libos:` progress lines (each ending in a newline). */
  readonly stdout: (text: string) => void;
  /** Aborting it shuts the app down cleanly (the CLI aborts on SIGINT and SIGTERM). */
  readonly stop?: AbortSignal;
  /** Longest clean shutdown before giving up, in ms. Default 10,000. */
  readonly shutdownTimeoutMs?: number;
}

/** Extensions that are images already (ESM) and imported as they are. */
const IMAGE_EXTENSIONS = new Set(['.mjs']);
/** How long errors the app throws after shutdown are still swallowed. */
const LATE_ERROR_GRACE_MS = 5000;
/** How often a finished app's unikernels are checked for having been shut down. */
const IDLE_CHECK_MS = 100;

/** How the app ended, before cleanup. */
type Ending =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'finished' }
  | { readonly kind: 'failed'; readonly error: unknown };

/**
 * Boots a libos app on this machine — what `libos run` does. The app's backends are
 * opened from the options (`--net`, `--disk`, `--pcap`), a `nodeHost` is installed
 * (`installHost`, so the app's `boot()` finds it without a `host` option), and the app
 * is imported: a `.ts`/`.js` entry is bundled with {@link buildImage} into a temporary
 * directory first, an `.mjs` image is imported as it is. After the first unikernel is
 * up, every TCP/UDP port a user network forwards is printed:
 * `libos: forwarding tcp 127.0.0.1:8080 -> guest port 80`.
 *
 * It runs until `stop` is aborted, or until the app's module has finished and every
 * unikernel it booted is shut down (at once if it booted none). Then every unikernel is
 * shut down (services stopped, disks flushed), backends are closed and the capture file
 * is flushed.
 *
 * @param options The app, its backends, output, stop signal.
 * @returns Resolves after a clean shutdown.
 * @throws {@link CliError} `not-found` (entry, disk image), `build-failed`, `io` (a port in
 * use, a socket refused), `boot-failed` (the app's `boot()` threw: its `BootError`
 * message), `app-failed` (the app threw anything else, during or after boot).
 * @example
 * ```ts
 * import { parseDiskSpec, parseNetSpec, runApp } from '@libos/cli';
 * const stop = new AbortController();
 * process.once('SIGINT', () => stop.abort());
 * await runApp({
 *   entry: 'src/server.ts',
 *   net: [parseNetSpec('user,hostfwd=tcp:127.0.0.1:8080-:80')],
 *   disks: [parseDiskSpec('www.img,ro')],
 *   stdout: (t) => process.stdout.write(t),
 *   stop: stop.signal,
 * });
 * ```
 */
export async function runApp(options: RunAppOptions): Promise<void> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const entry = resolve(cwd, options.entry);
  await requireFile(entry, options.entry);
  let tempDir: string | undefined;
  try {
    let image = entry;
    if (!IMAGE_EXTENSIONS.has(extname(entry))) {
      tempDir = await mkdtemp(join(tmpdir(), 'libos-run-'));
      image = (await buildImage({ entry, outDir: tempDir, minify: false, cwd })).outputFile;
    }
    await runImage(image, options, cwd);
  } finally {
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  }
}

async function runImage(image: string, options: RunAppOptions, cwd: string): Promise<void> {
  const out = options.stdout;
  let backends: Awaited<ReturnType<typeof openBackends>>;
  try {
    backends = await openBackends({
      net: options.net ?? [],
      disks: options.disks ?? [],
      ...(options.pcap === undefined ? {} : { pcap: options.pcap }),
      cwd,
      note: (line) => out(`${line}\n`),
      ...(options.stop === undefined ? {} : { signal: options.stop }),
    });
  } catch (e) {
    // Ctrl-C while a `--net stream,server` waited for its peer is a clean stop.
    if (options.stop?.aborted) {
      out('libos: shut down\n');
      return;
    }
    throw e;
  }
  let announced = false;
  let host: NodeHost;
  try {
    host = nodeHost({
      net: backends.net,
      disks: backends.disks,
      ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
      worker: options.worker === true,
      log: (line) => out(`${line}\n`),
      onClose: () => backends.close(),
      onBooted: () => {
        if (announced) return;
        announced = true;
        for (const f of backends.forwards) {
          out(
            `libos: forwarding ${f.protocol} ${f.hostAddress}:${f.hostPort} -> guest port ${f.guestPort}\n`,
          );
        }
      },
    });
  } catch (e) {
    await backends.close();
    throw e;
  }
  if (options.stop?.aborted) {
    await host.close();
    out('libos: shut down\n');
    return;
  }

  // Everything the app throws, also outside boot (a request handler, a timer), ends
  // the run with one line instead of a stack trace.
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<Ending>((resolve) => {
    fail = (error) => resolve({ kind: 'failed', error });
  });
  const onUncaught = (error: unknown): void => fail(error);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const stopped = new Promise<Ending>((resolve) => {
    if (options.stop === undefined) return;
    options.stop.addEventListener('abort', () => resolve({ kind: 'stopped' }), { once: true });
  });
  let idleTimer: ReturnType<typeof setInterval> | undefined;
  installHost(host);
  try {
    const imported = import(pathToFileURL(image).href).then(
      () => 'imported' as const,
      (error: unknown): Ending => ({ kind: 'failed', error }),
    );
    let ending = await Promise.race([imported, stopped, failed]);
    if (ending === 'imported') {
      // The module has run; the app lives on in its unikernels until they shut down.
      const idle = new Promise<Ending>((resolve) => {
        const check = (): void => {
          if (host.kernels.every((k) => k.isShutDown)) resolve({ kind: 'finished' });
        };
        check();
        idleTimer = setInterval(check, IDLE_CHECK_MS);
      });
      ending = await Promise.race([idle, stopped, failed]);
    }
    await shutDown(host, options.shutdownTimeoutMs ?? 10_000);
    if (ending.kind === 'failed') throw appFailure(ending.error, options.entry);
    if (ending.kind === 'stopped') out('libos: shut down\n');
  } finally {
    if (idleTimer !== undefined) clearInterval(idleTimer);
    installHost(undefined);
    // The app's promises may still settle as its unikernels go away: swallow what it
    // throws while the process winds down, then give the handlers back.
    fail = () => {};
    setTimeout(() => {
      process.off('unhandledRejection', onUncaught);
      process.off('uncaughtException', onUncaught);
    }, LATE_ERROR_GRACE_MS).unref();
  }
}

async function shutDown(host: NodeHost, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CliError('io', `shutdown did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([host.close(), timeout]);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError('io', `shutdown failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A `BootError` from the app's own copy of @libos/boot (not `instanceof` ours): its
 * message is meant for people as it is.
 */
function isBootError(e: unknown): e is Error & { code: string } {
  return (
    e instanceof Error &&
    e.name === 'BootError' &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}

function appFailure(e: unknown, entry: string): CliError {
  if (e instanceof CliError) return e;
  if (isBootError(e)) return new CliError('boot-failed', e.message);
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  if (process.env['LIBOS_DEBUG'] && e instanceof Error && e.stack) {
    process.stderr.write(`${e.stack}\n`);
  }
  return new CliError('app-failed', `${basename(entry)} failed: ${what}`);
}

async function requireFile(path: string, asGiven: string): Promise<void> {
  let isFile = false;
  try {
    isFile = (await stat(path)).isFile();
  } catch {
    throw new CliError('not-found', `entry file not found: ${asGiven}`);
  }
  if (!isFile) throw new CliError('not-found', `entry is not a file: ${asGiven}`);
}
