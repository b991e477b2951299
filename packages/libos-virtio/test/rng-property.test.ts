/**
 * Property: for random pool geometries, device caps and sequences of fill / read sizes,
 * the driver hands out exactly the device's stream — nothing repeated, skipped or
 * invented — and EAGAIN never consumes (fast-check).
 */
import { EntropyError } from '@libos/virtio';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rngPair } from './rng-fixture.js';

describe('virtio-rng property', () => {
  it('every byte handed out is the next byte of the device stream', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2048 }),
        fc.integer({ min: 1, max: 1024 }),
        fc.integer({ min: 1, max: 600 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 0xffff }),
        async (poolSize, requestSize, cap, ops, seed) => {
          const { rng, backend } = await rngPair(
            seed,
            { poolSize, requestSize },
            { maxBytesPerRequest: cap },
          );
          const got: number[] = [];
          for (const [useRead, n] of ops) {
            if (useRead) {
              got.push(...(await rng.read(n)));
              continue;
            }
            const b = new Uint8Array(n);
            try {
              rng.fill(b);
              got.push(...b);
            } catch (e) {
              expect(e).toBeInstanceOf(EntropyError);
              expect((e as EntropyError).code).toBe(n > poolSize ? 'TOO_LARGE' : 'EAGAIN');
            }
          }
          const drawn = backend.drawn();
          expect(Uint8Array.from(got)).toEqual(drawn.subarray(0, got.length));
          expect(drawn.length - got.length).toBe(rng.available);
        },
      ),
      { numRuns: 80 },
    );
  });
});
