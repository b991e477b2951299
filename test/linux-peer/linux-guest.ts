/**
 * Boots a real Linux kernel under QEMU (TCG) with virtio-net NICs whose other ends are
 * libos frame ports in this process, and runs shell commands in it over the serial
 * console. See README.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DgramFramePort,
  listenStreamFramePort,
  openDgramFramePort,
  type StreamFrameListener,
  type StreamFramePort,
} from '@libos/net/node';
import { buildGuestImages, READY_MARKER } from './initramfs.js';
import { linuxPeerSupport } from './requirements.js';

/** One NIC of the guest. */
export interface GuestNicSpec {
  /** The guest's MAC address for this NIC, `aa:bb:cc:dd:ee:ff`. */
  readonly mac: string;
  /** The libos side's MAC (the frame port's `macAddress`). Default 02:00:00:00:01:<index>. */
  readonly hostMac?: Uint8Array;
  /** `stream` (default): unix socket, QEMU `-netdev stream`; `dgram`: UDP on 127.0.0.1. */
  readonly transport?: 'stream' | 'dgram';
  /** Receive queue of the frame port. Default 256. */
  readonly receiveQueueFrames?: number;
}

/** A NIC of a running guest: the guest sees `name` (eth0, eth1 … in order). */
export interface GuestNic {
  /** The guest-side MAC, lower case. */
  readonly mac: string;
  /** The interface name inside the guest. */
  readonly name: string;
  /** Our end of the wire. */
  readonly port: StreamFramePort | DgramFramePort;
}

/** Options of {@link startLinuxGuest}. */
export interface LinuxGuestOptions {
  /** NICs in order (eth0 first). Default: none. */
  readonly nics?: readonly GuestNicSpec[];
  /** Guest RAM. Default 256 MiB. */
  readonly memoryMiB?: number;
  /** QEMU start → /init ready. Default 90 s (TCG on a busy 2-core machine). */
  readonly bootTimeoutMs?: number;
  /** Extra kernel command line. */
  readonly append?: string;
  /** Extra kernel modules to load at boot (by name, deps resolved). */
  readonly modules?: readonly string[];
  /** `auto` (default): the extracted vmlinux, falling back to the bzImage if QEMU refuses it. */
  readonly kernelImage?: 'auto' | 'vmlinux' | 'bzImage';
  /** Image cache. Default `<repo>/node_modules/.cache/libos-linux-peer`. */
  readonly cacheDir?: string;
  /** The guest powers itself off after this long without a command. Default 600 s. */
  readonly idleSeconds?: number;
}

/** What a command printed (stdout and stderr interleaved, `\r` removed) and its status. */
export interface RunResult {
  readonly output: string;
  readonly exitCode: number;
}

/** Stable codes of {@link LinuxGuestError}. */
export type LinuxGuestErrorCode =
  | 'BOOT_FAILED'
  | 'BOOT_TIMEOUT'
  | 'RUN_TIMEOUT'
  | 'GUEST_EXITED'
  | 'STOPPED'
  | 'UNAVAILABLE';

/** A harness failure; `message` ends with the tail of the guest console. */
export class LinuxGuestError extends Error {
  constructor(
    readonly code: LinuxGuestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LinuxGuestError';
  }
}

/** A running guest. */
export interface LinuxGuest {
  /** `uname -r` of the booted kernel (from /boot). */
  readonly kernelVersion: string;
  /** Which image QEMU booted. */
  readonly bootedFrom: 'vmlinux' | 'bzImage';
  /** Milliseconds from spawning QEMU to /init reporting ready. */
  readonly bootMs: number;
  /** True when the images came from the cache. */
  readonly imagesCached: boolean;
  /** The NICs, in `options.nics` order. */
  readonly nics: readonly GuestNic[];
  /** QEMU's PID. */
  readonly pid: number;
  /**
   * Runs `script` with `sh` in the guest (stdin /dev/null), one at a time. The guest
   * kills it after `timeoutMs` (rounded up to whole seconds) and the promise rejects
   * with `RUN_TIMEOUT`; background processes the script started keep running.
   */
  run(script: string, timeoutMs?: number): Promise<RunResult>;
  /** Everything the guest printed on its console so far (`\r` removed). */
  consoleLog(): string;
  /** Kills QEMU by PID, closes the ports and removes temporary files. Idempotent. */
  stop(): Promise<void>;
}

