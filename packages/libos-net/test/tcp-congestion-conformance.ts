/**
 * Properties every {@link CongestionControl} must keep, run against each algorithm by
 * its own test file: cwnd is a finite integer ≥ 1 SMSS (≥ 2 SMSS right after a recovery
 * exit), ssthresh ≥ 2 SMSS once any loss happened, and ACKs outside recovery never
 * shrink cwnd.
 */
import type { CongestionControlFactory, RecoveryMode } from '@libos/net';
import fc from 'fast-check';
import { expect, it } from 'vitest';

type Step =
  | {
      readonly kind: 'ack';
      readonly bytes: number;
      readonly dt: number;
      readonly rtt: number | undefined;
    }
  | { readonly kind: 'enter'; readonly flight: number; readonly mode: RecoveryMode }
  | { readonly kind: 'dupack' }
  | { readonly kind: 'partial'; readonly bytes: number }
  | { readonly kind: 'exit'; readonly flight: number | undefined }
  | { readonly kind: 'rto'; readonly flight: number }
  | { readonly kind: 'idle'; readonly idleFor: number; readonly rto: number };

const bytes = fc.integer({ min: -10, max: 200_000 });
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('ack' as const),
      bytes,
      dt: fc.integer({ min: 0, max: 2_000_000 }),
      rtt: fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: undefined }),
    }),
  },
  fc.record({
    kind: fc.constant('enter' as const),
    flight: bytes,
    mode: fc.constantFrom<RecoveryMode>('dupack-inflation', 'sack-pipe'),
  }),
  fc.record({ kind: fc.constant('dupack' as const) }),
  fc.record({ kind: fc.constant('partial' as const), bytes }),
  fc.record({ kind: fc.constant('exit' as const), flight: fc.option(bytes, { nil: undefined }) }),
  fc.record({ kind: fc.constant('rto' as const), flight: bytes }),
  fc.record({
    kind: fc.constant('idle' as const),
    idleFor: fc.integer({ min: 0, max: 5_000_000 }),
    rto: fc.integer({ min: 200_000, max: 3_000_000 }),
  }),
);

/**
 * Registers the shared property tests for one algorithm.
 *
 * @param factory The algorithm under test.
 */
export function describeCongestionControlProperties(factory: CongestionControlFactory): void {
  it('keeps cwnd a finite integer ≥ 1 SMSS and ssthresh ≥ 2 SMSS after loss (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9000 }),
        fc.array(step, { maxLength: 120 }),
        (mss, steps) => {
          const cc = factory(mss);
          let now = 0;
          let lost = false;
          for (const s of steps) {
            const before = cc.cwnd;
            const wasInRecovery = cc.inRecovery;
            switch (s.kind) {
              case 'ack':
                now += s.dt;
                cc.onAck(s.bytes, cc.cwnd, now, s.rtt);
                // Monotone growth without loss: an ACK outside recovery never shrinks cwnd.
                if (!wasInRecovery) expect(cc.cwnd).toBeGreaterThanOrEqual(before);
                break;
              case 'enter':
                cc.onEnterRecovery(s.flight, now, s.mode);
                lost = true;
                break;
              case 'dupack':
                cc.onDuplicateAck();
                expect(cc.cwnd).toBeGreaterThanOrEqual(before);
                break;
              case 'partial':
                cc.onRecoveryAck(s.bytes, cc.cwnd);
                break;
              case 'exit':
                cc.onExitRecovery(now, s.flight);
                // RFC 6582 §3.2 step 6: both options leave at least 2·SMSS (ssthresh ≥ 2·SMSS).
                if (wasInRecovery) expect(cc.cwnd).toBeGreaterThanOrEqual(2 * mss);
                break;
              case 'rto':
                cc.onRetransmitTimeout(s.flight, now);
                lost = true;
                expect(cc.cwnd).toBe(mss);
                expect(cc.inRecovery).toBe(false);
                break;
              case 'idle':
                cc.onIdle?.(s.idleFor, s.rto);
                expect(cc.cwnd).toBeLessThanOrEqual(before);
                break;
            }
            expect(Number.isSafeInteger(cc.cwnd)).toBe(true);
            expect(cc.cwnd).toBeGreaterThanOrEqual(mss);
            expect(Number.isSafeInteger(cc.ssthresh)).toBe(true);
            if (lost) expect(cc.ssthresh).toBeGreaterThanOrEqual(2 * mss);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grows monotonically without loss, whatever the ACK sizes, times and RTTs (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 9000 }),
        fc.integer({ min: 0, max: 60 }),
        fc.array(
          fc.record({
            bytes: fc.integer({ min: 1, max: 20_000 }),
            dt: fc.integer({ min: 0, max: 500_000 }),
            rtt: fc.integer({ min: 1, max: 500_000 }),
          }),
          { maxLength: 200 },
        ),
        (mss, flight, acks) => {
          const cc = factory(mss);
          // Leave slow start first so congestion avoidance is exercised too.
          cc.onEnterRecovery((flight + 2) * mss, 0, 'sack-pipe');
          cc.onExitRecovery(0);
          let now = 0;
          let previous = cc.cwnd;
          for (const a of acks) {
            now += a.dt;
            cc.onAck(a.bytes, cc.cwnd, now, a.rtt);
            expect(cc.cwnd).toBeGreaterThanOrEqual(previous);
            previous = cc.cwnd;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
}
