/**
 * State × segment type, table-driven (RFC 9293 §3.10.7.4 with RFC 5961 and RFC 6191):
 * every synchronized state meets the same crafted segments at the window edges.
 */
import { seqAdd, type TcpConnection, TcpFlags, type TcpState } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { type Capture, passive } from './tcp-core-harness.js';

const { FIN, SYN, RST, ACK } = TcpFlags;

interface Reached {
  readonly cap: Capture;
  readonly conn: TcpConnection;
  /** RCV.NXT and SND.NXT of the connection under test. */
  readonly rcvNxt: number;
  readonly sndNxt: number;
}

/** Drives a fresh connection into `state` with crafted peer segments. */
async function reach(state: TcpState): Promise<Reached> {
  const { cap, conn, irs, iss } = await passive();
  let rcvNxt = seqAdd(irs, 1);
  let sndNxt = seqAdd(iss, 1);
  const peerFin = (ackOurFin: boolean): void => {
    cap.inject({
      flags: ACK | FIN,
      sequenceNumber: rcvNxt,
      acknowledgmentNumber: ackOurFin ? sndNxt : seqAdd(sndNxt, -1),
    });
    rcvNxt = seqAdd(rcvNxt, 1);
  };
  switch (state) {
    case 'established':
      break;
    case 'fin-wait-1':
      void conn.end();
      sndNxt = seqAdd(sndNxt, 1);
      break;
    case 'fin-wait-2':
      void conn.end();
      sndNxt = seqAdd(sndNxt, 1);
      cap.inject({ flags: ACK, sequenceNumber: rcvNxt, acknowledgmentNumber: sndNxt });
      break;
    case 'close-wait':
      peerFin(true);
      break;
    case 'closing':
      void conn.end();
      sndNxt = seqAdd(sndNxt, 1);
      peerFin(false);
      break;
    case 'last-ack':
      peerFin(true);
      void conn.end();
      sndNxt = seqAdd(sndNxt, 1);
      break;
    case 'time-wait':
      void conn.end();
      sndNxt = seqAdd(sndNxt, 1);
      peerFin(true);
      break;
    default:
      throw new Error(state);
  }
  expect(conn.state).toBe(state);
  cap.take();
  return { cap, conn, rcvNxt, sndNxt };
}

type Outcome = 'none' | 'ack' | 'syn-ack' | 'rst';
interface Row {
  readonly name: string;
  readonly segment: (r: Reached) => {
    flags: number;
    sequenceNumber: number;
    acknowledgmentNumber?: number;
    payload?: Uint8Array;
  };
  /** Expected reply and state after, per state. */
  readonly expect: (state: TcpState) => [Outcome, TcpState | 'same'];
}

const synchronized: TcpState[] = [
  'established',
  'fin-wait-1',
  'fin-wait-2',
  'close-wait',
  'closing',
  'last-ack',
  'time-wait',
];

const rows: Row[] = [
  {
    name: 'exact RST (SEG.SEQ = RCV.NXT)',
    segment: (r) => ({ flags: RST, sequenceNumber: r.rcvNxt }),
    expect: () => ['none', 'closed'],
  },
  {
    name: 'in-window inexact RST → challenge ACK',
    segment: (r) => ({ flags: RST, sequenceNumber: seqAdd(r.rcvNxt, 1) }),
    expect: () => ['ack', 'same'],
  },
  {
    name: 'RST outside the window → dropped',
    segment: (r) => ({ flags: RST, sequenceNumber: seqAdd(r.rcvNxt, 100_000) }),
    expect: () => ['none', 'same'],
  },
  {
    name: 'RST just below RCV.NXT → dropped',
    segment: (r) => ({ flags: RST, sequenceNumber: seqAdd(r.rcvNxt, -1) }),
    expect: () => ['none', 'same'],
  },
  {
    name: 'SYN in window → challenge ACK (TIME-WAIT: RFC 6191 reuse)',
    segment: (r) => ({ flags: SYN, sequenceNumber: seqAdd(r.rcvNxt, 1) }),
    expect: (s) => (s === 'time-wait' ? ['syn-ack', 'closed'] : ['ack', 'same']),
  },
  {
    name: 'old duplicate data (ends at RCV.NXT − 1) → ACK',
    segment: (r) => ({
      flags: ACK,
      sequenceNumber: seqAdd(r.rcvNxt, -1),
      acknowledgmentNumber: r.sndNxt,
      payload: new Uint8Array(1),
    }),
    expect: () => ['ack', 'same'],
  },
  {
    name: 'empty ACK one past the window → ACK',
    segment: (r) => ({
      flags: ACK,
      sequenceNumber: seqAdd(r.rcvNxt, 65535),
      acknowledgmentNumber: r.sndNxt,
    }),
    expect: () => ['ack', 'same'],
  },
  {
    name: 'empty ACK at the last window byte, acknowledging our FIN → processed',
    segment: (r) => ({
      flags: ACK,
      sequenceNumber: seqAdd(r.rcvNxt, 65534),
      acknowledgmentNumber: r.sndNxt,
    }),
    expect: (s) => {
      if (s === 'fin-wait-1') return ['none', 'fin-wait-2'];
      if (s === 'closing') return ['none', 'time-wait'];
      if (s === 'last-ack') return ['none', 'closed'];
      return ['none', 'same'];
    },
  },
  {
    name: 'ACK for data never sent → challenge ACK (RFC 5961 §5.2)',
    segment: (r) => ({
      flags: ACK,
      sequenceNumber: r.rcvNxt,
      acknowledgmentNumber: seqAdd(r.sndNxt, 10),
    }),
    expect: () => ['ack', 'same'],
  },
  {
    name: 'segment without ACK bit → dropped',
    segment: (r) => ({ flags: 0, sequenceNumber: r.rcvNxt, payload: new Uint8Array(1) }),
    expect: () => ['none', 'same'],
  },
];

describe('state × segment table', () => {
  for (const row of rows) {
    it(row.name, async () => {
      for (const state of synchronized) {
        const reached = await reach(state);
        const { cap, conn } = reached;
        const segment = row.segment(reached);
        cap.inject(segment);
        const replies = cap.take();
        const [outcome, after] = row.expect(state);
        const got: Outcome =
          replies.length === 0
            ? 'none'
            : replies[0]!.repr.flags === (SYN | ACK)
              ? 'syn-ack'
              : (replies[0]!.repr.flags & RST) !== 0
                ? 'rst'
                : 'ack';
        expect(got, `${state}: reply`).toBe(outcome);
        if (outcome === 'ack') {
          expect(replies[0]!.repr.sequenceNumber, `${state}: <SEQ=SND.NXT>`).toBe(reached.sndNxt);
          expect(replies[0]!.repr.acknowledgmentNumber, `${state}: <ACK=RCV.NXT>`).toBe(
            reached.rcvNxt,
          );
        }
        expect(conn.state, `${state}: state after`).toBe(after === 'same' ? state : after);
      }
    });
  }

  it('an exact RST reports ECONNRESET where the user can still be told, a clean close otherwise', async () => {
    for (const state of synchronized) {
      const { cap, conn, rcvNxt } = await reach(state);
      cap.inject({ flags: RST, sequenceNumber: rcvNxt });
      if (state === 'closing' || state === 'last-ack' || state === 'time-wait') {
        await expect(conn.closed, state).resolves.toBeUndefined();
      } else {
        await expect(conn.closed, state).rejects.toMatchObject({ code: 'ECONNRESET' });
      }
    }
  });
});
