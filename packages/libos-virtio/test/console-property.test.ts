/**
 * Property: for random write sizes, buffer geometries and input chunkings, the console
 * moves every byte exactly once and in order, both ways (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, consoleDevice, openConsole, pattern } from './console-fixture.js';

describe('virtio-console property', () => {
  it('output and input arrive byte-exact for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 64 }),
        async (writes, inputs, buffers, bufferSize) => {
          const setup = consoleDevice({ inputCapacity: 1 << 16 });
          const seen: Uint8Array[] = [];
          const { tty } = await openConsole(setup, {
            receiveBuffers: buffers,
            receiveBufferSize: bufferSize,
            transmitBuffers: buffers,
            transmitBufferSize: bufferSize,
            onData: (b) => seen.push(b.slice()),
          });
          const sent = writes.map((n, i) => pattern(n, i * 13));
          await Promise.all(sent.map((b) => tty.write(b)));
          expect(setup.backend.bytes()).toEqual(concat(sent));
          const typed = inputs.map((n, i) => pattern(n, 100 + i));
          for (const t of typed) expect(setup.device.input(t)).toBe(t.length);
          expect(concat(seen)).toEqual(concat(typed));
          expect(seen.every((c) => c.length <= bufferSize)).toBe(true);
          await tty.close();
          expect(setup.dma.stats().usedBytes).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
