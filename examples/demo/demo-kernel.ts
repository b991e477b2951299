/**
 * The demo "kernel" behind `npm start`: @libos/mem and @libos/sched composed into a
 * tiny packet-processing machine under deterministic simulation.
 *
 * ```text
 *  nic (poller, every 40 µs)        rx channel (bounded)        worker-0..N (tasks)
 *  pool.alloc() → fill frame  ──►  [buf][buf][buf]…   ──►  checksum, sleep ∝ length,
 *  (drop if pool empty or full)                              pool.free(buf)
 * ```
 *
 * Everything that varies — frame sizes and contents, tie-breaking between ready
 * workers — comes from the seed, so the same seed gives the same trace.
 */
import { BufferPool, DmaAllocator, GuestMemory, type PoolBuffer, readU16BE } from '@libos/mem';
import { Channel, type Micros, randomU32, Simulation, type TraceEvent } from '@libos/sched';

/** What to run. */
export interface DemoOptions {
  readonly seed: number;
  readonly frames: number;
  readonly workers: number;
  /** Receives each boot-log / progress line as it happens. */
  readonly log?: (line: string) => void;
}

/** What the run produced. */
export interface DemoResult {
  readonly produced: number;
  readonly dropped: number;
  readonly processedBy: Record<string, number>;
  /** Sum of every processed frame's RFC 1071 checksum (a content fingerprint). */
  readonly checksumSum: number;
  readonly poolBuffers: number;
  readonly poolHighWater: number;
  readonly poolInUseAtEnd: number;
  readonly virtualMicros: Micros;
  readonly traceEvents: number;
  /** FNV-1a over every scheduler trace event: equal digests, equal runs. */
  readonly traceDigest: string;
}

const MEMORY_BYTES = 16 << 20;
const POOL_BUFFERS = 32;
const BUFFER_BYTES = 2048;
const FRAME_INTERVAL: Micros = 40;

/** RFC 1071 Internet checksum over `bytes` (one's-complement sum of 16-bit words). */
function internetChecksum(bytes: Uint8Array, length: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 1 < length; i += 2) sum += readU16BE(bytes, i);
  if (i < length) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function fnv1a(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Boots the demo machine and runs it to completion in virtual time. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const log = options.log ?? (() => {});
  let digest = 0x811c9dc5;
  let traceEvents = 0;
  const trace = (e: TraceEvent): void => {
    traceEvents++;
    digest = fnv1a(digest, `${e.time} ${e.kind} ${e.task} ${e.detail}\n`);
  };

  const memory = new GuestMemory(MEMORY_BYTES);
  log(
    `mem: guest RAM ${MEMORY_BYTES >> 20} MiB (${memory.buffer instanceof SharedArrayBuffer ? 'SharedArrayBuffer' : 'ArrayBuffer'})`,
  );
  const dma = new DmaAllocator(memory, { base: 0, length: MEMORY_BYTES });
  const pool = BufferPool.fromDma(dma, POOL_BUFFERS, BUFFER_BYTES);
  log(`mem: rx pool ${POOL_BUFFERS} × ${BUFFER_BYTES} B at guest 0x${pool.addr.toString(16)}`);

  const sim = new Simulation({ seed: options.seed, trace });
  const sched = sim.scheduler;
  log(`sched: simulation, seed ${options.seed}, ${options.workers} workers`);
  const rx = new Channel<PoolBuffer>(sched, { capacity: 8, name: 'rx' });

  let produced = 0;
  let dropped = 0;
  let next: Micros = FRAME_INTERVAL;
  const nic = sched.addPoller(
    {
      pollAt: () => (produced + dropped < options.frames ? next : null),
      poll: (now) => {
        if (produced + dropped >= options.frames || now < next) return;
        next += FRAME_INTERVAL;
        const buf = pool.alloc();
        if (buf === null) {
          dropped++;
          return;
        }
        const length = 64 + (randomU32(sim.entropy) % (1514 - 64 + 1));
        sim.entropy.fill(buf.bytes.subarray(0, length));
        buf.bytes[BUFFER_BYTES - 2] = length >> 8; // frame length kept in the buffer's tail
        buf.bytes[BUFFER_BYTES - 1] = length & 0xff;
        if (rx.trySend(buf)) produced++;
        else {
          pool.free(buf);
          dropped++;
        }
        if (produced + dropped === options.frames) rx.close();
      },
    },
    'nic',
  );

  const processedBy: Record<string, number> = {};
  let checksumSum = 0;
  await sim.run(async () => {
    await sched.group(async (g) => {
      for (let w = 0; w < options.workers; w++) {
        const name = `worker-${w}`;
        processedBy[name] = 0;
        g.spawn(
          async () => {
            for await (const buf of rx) {
              const length = (buf.bytes[BUFFER_BYTES - 2]! << 8) | buf.bytes[BUFFER_BYTES - 1]!;
              checksumSum += internetChecksum(buf.bytes, length);
              await sched.sleep(20 + Math.ceil(length / 10)); // 1 µs per 10 bytes of work
              pool.free(buf);
              processedBy[name] = (processedBy[name] ?? 0) + 1;
            }
          },
          { name },
        );
      }
    });
  });
  nic.remove();
  const stats = pool.stats();
  return {
    produced,
    dropped,
    processedBy,
    checksumSum,
    poolBuffers: POOL_BUFFERS,
    poolHighWater: stats.highWaterAllocations,
    poolInUseAtEnd: pool.inUse,
    virtualMicros: sim.now(),
    traceEvents,
    traceDigest: digest.toString(16).padStart(8, '0'),
  };
}
