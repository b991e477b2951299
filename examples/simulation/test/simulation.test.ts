/**
 * The simulation example: unikernels on a lossy simulated network are deterministic for
 * a seed (same seed → the same capture, byte for byte; another seed → another run), TCP
 * delivers every byte despite the losses, and tshark — which nobody here wrote — reads
 * the capture as well-formed Ethernet/IPv4/TCP with retransmissions in it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type SimulationResult, simulate } from '../simulate.js';

const run = promisify(execFile);
const required = process.env.CI === 'true';

async function capture(seed: number): Promise<{ result: SimulationResult; pcap: Buffer }> {
  const chunks: Uint8Array[] = [];
  const result = await simulate({
    seed,
    clients: 3,
    blobs: 3,
    blobBytes: 48 * 1024,
    loss: 0.03,
    pcap: (c) => chunks.push(c.slice()),
  });
  return { result, pcap: Buffer.concat(chunks) };
}

async function hasTshark(): Promise<boolean> {
  try {
    await run('tshark', ['--version']);
    return true;
  } catch {
    return false;
  }
}

describe('examples/simulation', () => {
  it('delivers every byte over lossy links and repeats itself exactly for a seed', async () => {
    const a = await capture(7);
    const b = await capture(7);
    const c = await capture(8);
    for (const client of a.result.clients) expect(client.bytes).toBe(3 * 48 * 1024);
    expect(a.result.framesDropped).toBeGreaterThan(0);
    expect(b.result).toEqual(a.result);
    expect(b.pcap.equals(a.pcap)).toBe(true);
    expect(c.pcap.equals(a.pcap)).toBe(false);
  }, 120_000);

  it('writes a capture tshark reads as well-formed TCP with retransmissions', async () => {
    if (!(await hasTshark())) {
      if (required) throw new Error('tshark is required in CI (apt-get install tshark)');
      return;
    }
    const { pcap } = await capture(11);
    const dir = await mkdtemp(join(tmpdir(), 'libos-sim-'));
    try {
      const file = join(dir, 'sim.pcap');
      await writeFile(file, pcap);
      const fields = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.protocols'], {
        maxBuffer: 64 << 20,
      });
      const lines = fields.stdout.trim().split('\n');
      expect(lines.length).toBeGreaterThan(100);
      expect(lines.filter((l) => l.startsWith('eth:ethertype:ip:tcp')).length).toBeGreaterThan(100);
      const expert = await run(
        'tshark',
        ['-r', file, '-Y', '_ws.malformed || _ws.expert.severity == error'],
        {
          maxBuffer: 64 << 20,
        },
      );
      expect(expert.stdout.trim()).toBe('');
      const retransmitted = await run('tshark', ['-r', file, '-Y', 'tcp.analysis.retransmission'], {
        maxBuffer: 64 << 20,
      });
      expect(retransmitted.stdout.trim().split('\n').length).toBeGreaterThan(0);
      expect(retransmitted.stdout).toMatch(/10\.0\.0\.1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
