import { SackScoreboard, TcpError, type TcpSackBlock } from '@libos/net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof TcpError ? e.code : 'not a TcpError';
  }
  return undefined;
};

const MSS = 100;

/**
 * The scenario of RFC 6675 / RFC 2018 style tests, at a chosen initial sequence number:
 * ten 100-byte segments from `isn` sent, some SACKed.
 */
function scenario(isn: number) {
  const seq = (n: number): number => (isn + n) >>> 0;
  const block = (a: number, b: number): TcpSackBlock => ({ start: seq(a), end: seq(b) });
  return { seq, block, una: seq(0), nxt: seq(1000) };
}

describe('SackScoreboard', () => {
  it('records blocks, merges them and counts newly SACKed bytes', () => {
    const { seq, block, una, nxt } = scenario(1000);
    const b = new SackScoreboard();
    b.reset(una);
    expect(b.update([block(200, 300)], una, nxt)).toBe(100);
    expect(b.update([block(400, 500), block(250, 350)], una, nxt)).toBe(150);
    expect([b.sackedBytes, b.rangeCount, b.highestSacked]).toEqual([250, 2, seq(500)]);
    expect(b.update([block(350, 400)], una, nxt)).toBe(50); // fills the hole: one range
    expect([b.sackedBytes, b.rangeCount]).toEqual([300, 1]);
    expect(b.update([block(200, 500)], una, nxt)).toBe(0); // nothing new
    expect(b.isSacked(seq(200), seq(500))).toBe(true);
    expect(b.isSacked(seq(199), seq(500))).toBe(false);
    expect(b.isSacked(seq(300), seq(300))).toBe(false);
    // The cumulative ACK moves past part of the range.
    expect(b.update([], seq(300), nxt)).toBe(0);
    expect([b.sackedBytes, b.rangeCount]).toEqual([200, 1]);
    expect(b.isSacked(seq(300), seq(500))).toBe(true);
    expect(b.update([], seq(600), nxt)).toBe(0);
    expect([b.sackedBytes, b.rangeCount, b.highestSacked]).toEqual([0, 0, undefined]);
  });

  it('ignores blocks outside (SND.UNA, SND.NXT] and D-SACK blocks (RFC 2883 §4)', () => {
    const { seq, block, nxt } = scenario(4000);
    const una = seq(500);
    const b = new SackScoreboard();
    b.reset(una);
    // RFC 2883 §4.1.1 style: a D-SACK for data already acknowledged is below SND.UNA.
    expect(b.update([block(100, 200)], una, nxt)).toBe(0);
    expect(b.update([block(400, 500)], una, nxt)).toBe(0); // right edge = SND.UNA
    expect(b.update([block(900, 1100)], una, nxt)).toBe(0); // beyond SND.NXT
    expect(b.update([block(700, 600)], una, nxt)).toBe(0); // reversed
    expect(b.update([block(700, 700)], una, nxt)).toBe(0); // empty
    expect(b.update([{ start: seq(600), end: seq(600 + 2 ** 31) }], una, nxt)).toBe(0);
    expect(b.sackedBytes).toBe(0);
    // A block straddling SND.UNA keeps only its part above.
    expect(b.update([block(450, 550)], una, nxt)).toBe(50);
    expect(b.isSacked(seq(500), seq(550))).toBe(true);
    // A D-SACK block inside an already SACKed range (RFC 2883 §4.2) adds nothing.
    expect(b.update([block(510, 520), block(800, 900)], una, nxt)).toBe(100);
  });

  it('IsLost: more than (DupThresh − 1) · SMSS bytes or DupThresh ranges above (RFC 6675 §4)', () => {
    const { seq, block, una, nxt } = scenario(0);
    const b = new SackScoreboard();
    b.reset(una);
    b.update([block(100, 300)], una, nxt); // 200 bytes = 2 · SMSS above 0: not more
    expect(b.isLost(seq(0), MSS)).toBe(false);
    b.update([block(400, 401)], una, nxt); // 201 bytes above 0
    expect(b.isLost(seq(0), MSS)).toBe(true);
    expect(b.isLost(seq(99), MSS)).toBe(true);
    expect(b.isLost(seq(100), MSS)).toBe(false); // only 200 above 100
    const c = new SackScoreboard();
    c.reset(una);
    c.update([block(100, 101), block(200, 201), block(300, 301)], una, nxt);
    expect(c.isLost(seq(99), MSS)).toBe(true); // three discontiguous ranges above
    expect(c.isLost(seq(100), MSS)).toBe(false); // two above
  });

  it('NextSeg picks the first lost hole above HighRxt, then rule 3, and SetPipe counts', () => {
    const { seq, block, una, nxt } = scenario(0);
    const b = new SackScoreboard();
    b.reset(una);
    // Segments 0 and 4 lost; 1–3 and 5–6 SACKed; 7–9 not yet acknowledged at all.
    b.update([block(100, 400), block(500, 700)], una, nxt);
    expect(b.nextSegment(una, nxt, una, MSS)).toEqual({ start: seq(0), end: seq(100), lost: true });
    // Segment 4 is not presumed lost: only 200 bytes (not more than 2 · SMSS), one range above.
    expect(b.isLost(seq(400), MSS)).toBe(false);
    expect(b.nextSegment(una, nxt, seq(100), MSS)).toEqual({
      start: seq(400),
      end: seq(500),
      lost: false, // rule (3): new data goes first if the caller has any
    });
    expect(b.nextSegment(una, nxt, seq(500), MSS)).toBeUndefined(); // nothing below 700 left
    // SetPipe: 0..99 lost (not counted); 400..499 in flight; 700..999 in flight.
    expect(b.pipe(una, nxt, una, MSS)).toBe(400);
    // After retransmitting 0..99 it counts again.
    expect(b.pipe(una, nxt, seq(100), MSS)).toBe(500);
    // A segment never runs into SACKed data or past SND.NXT, nor beyond one SMSS (with an
    // SMSS of 1000, 500 SACKed bytes above do not make 0 lost).
    expect(b.nextSegment(una, nxt, una, 1000)).toEqual({
      start: seq(0),
      end: seq(100),
      lost: false,
    });
    expect(b.nextSegment(una, seq(50), una, 1000)).toEqual({
      start: seq(0),
      end: seq(50),
      lost: false,
    });
    expect(b.nextSegment(una, nxt, una, 30)).toEqual({ start: seq(0), end: seq(30), lost: true });
    expect(b.nextSegment(una, nxt, seq(30), 30)).toEqual({
      start: seq(30),
      end: seq(60),
      lost: true,
    });
  });

  it('SACK across the 2^32 wrap', () => {
    // The same scenario with the ten segments straddling sequence number 0.
    const { seq, block, una, nxt } = scenario(2 ** 32 - 450);
    expect(nxt).toBeLessThan(una);
    const b = new SackScoreboard();
    b.reset(una);
    expect(b.update([block(100, 400), block(500, 700)], una, nxt)).toBe(500);
    expect(block(500, 700)).toEqual({ start: 50, end: 250 });
    expect(b.isSacked(seq(300), seq(600))).toBe(false);
    expect(b.isSacked(seq(100), seq(400))).toBe(true);
    expect(b.isLost(seq(0), MSS)).toBe(true);
    expect(b.highestSacked).toBe(250);
    expect(b.nextSegment(una, nxt, una, MSS)).toEqual({ start: seq(0), end: seq(100), lost: true });
    expect(b.nextSegment(una, nxt, seq(100), MSS)).toEqual({
      start: seq(400), // 2^32 − 50: the hole spans the wrap
      end: seq(500),
      lost: false,
    });
    expect(b.pipe(una, nxt, una, MSS)).toBe(400);
    // The cumulative ACK crosses the wrap and passes the first range.
    expect(b.update([block(400, 500)], seq(450), nxt)).toBe(50);
    expect([b.sackedBytes, b.rangeCount]).toEqual([250, 1]);
    expect(b.isSacked(seq(450), seq(700))).toBe(true);
  });

  it('keeps at most maxBlocks ranges by forgetting the lowest', () => {
    const { seq, block, una, nxt } = scenario(2 ** 32 - 300);
    const b = new SackScoreboard({ maxBlocks: 3 });
    expect(b.maxBlocks).toBe(3);
    b.reset(una);
    b.update([block(100, 110), block(200, 220), block(300, 330)], una, nxt);
    expect([b.rangeCount, b.sackedBytes]).toEqual([3, 60]);
    b.update([block(400, 440)], una, nxt);
    expect([b.rangeCount, b.sackedBytes]).toEqual([3, 90]);
    expect(b.isSacked(seq(100), seq(110))).toBe(false);
    expect(b.isSacked(seq(400), seq(440))).toBe(true);
    // A new lowest range is the one forgotten.
    b.update([block(50, 60)], una, nxt);
    expect([b.rangeCount, b.sackedBytes]).toEqual([3, 90]);
    expect(b.isSacked(seq(50), seq(60))).toBe(false);
    // Merging never needs room.
    b.update([block(220, 300)], una, nxt);
    expect([b.rangeCount, b.sackedBytes]).toEqual([2, 170]);
    // A flood of disjoint blocks stays bounded.
    for (let i = 0; i < 50; i++) b.update([block(500 + 10 * i, 505 + 10 * i)], una, nxt);
    expect(b.rangeCount).toBe(3);
  });

  it('reset forgets everything; misuse throws EINVAL', () => {
    const { block, una, nxt } = scenario(7);
    const b = new SackScoreboard();
    b.reset(una);
    b.update([block(100, 200)], una, nxt);
    b.reset(una);
    expect([b.sackedBytes, b.rangeCount]).toEqual([0, 0]);
    expect(b.nextSegment(una, nxt, una, MSS)).toBeUndefined();
    expect(b.pipe(una, nxt, una, MSS)).toBe(1000);
    expect(code(() => new SackScoreboard({ maxBlocks: 0 }))).toBe('EINVAL');
    expect(code(() => b.isLost(una, 0))).toBe('EINVAL');
    expect(code(() => b.pipe(una, nxt, una, 1.5))).toBe('EINVAL');
  });

  it('agrees with a per-byte model, offsets across the wrap (model)', () => {
    // Half the blocks and probes sit on a 10-byte grid so that adjacent blocks and probes
    // at range edges are common.
    const blockArb = fc.oneof(
      fc.record({
        from: fc.integer({ min: -60, max: 460 }),
        len: fc.integer({ min: -20, max: 120 }),
      }),
      fc.record({
        from: fc.integer({ min: -6, max: 46 }).map((x) => 10 * x),
        len: fc.integer({ min: -1, max: 12 }).map((x) => 10 * x),
      }),
    );
    const step = fc.oneof(
      fc.record({ kind: fc.constant('send' as const), n: fc.nat(120) }),
      fc.record({ kind: fc.constant('ack' as const), n: fc.nat(150) }),
      fc.record({
        kind: fc.constant('sack' as const),
        blocks: fc.array(blockArb, { maxLength: 4 }),
      }),
      fc.record({ kind: fc.constant('retransmit' as const), n: fc.nat(200) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 2 ** 32 - 700, max: 2 ** 32 - 1 }),
        fc.integer({ min: 1, max: 150 }),
        fc.array(step, { maxLength: 30 }),
        fc.array(fc.record({ a: fc.integer({ min: -20, max: 500 }), n: fc.nat(120) }), {
          minLength: 4,
          maxLength: 4,
        }),
        (isn, mss, steps, probes) => {
          const seq = (p: number): number => (isn + p) >>> 0;
          const b = new SackScoreboard({ maxBlocks: 1000 });
          b.reset(seq(0));
          let una = 0;
          let nxt = 0;
          let highRxt = 0; // stream position, one past the last retransmitted byte
          const sacked = new Set<number>();
          const isSacked = (p: number): boolean => p >= una && sacked.has(p);
          const isLost = (p: number): boolean => {
            let bytes = 0;
            let runs = 0;
            for (let q = p + 1; q < nxt; q++) {
              if (!isSacked(q)) continue;
              bytes++;
              if (q === p + 1 || !isSacked(q - 1)) runs++;
            }
            return bytes > 2 * mss || runs >= 3;
          };
          for (const st of steps) {
            if (st.kind === 'send') nxt += st.n;
            else if (st.kind === 'ack') una = Math.min(nxt, una + st.n);
            else if (st.kind === 'retransmit') highRxt = Math.min(nxt, una + st.n);
            else {
              let newly = 0;
              for (const { from, len } of st.blocks) {
                const start = una + from;
                const end = start + len;
                if (len <= 0 || end <= una || end > nxt) continue;
                for (let p = Math.max(start, una); p < end; p++) {
                  if (!sacked.has(p)) newly++;
                  sacked.add(p);
                }
              }
              const blocks = st.blocks.map(({ from, len }) => ({
                start: seq(una + from),
                end: seq(una + from + len),
              }));
              expect(b.update(blocks, seq(una), seq(nxt))).toBe(newly);
            }
            const rxt = Math.max(highRxt, una);
            // sackedBytes, pipe (RFC 6675 SetPipe per byte) and NextSeg, by brute force.
            b.update([], seq(una), seq(nxt));
            let count = 0;
            let pipe = 0;
            let highest = -1;
            for (let p = una; p < nxt; p++) {
              if (isSacked(p)) {
                count++;
                highest = p;
                continue;
              }
              if (!isLost(p)) pipe++;
              if (p < rxt) pipe++;
            }
            expect(b.sackedBytes).toBe(count);
            expect(b.pipe(seq(una), seq(nxt), seq(rxt), mss)).toBe(pipe);
            expect(b.highestSacked).toBe(highest < 0 ? undefined : seq(highest + 1));
            let s = rxt;
            while (s < highest && isSacked(s)) s++;
            if (s >= highest) {
              expect(b.nextSegment(seq(una), seq(nxt), seq(rxt), mss)).toBeUndefined();
            } else {
              let e = s;
              while (e < s + mss && e < nxt && !isSacked(e)) e++;
              expect(b.nextSegment(seq(una), seq(nxt), seq(rxt), mss)).toEqual({
                start: seq(s),
                end: seq(e),
                lost: isLost(s),
              });
            }
            // IsLost on both sides of every range edge, where an off-by-one would show.
            for (let p = una + 1; p < nxt; p++) {
              if (isSacked(p) === isSacked(p - 1)) continue;
              expect(b.isLost(seq(p - 1), mss)).toBe(isLost(p - 1));
              expect(b.isLost(seq(p), mss)).toBe(isLost(p));
            }
            for (const { a, n } of probes) {
              const p = una + a;
              let all = n > 0;
              for (let q = p; q < p + n; q++) all &&= isSacked(q);
              expect(b.isSacked(seq(p), seq(p + n))).toBe(all);
              if (p >= una && p < nxt) expect(b.isLost(seq(p), mss)).toBe(isLost(p));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000); // fast-check runs; generous for a loaded shared machine
});
