import { describe, expect, it } from 'vitest';
import type { NetDevice } from '../net-device.js';

/**
 * A device under test and the far end of its wire. Frames the device transmits must
 * reach `peer.receive` and frames the peer transmits must reach the device, after at
 * most a `settle()`.
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import type { NetDeviceUnderTest } from '@libos/net/testing';
 * const [device, peer] = createLink();
 * const subject: NetDeviceUnderTest = { device, peer };
 * ```
 */
export interface NetDeviceUnderTest {
  /** The implementation being tested. */
  readonly device: NetDevice;
  /** The other end of its link. */
  readonly peer: NetDevice;
  /** Lets asynchronous parts (device models, workers) move frames; default: nothing. */
  readonly settle?: () => Promise<void>;
  /** Called after the test. */
  readonly dispose?: () => Promise<void> | void;
}

/**
 * How {@link describeNetDevice} gets devices: each call returns a fresh, connected pair.
 *
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import type { NetDeviceFactory } from '@libos/net/testing';
 * const factory: NetDeviceFactory = {
 *   create: async () => {
 *     const [device, peer] = createLink();
 *     return { device, peer };
 *   },
 * };
 * ```
 */
export interface NetDeviceFactory {
  /** A fresh device wired to a peer. */
  create(): Promise<NetDeviceUnderTest>;
}

const HEADER = 14;

function frame(seed: number, length: number, dst: Uint8Array, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(length);
  out.set(dst, 0);
  out.set(src, 6);
  out[12] = 0x88; // EtherType 0x88b5: IEEE 802 local experimental
  out[13] = 0xb5;
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = HEADER; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Collects copies of up to `budget` frames from `d`, settling until `want` arrived (bounded). */
async function drain(
  subject: NetDeviceUnderTest,
  d: NetDevice,
  want: number,
  budget = 64,
): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  for (let round = 0; round < 100 && got.length < want; round++) {
    d.receive((f) => {
      got.push(f.slice());
    }, budget);
    if (got.length < want) await subject.settle?.();
  }
  return got;
}

/**
 * The {@link NetDevice} conformance suite: registers vitest tests that check an
 * implementation against the contract — sane capabilities, byte-exact in-order
 * delivery both ways across frame sizes, the receive budget, refusal of oversize frames
 * without calling `fill`, and recovery after back-pressure. Every implementation
 * (virtio-net driver, links, wrappers) runs it. Needs `vitest` (a peer dependency of
 * this subpath).
 *
 * @param name Shown in the test report.
 * @param factory Creates connected devices.
 * @example
 * ```ts
 * import { createLink } from '@libos/net';
 * import { describeNetDevice } from '@libos/net/testing';
 * describeNetDevice('in-process link', {
 *   create: async () => {
 *     const [device, peer] = createLink();
 *     return { device, peer };
 *   },
 * });
 * ```
 */
export function describeNetDevice(name: string, factory: NetDeviceFactory): void {
  async function withSubject(f: (s: NetDeviceUnderTest) => Promise<void>): Promise<void> {
    const subject = await factory.create();
    try {
      await f(subject);
    } finally {
      await subject.dispose?.();
    }
  }

  describe(`NetDevice conformance: ${name}`, () => {
    it('reports sane capabilities and a unicast MAC', () =>
      withSubject(async ({ device }) => {
        const c = device.capabilities;
        expect(Number.isInteger(c.maxTransmitUnit)).toBe(true);
        expect(c.maxTransmitUnit).toBeGreaterThanOrEqual(68); // RFC 791 minimum
        expect(c.maxBurstSize).toBeGreaterThanOrEqual(1);
        expect(typeof c.checksumOffload.transmit).toBe('boolean');
        expect(typeof c.checksumOffload.receive).toBe('boolean');
        expect(device.macAddress.length).toBe(6);
        expect((device.macAddress[0] ?? 1) & 1).toBe(0);
      }));

    it('receive returns 0 and calls nothing when no frame is pending', () =>
      withSubject(async ({ device }) => {
        let calls = 0;
        expect(
          device.receive(() => {
            calls++;
          }, 16),
        ).toBe(0);
        expect(calls).toBe(0);
      }));

    it('delivers transmitted frames byte-exact and in order, smallest to MTU-sized', () =>
      withSubject(async (s) => {
        const { device, peer } = s;
        const sizes = [60, 64, 100, 512, 1000, device.capabilities.maxTransmitUnit + HEADER];
        const sent = sizes.map((n, i) => frame(i + 1, n, peer.macAddress, device.macAddress));
        const got: Uint8Array[] = [];
        const collect = (f: Uint8Array): void => {
          got.push(f.slice());
        };
        for (const f of sent) {
          let ok = false;
          for (let tries = 0; tries < 100 && !ok; tries++) {
            ok = device.transmit(f.length, (buf) => {
              expect(buf.length).toBe(f.length);
              buf.set(f);
            });
            if (!ok) {
              await s.settle?.();
              peer.receive(collect, 64); // make room on a short queue
            }
          }
          expect(ok).toBe(true);
        }
        await s.settle?.();
        got.push(...(await drain(s, peer, sent.length - got.length)));
        expect(got).toEqual(sent);
      }));

    it('receives what the peer transmits, honouring the budget', () =>
      withSubject(async (s) => {
        const { device, peer } = s;
        const sent: Uint8Array[] = [];
        for (let i = 0; i < 5; i++) {
          const f = frame(40 + i, 60 + i, device.macAddress, peer.macAddress);
          if (!peer.transmit(f.length, (buf) => buf.set(f))) break;
          sent.push(f);
        }
        expect(sent.length).toBeGreaterThanOrEqual(2);
        await s.settle?.();
        const first: Uint8Array[] = [];
        for (let round = 0; round < 100 && first.length === 0; round++) {
          const n = device.receive((f) => {
            first.push(f.slice());
          }, 1);
          expect(n).toBeLessThanOrEqual(1);
          if (first.length === 0) await s.settle?.();
        }
        expect(first).toEqual([sent[0]]);
        const rest = await drain(s, device, sent.length - 1);
        expect(rest).toEqual(sent.slice(1));
      }));

    it('refuses a frame longer than MTU + 14 without calling fill', () =>
      withSubject(async ({ device }) => {
        let called = false;
        const tooLong = device.capabilities.segmentationOffload
          ? 65536 + HEADER
          : device.capabilities.maxTransmitUnit + HEADER + 1;
        expect(
          device.transmit(tooLong, () => {
            called = true;
          }),
        ).toBe(false);
        expect(called).toBe(false);
      }));

    it('applies back-pressure without losing accepted frames, and recovers once drained', () =>
      withSubject(async (s) => {
        const { device, peer } = s;
        const accepted: Uint8Array[] = [];
        for (let i = 0; i < 4096; i++) {
          const f = frame(1000 + i, 60, peer.macAddress, device.macAddress);
          if (!device.transmit(f.length, (buf) => buf.set(f))) break;
          accepted.push(f);
        }
        expect(accepted.length).toBeGreaterThan(0);
        expect(accepted.length).toBeLessThan(4096); // a bounded queue says no at some point
        await s.settle?.();
        const got = await drain(s, peer, accepted.length, 4096);
        expect(got).toEqual(accepted);
        const again = frame(7, 60, peer.macAddress, device.macAddress);
        let ok = false;
        for (let tries = 0; tries < 100 && !ok; tries++) {
          ok = device.transmit(again.length, (buf) => buf.set(again));
          if (!ok) await s.settle?.();
        }
        expect(ok).toBe(true);
      }));
  });
}
