/**
 * Several libos unikernels on a simulated lossy network, under virtual time: one file
 * server and `clients` clients on a switch, each client's link dropping, duplicating,
 * reordering and delaying frames. Every client downloads blobs over TCP and checks
 * them. Everything — frame timings, losses, TCP's recovery — follows from the seed:
 * the same seed gives the same capture, byte for byte.
 */
import { boot, runSimulated, simulationHost, type Unikernel } from '@libos/boot';
import { type NicHandle, nic } from '@libos/boot/net';
import {
  createSwitch,
  FaultInjector,
  type NetDevice,
  PcapWriter,
  type TcpStream,
} from '@libos/net';
import { Simulation } from '@libos/sched';

/**
 * Options of {@link simulate}.
 */
export interface SimulateOptions {
  /** Seed of everything random: ISNs, MACs, losses. */
  readonly seed: number;
  /** Client unikernels. Default 3. */
  readonly clients?: number;
  /** Blobs each client downloads. Default 4. */
  readonly blobs?: number;
  /** Size of each blob in bytes. Default 64 KiB. */
  readonly blobBytes?: number;
  /** Probability that a frame is dropped on a client link, each direction. Default 0.02. */
  readonly loss?: number;
  /** Receives the pcap of the server's link (both directions). */
  readonly pcap?: (chunk: Uint8Array) => void;
  /** Receives every unikernel's boot log. */
  readonly onLog?: (line: string) => void;
}

/** What one client did. */
export interface ClientResult {
  /** The client's address. */
  readonly address: string;
  /** Bytes downloaded and verified. */
  readonly bytes: number;
  /** Virtual microseconds from its first connect to its last byte. */
  readonly micros: number;
  /** TCP segments it retransmitted. */
  readonly retransmits: number;
}

/** What {@link simulate} returns. */
export interface SimulationResult {
  readonly clients: readonly ClientResult[];
  /** Segments the server retransmitted. */
  readonly serverRetransmits: number;
  /** Frames the fault injectors dropped. */
  readonly framesDropped: number;
  /** Virtual time at the end (µs). */
  readonly endMicros: number;
}

/** Byte `i` of blob `n` (what the server sends and the client checks). */
function blobByte(n: number, i: number): number {
  return (i * 31 + n * 17 + (i >>> 8)) & 0xff;
}

/** The blob server: a request is one byte, the blob number; the reply is the blob. */
async function serveBlobs(conn: TcpStream, blobBytes: number): Promise<void> {
  const out = new Uint8Array(blobBytes);
  for (let request = await conn.read(1); request !== null; request = await conn.read(1)) {
    const n = request[0]!;
    for (let i = 0; i < blobBytes; i++) out[i] = blobByte(n, i);
    await conn.write(out);
  }
  await conn.end();
}

async function download(
  net: NicHandle,
  blobs: number,
  blobBytes: number,
  sim: Simulation,
): Promise<ClientResult> {
  const started = sim.now();
  const conn = await net.stack.connectTcp({ address: '10.0.0.1', port: 9000 });
  let bytes = 0;
  for (let n = 0; n < blobs; n++) {
    await conn.write(Uint8Array.of(n));
    for (let at = 0; at < blobBytes; ) {
      const chunk = await conn.read(blobBytes - at);
      if (chunk === null) throw new Error(`${net.address}: server closed during blob ${n}`);
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== blobByte(n, at + i)) {
          throw new Error(`${net.address}: blob ${n} byte ${at + i} is wrong`);
        }
      }
      at += chunk.length;
      bytes += chunk.length;
    }
  }
  await conn.end();
  while ((await conn.read()) !== null);
  return {
    address: net.address ?? '?',
    bytes,
    micros: sim.now() - started,
    retransmits: net.stack.tcp.stats.retransmits,
  };
}

/**
 * Runs the scenario for `options.seed` and returns what every client measured.
 *
 * @example
 * ```ts
 * const chunks: Uint8Array[] = [];
 * const result = await simulate({ seed: 42, pcap: (c) => chunks.push(c.slice()) });
 * ```
 */
export async function simulate(options: SimulateOptions): Promise<SimulationResult> {
  const clients = options.clients ?? 3;
  const blobs = options.blobs ?? 4;
  const blobBytes = options.blobBytes ?? 64 * 1024;
  const loss = options.loss ?? 0.02;
  const sim = new Simulation({ seed: options.seed });
  const clock = sim.clock;
  const net = createSwitch({ clock });
  const injectors: FaultInjector[] = [];
  const lossy = (port: NetDevice, stream: number): NetDevice => {
    const faults = {
      dropProbability: loss,
      duplicateProbability: loss / 4,
      reorderProbability: loss / 2,
      reorderHoldMicros: 300,
      delayMicros: 250,
    };
    const injector = new FaultInjector(port, {
      seed: options.seed * 1000 + stream,
      clock,
      rx: faults,
      tx: faults,
    });
    injectors.push(injector);
    return injector;
  };
  // The switch and the fault injectors move frames whenever they are polled: every 100 µs.
  sim.scheduler.addPoller(
    {
      poll: () => {
        net.poll();
        for (const f of injectors) f.poll();
      },
      pollAt: () => clock.now() + 100,
    },
    'network',
  );

  const serverPort: NetDevice = net.attach();
  const serverBackend =
    options.pcap === undefined
      ? serverPort
      : new PcapWriter(serverPort, { clock, sink: options.pcap });

  return runSimulated(
    sim,
    async () => {
      const log = options.onLog;
      const kernels: Unikernel<unknown>[] = [];
      const server = await boot(
        { net: nic({ backend: serverBackend, ipv4: { address: '10.0.0.1/24' } }) },
        {
          host: simulationHost(sim, {
            name: 'simulation (server)',
            ...(log ? { onLog: log } : {}),
          }),
        },
      );
      kernels.push(server);
      const listener = server.services.net.stack.listenTcp({ port: 9000 });
      void (async () => {
        for await (const conn of listener)
          void serveBlobs(conn, blobBytes).catch(() => conn.abort());
      })();

      const booted = [];
      for (let c = 0; c < clients; c++) {
        const client = await boot(
          {
            net: nic({
              backend: lossy(net.attach(), c + 1),
              ipv4: { address: `10.0.0.${c + 2}/24` },
            }),
          },
          {
            host: simulationHost(sim, {
              name: `simulation (client ${c + 1})`,
              ...(log ? { onLog: log } : {}),
            }),
          },
        );
        kernels.push(client);
        booted.push(client);
      }
      const results = await Promise.all(
        booted.map((k) => download(k.services.net, blobs, blobBytes, sim)),
      );
      listener.close();
      const serverRetransmits = server.services.net.stack.tcp.stats.retransmits;
      for (const k of kernels.reverse()) await k.shutdown();
      let framesDropped = 0;
      for (const f of injectors) framesDropped += f.rxStats.dropped + f.txStats.dropped;
      return { clients: results, serverRetransmits, framesDropped, endMicros: sim.now() };
    },
    { timeLimit: 600_000_000 },
  );
}
