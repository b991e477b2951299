/**
 * The host kernel as a peer, without QEMU: a TAP device inside a fresh network
 * namespace, bridged by socat to a libos DgramFramePort on 127.0.0.1 (each frame read
 * from the TAP becomes one UDP datagram and vice versa). Needs root. Faster to start
 * than a guest (~100 ms), but it is the host's kernel version and tools.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { type DgramFramePort, openDgramFramePort } from '@libos/net/node';

/** Options of {@link startTapPeer}. */
export interface TapPeerOptions {
  /** MAC of the TAP interface inside the namespace. Default 02:00:00:00:02:01. */
  readonly mac?: string;
  /** The libos side's MAC (the port's `macAddress`). Default 02:00:00:00:02:02. */
  readonly hostMac?: Uint8Array;
}

/** A running TAP peer. */
export interface TapPeer {
  /** Our end of the wire. */
  readonly port: DgramFramePort;
  /** The namespace the TAP lives in. */
  readonly netns: string;
  /** The TAP interface name (inside `netns`). */
  readonly ifname: string;
  /** The TAP's MAC, lower case. */
  readonly mac: string;
  /** Runs `sh -c script` inside the namespace; killed after `timeoutMs`. */
  run(script: string, timeoutMs?: number): Promise<{ output: string; exitCode: number }>;
  /** Kills socat by PID, deletes the namespace (and with it the TAP), closes the port. */
  stop(): Promise<void>;
}

let serial = 0;

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
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

/** Creates the namespace, the TAP (via socat) and the port. Always pair with `stop()`. */
export async function startTapPeer(options: TapPeerOptions = {}): Promise<TapPeer> {
  const n = serial++;
  const netns = `libos-lp-${process.pid}-${n}`;
  const ifname = `lp${process.pid % 1_000_000}t${n}`.slice(0, 15);
  const mac = (options.mac ?? '02:00:00:00:02:01').toLowerCase();
  const port = await openDgramFramePort({
    macAddress: options.hostMac ?? new Uint8Array([2, 0, 0, 0, 2, 2]),
  });
  const socatPort = await freeUdpPort();
  port.setRemotePort(socatPort);
  let socat: ChildProcess | undefined;
  let socatLog = '';
  let nsCreated = false;
  const stop = async (): Promise<void> => {
    if (socat && socat.exitCode === null && socat.signalCode === null) {
      const exited = new Promise((resolve) => socat?.once('exit', resolve));
      socat.kill('SIGKILL');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
    if (nsCreated) spawnSync('ip', ['netns', 'del', netns]);
    nsCreated = false;
    await port.close();
  };
  try {
    socat = spawn(
      'socat',
      [
        `TUN,tun-type=tap,tun-name=${ifname},iff-no-pi`,
        `UDP:127.0.0.1:${port.localPort},bind=127.0.0.1:${socatPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    socat.stderr?.on('data', (d: Buffer) => {
      socatLog += d.toString();
    });
    let present = false;
    for (let i = 0; i < 100 && !present; i++) {
      present = spawnSync('ip', ['link', 'show', 'dev', ifname], { stdio: 'ignore' }).status === 0;
      if (!present) {
        if (socat.exitCode !== null) throw new Error(`socat exited: ${socatLog}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    if (!present) throw new Error(`TAP ${ifname} did not appear: ${socatLog}`);
    ip(['netns', 'add', netns]);
    nsCreated = true;
    ip(['link', 'set', ifname, 'netns', netns]);
    ip(['-n', netns, 'link', 'set', 'dev', ifname, 'address', mac]);
    ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    await stop();
    throw e;
  }
  const run = (script: string, timeoutMs = 30_000): Promise<{ output: string; exitCode: number }> =>
    new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', netns, 'sh', '-c', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        output += d.toString();
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`timed out after ${timeoutMs} ms: ${script}\n${output}`));
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ output, exitCode: code ?? 128 });
      });
    });
  return { port, netns, ifname, mac, run, stop };
}
