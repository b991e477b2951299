/**
 * virtio-console in worker mode: guest writes reach the parent's output callback (posted
 * by the worker), parent input reaches the guest's receive buffers.
 */
import { ConsoleDriver } from '@libos/virtio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bounded,
  DRIVER_TIMEOUT_MS,
  stopWorkers,
  TEST_MS,
  until,
  workerRig,
} from './worker-rig.js';

vi.setConfig({ testTimeout: TEST_MS });

const BASE = 0x1000;

afterEach(stopWorkers);

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function consoleRig() {
  const output: Uint8Array[] = [];
  const rig = await workerRig([
    {
      kind: 'console',
      base: BASE,
      options: { size: { cols: 80, rows: 25 } },
      onOutput: (bytes) => output.push(bytes),
    },
  ]);
  const tty = await ConsoleDriver.open({
    memory: rig.memory,
    dma: rig.dma,
    base: BASE,
    link: rig.link,
    timeoutMs: DRIVER_TIMEOUT_MS,
  });
  return { ...rig, tty, output };
}

describe('virtio-console (worker)', () => {
  it("a guest write reaches the parent's output, in order", async () => {
    const { tty, output } = await consoleRig();
    const text = new TextEncoder().encode('hello from the guest\n');
    const big = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    await bounded(tty.write(text), 'write');
    await bounded(tty.write(big), 'big write');
    const want = concat([text, big]);
    await until(() => concat(output).length >= want.length, 'output');
    expect(concat(output)).toEqual(want);
    expect(tty.size()).toEqual({ cols: 80, rows: 25 });
    await tty.close();
  });

  it('parent input reaches the guest', async () => {
    const { tty, worker } = await consoleRig();
    const line = new TextEncoder().encode('ls -l\n');
    worker.consoleInput(BASE, line);
    worker.consoleInput(BASE, Uint8Array.of(1, 2, 3));
    const chunks: Uint8Array[] = [];
    while (concat(chunks).length < line.length + 3) chunks.push(await bounded(tty.read(), 'read'));
    expect(concat(chunks)).toEqual(concat([line, Uint8Array.of(1, 2, 3)]));
    await tty.close();
  });
});
