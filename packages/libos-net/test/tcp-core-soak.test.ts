/**
 * A seeded lossy-wire soak: loss 0–10 %, duplication, reordering and corruption, many seeds; every
 * byte arrives exactly once, in order, both ways, and both ends close cleanly.
 */
import type { TcpStream } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { B, firstDifference, pattern, TcpWire } from './tcp-core-harness.js';

async function readToEnd(conn: TcpStream): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) {
    parts.push(chunk);
    total += chunk.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function readSlowly(conn: TcpStream, wire: TcpWire): Promise<Uint8Array> {
  await wire.sleep(300_000);
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await conn.read(4096); chunk; chunk = await conn.read(4096)) {
    parts.push(chunk);
    total += chunk.length;
    await wire.sleep(2_000);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function soak(seed: number): Promise<void> {
  // 0 … 10 % by default; SOAK_MAX_LOSS=30 stresses harder locally.
  const maxLoss = Number(process.env.SOAK_MAX_LOSS ?? 10);
  const loss = (seed % (maxLoss + 1)) / 100;
  const wire = new TcpWire({
    seed,
    delay: 500 + (seed % 7) * 700,
    faults: { loss, duplicate: 0.02, reorder: 0.05, corrupt: 0.01 },
    a: {
      congestionControl: seed % 2 === 0 ? 'cubic' : 'newreno',
      tcpOptions: seed % 5 !== 4,
      // Every third seed both directions start just below 2^32 and wrap mid-transfer.
      ...(seed % 3 === 1 ? { isn: { isn: () => 0xffff_ffff - seed * 1000 } } : {}),
    },
    b: {
      receiveBuffer: seed % 3 === 0 ? 16 * 1024 : 256 * 1024,
      ...(seed % 3 === 1 ? { isn: { isn: () => 0xffff_ffff - seed * 7 } } : {}),
    },
  });
  const listener = wire.b.listen({ port: 80 });
  const up = pattern(150_000 + seed * 997, seed);
  const down = pattern(40_000 + seed * 31, seed + 1000);
  const client = (async () => {
    const conn = await wire.a.connect({ address: B, port: 80 });
    const reading = readToEnd(conn);
    await conn.write(up);
    await conn.end();
    const got = await reading;
    await conn.close();
    return got;
  })();
  const slowReader = seed % 4 === 0;
  const server = (async () => {
    const conn = await listener.accept();
    // Every fourth seed the server reads late and slowly: zero windows, persist probes
    // and window updates under loss.
    const reading = slowReader ? readSlowly(conn, wire) : readToEnd(conn);
    await conn.write(down);
    await conn.end();
    const got = await reading;
    await conn.close();
    return got;
  })();
  const [atClient, atServer] = await wire.until(Promise.all([client, server]), 3_600_000_000);
  const message = `seed ${seed} (loss ${loss})`;
  await wire.run(); // let TIME-WAIT (2·MSL) expire
  expect(firstDifference(atServer, up), message).toBe(-1);
  expect(firstDifference(atClient, down), message).toBe(-1);
  expect(wire.a.connectionCount + wire.b.connectionCount, message).toBe(0);
  expect(wire.a.memoryUsed + wire.b.memoryUsed, `${message}: buffers returned`).toBe(0);
  if (process.env.SOAK_DEBUG)
    console.log(
      message,
      wire.clock.now(),
      JSON.stringify(wire.a.stats),
      JSON.stringify(wire.b.stats),
    );
}

describe('lossy-wire soak', () => {
  // SOAK_SEEDS=first-last widens the sweep locally; CI runs the default 150 seeds.
  const [first, last] = (process.env.SOAK_SEEDS ?? '1-150').split('-').map(Number) as [
    number,
    number,
  ];
  it(`every byte arrives exactly once, in order, over seeds ${first}–${last}`, {
    timeout: 600_000,
  }, async () => {
    for (let seed = first; seed <= last; seed++) {
      try {
        await soak(seed);
      } catch (error) {
        console.error(`tcp-core soak failed with seed ${seed}`);
        throw error;
      }
    }
  });
});