const REPO = join(import.meta.dirname, '..', '..');
const CHUNK = 1024; // base64 characters per console line (tty canonical lines hold 4095)
const LOG_LIMIT = 8 * 1024 * 1024;
const END_RE = /\n@@LP-END (\d+) (\d+)@@\n/g;

function consoleTail(log: string, lines = 60): string {
  return `\n--- guest console (last ${lines} lines) ---\n${log.split('\n').slice(-lines).join('\n')}`;
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

class RunningGuest implements LinuxGuest {
  kernelVersion = '';
  bootedFrom: 'vmlinux' | 'bzImage' = 'vmlinux';
  bootMs = 0;
  imagesCached = false;
  nics: GuestNic[] = [];
  pid = 0;
  readonly #tmp: string;
  #child: ChildProcess | undefined;
  #listeners: StreamFrameListener[] = [];
  #log = '';
  #stderr = '';
  #exited = false;
  #seq = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #watchers = new Set<() => void>();
  #stopped = false;
  readonly #killOnExit = (): void => {
    if (this.#child && !this.#exited) this.#child.kill('SIGKILL');
  };

  constructor(tmp: string) {
    this.#tmp = tmp;
    process.once('exit', this.#killOnExit);
  }

  consoleLog(): string {
    return this.#log;
  }

  /** Spawns QEMU and resolves when /init is ready (or rejects with a boot error). */
  async boot(
    qemu: string,
    args: string[],
    nicSpecs: readonly GuestNicSpec[],
    netdevs: (
      i: number,
      spec: GuestNicSpec,
    ) => Promise<{ args: string[]; nic: () => Promise<GuestNic> }>,
    timeoutMs: number,
  ): Promise<void> {
    this.#log = '';
    this.#stderr = '';
    this.#exited = false;
    const nicArgs: string[] = [];
    const pending: (() => Promise<GuestNic>)[] = [];
    for (const [i, spec] of nicSpecs.entries()) {
      const n = await netdevs(i, spec);
      nicArgs.push(...n.args);
      pending.push(n.nic);
    }
    const started = performance.now();
    const child = spawn(qemu, [...args, ...nicArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    this.pid = child.pid ?? 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      this.#log += text.replace(/\r/g, '');
      if (this.#log.length > LOG_LIMIT) this.#log = this.#log.slice(-LOG_LIMIT / 2);
      this.#notify();
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (this.#stderr.length < 65536) this.#stderr += text;
    });
    child.stdin.on('error', () => {}); // EPIPE after QEMU exits is reported via 'exit'
    child.on('exit', () => {
      this.#exited = true;
      this.#notify();
    });
    const accepted = Promise.all(pending.map((p) => p()));
    accepted.catch(() => {}); // if QEMU dies first, the boot error below is the one to report
    const ready = this.#until(
      () => (this.#log.includes(READY_MARKER) ? true : undefined),
      timeoutMs,
      () =>
        new LinuxGuestError(
          'BOOT_TIMEOUT',
          `guest not ready within ${timeoutMs} ms${consoleTail(this.#log)}`,
        ),
      () =>
        new LinuxGuestError(
          'BOOT_FAILED',
          `QEMU exited during boot: ${this.#stderr.trim()}${consoleTail(this.#log)}`,
        ),
    );
    [this.nics] = await Promise.all([accepted, ready]);
    this.bootMs = Math.round(performance.now() - started);
    const failed = /@@LP-INSMOD-FAILED (\S+)@@/.exec(this.#log);
    if (failed) {
      throw new LinuxGuestError(
        'BOOT_FAILED',
        `insmod ${failed[1]} failed${consoleTail(this.#log)}`,
      );
    }
  }

  /** Kills the current QEMU and forgets its NICs (for a retry or stop). */
  async killQemu(): Promise<void> {
    const child = this.#child;
    if (child && !this.#exited) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    await Promise.all(this.nics.map((n) => n.port.close()));
    await Promise.all(this.#listeners.map((l) => l.close()));
    this.#listeners = [];
  }

  addListener(l: StreamFrameListener): void {
    this.#listeners.push(l);
  }

  get stderr(): string {
    return this.#stderr;
  }

  run(script: string, timeoutMs = 30_000): Promise<RunResult> {
    const next = this.#queue.then(() => this.#runOne(script, timeoutMs));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #runOne(script: string, timeoutMs: number): Promise<RunResult> {
    if (this.#stopped) throw new LinuxGuestError('STOPPED', 'guest stopped');
    const id = ++this.#seq;
    const b64 = Buffer.from(script, 'utf8').toString('base64');
    const deadline = performance.now() + timeoutMs + 3000;
    const remaining = (): number => Math.max(1, deadline - performance.now());
    const timeout = (): LinuxGuestError =>
      new LinuxGuestError(
        'RUN_TIMEOUT',
        `command ${id} did not finish within ${timeoutMs} ms: ${script}${consoleTail(this.#log)}`,
      );
    const exited = (): LinuxGuestError =>
      new LinuxGuestError(
        'GUEST_EXITED',
        `QEMU exited while running: ${script} ${this.#stderr}${consoleTail(this.#log)}`,
      );
    // One chunk per line, each acknowledged, so the tty input buffer never overflows.
    for (let at = 0, n = 0; at < b64.length; at += CHUNK, n++) {
      const ack = `@@LP-ACK ${id}.${n}@@`;
      const from = this.#log.length;
      this.#write(`C ${id}.${n} ${b64.slice(at, at + CHUNK)}\n`);
      await this.#until(
        () => (this.#log.indexOf(ack, from) >= 0 ? true : undefined),
        remaining(),
        timeout,
        exited,
      );
    }
    const from = this.#log.length;
    const sent = performance.now();
    this.#write(`R ${id} ${Math.max(1, Math.ceil(timeoutMs / 1000))}\n`);
    const result = await this.#until(
      () => {
        END_RE.lastIndex = from;
        for (let m = END_RE.exec(this.#log); m; m = END_RE.exec(this.#log)) {
          if (Number(m[1]) !== id) continue;
          const begin = `@@LP-BEGIN ${id}@@\n`;
          const start = this.#log.indexOf(begin, from);
          return { output: this.#log.slice(start + begin.length, m.index), exitCode: Number(m[2]) };
        }
        return undefined;
      },
      remaining(),
      timeout,
      exited,
    );
    // 137 = 128 + SIGKILL from the guest-side `timeout`, at (rounded-up) timeoutMs.
    if (result.exitCode === 137 && performance.now() - sent >= timeoutMs * 0.9) {
      throw new LinuxGuestError(
        'RUN_TIMEOUT',
        `command ${id} was killed after ${timeoutMs} ms: ${script}\noutput: ${result.output}`,
      );
    }
    return result;
  }

  #write(line: string): void {
    if (this.#exited || !this.#child) return;
    this.#child.stdin?.write(line);
  }

  #notify(): void {
    for (const w of [...this.#watchers]) w();
  }

  /** Resolves with the first non-undefined `check()`, re-checked on console output. */
  #until<T>(
    check: () => T | undefined,
    timeoutMs: number,
    onTimeout: () => Error,
    onExit: () => Error,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = (f: () => void): void => {
        clearTimeout(timer);
        this.#watchers.delete(watcher);
        f();
      };
      const watcher = (): void => {
        const v = check();
        if (v !== undefined) done(() => resolve(v));
        else if (this.#exited) done(() => reject(onExit()));
        else if (this.#stopped) done(() => reject(new LinuxGuestError('STOPPED', 'guest stopped')));
      };
      const timer = setTimeout(() => done(() => reject(onTimeout())), timeoutMs);
      this.#watchers.add(watcher);
      watcher();
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#notify();
    await this.killQemu();
    process.off('exit', this.#killOnExit);
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}

/**
 * Boots a guest: builds (or reuses) the images, starts QEMU with one virtio-net NIC per
 * `options.nics` entry wired to a frame port here, and waits for /init. Always pair
 * with `stop()` (see `useLinuxGuest`).
 */
export async function startLinuxGuest(options: LinuxGuestOptions = {}): Promise<LinuxGuest> {
  const support = linuxPeerSupport();
  if (support.missing.length > 0 || !support.kernel) {
    throw new LinuxGuestError('UNAVAILABLE', `missing ${support.missing.join('; ')}`);
  }
  const kernel = support.kernel;
  const images = buildGuestImages({
    kernel,
    busybox: support.busybox,
    cacheDir: options.cacheDir ?? join(REPO, 'node_modules', '.cache', 'libos-linux-peer'),
    ...(options.modules ? { modules: options.modules } : {}),
    ...(options.idleSeconds ? { idleSeconds: options.idleSeconds } : {}),
  });
  const tmp = mkdtempSync(join(tmpdir(), 'libos-lp-'));
  const guest = new RunningGuest(tmp);
  guest.kernelVersion = kernel.version;
  guest.imagesCached = images.cached;
  const nicSpecs = options.nics ?? [];
  const netdevs = async (
    i: number,
    spec: GuestNicSpec,
  ): Promise<{ args: string[]; nic: () => Promise<GuestNic> }> => {
    const portOptions = {
      macAddress: spec.hostMac ?? new Uint8Array([0x02, 0, 0, 0, 0x01, i]),
      ...(spec.receiveQueueFrames ? { receiveQueueFrames: spec.receiveQueueFrames } : {}),
    };
    const mac = spec.mac.toLowerCase();
    const device = ['-device', `virtio-net-pci,netdev=n${i},mac=${mac},romfile=`];
    const name = `eth${i}`;
    if (spec.transport === 'dgram') {
      const qemuPort = await freeUdpPort();
      const port = await openDgramFramePort({ ...portOptions, remotePort: qemuPort });
      const netdev = `dgram,id=n${i},local.type=inet,local.host=127.0.0.1,local.port=${qemuPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${port.localPort}`;
      return { args: ['-netdev', netdev, ...device], nic: async () => ({ mac, name, port }) };
    }
    const path = join(tmp, `nic${i}-${Date.now()}.sock`);
    const listener = await listenStreamFramePort({ path }, portOptions);
    guest.addListener(listener);
    const netdev = `stream,id=n${i},server=off,addr.type=unix,addr.path=${path}`;
    return {
      args: ['-netdev', netdev, ...device],
      nic: async () => ({ mac, name, port: await listener.accept(15_000) }),
    };
  };
  const wanted = options.kernelImage ?? 'auto';
  const tries: ('vmlinux' | 'bzImage')[] =
    wanted === 'auto' ? (images.vmlinux ? ['vmlinux', 'bzImage'] : ['bzImage']) : [wanted];
  const append = ['console=ttyS0', 'quiet', 'panic=-1', options.append ?? ''].join(' ').trim();
  try {
    for (const [n, image] of tries.entries()) {
      const kernelFile = image === 'vmlinux' ? images.vmlinux : kernel.bzImage;
      if (!kernelFile)
        throw new LinuxGuestError('BOOT_FAILED', `no vmlinux: ${images.vmlinuxError}`);
      const args = [
        ...['-accel', 'tcg', '-m', String(options.memoryMiB ?? 256), '-smp', '1'],
        ...['-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio'],
        ...['-no-reboot', '-kernel', kernelFile, '-initrd', images.initramfs, '-append', append],
      ];
      try {
        guest.bootedFrom = image;
        await guest.boot(support.qemu, args, nicSpecs, netdevs, options.bootTimeoutMs ?? 90_000);
        return guest;
      } catch (e) {
        const retry =
          n + 1 < tries.length && e instanceof LinuxGuestError && e.code === 'BOOT_FAILED';
        if (!retry) throw e;
        await guest.killQemu(); // QEMU refused the vmlinux (e.g. no PVH note): use the bzImage
      }
    }
    throw new LinuxGuestError('BOOT_FAILED', 'no kernel image to boot');
  } catch (e) {
    await guest.stop();
    throw e;
  }
}
