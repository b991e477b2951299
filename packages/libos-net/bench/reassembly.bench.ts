/**
 * NET-reassembly: IPv4 fragment reassembly throughput with {@link Ipv4Reassembler}, against
 * the floor any reassembly must pay — allocating one buffer and copying the same fragments
 * into it with `Uint8Array.set`.
 */
import { Ipv4Reassembler } from '@libos/net';
import type { Comparison } from '../../../bench/harness.js';

const DATAGRAM = 8192;
const FRAGMENTS = 6;
/** Largest multiple of 8 that splits 8 KiB into 6 fragments (the last one shorter). */
const FRAGMENT = Math.ceil(DATAGRAM / FRAGMENTS / 8) * 8;
const DATAGRAMS = 2048;

const payload = Uint8Array.from({ length: DATAGRAM }, (_, i) => (i * 7) & 0xff);
interface Piece {
  readonly offset: number;
  readonly more: boolean;
  readonly data: Uint8Array;
}
const inOrder: Piece[] = [];
for (let offset = 0; offset < DATAGRAM; offset += FRAGMENT) {
  const end = Math.min(offset + FRAGMENT, DATAGRAM);
  inOrder.push({ offset, more: end < DATAGRAM, data: payload.subarray(offset, end) });
}
const reversed = [...inOrder].reverse();

let sink = 0;

function reassemble(pieces: readonly Piece[]): void {
  const r = new Ipv4Reassembler();
  const key = { source: 0x0a000202, destination: 0x0a00020f, protocol: 17, identification: 0 };
  let s = 0;
  for (let id = 0; id < DATAGRAMS; id++) {
    const k = { ...key, identification: id & 0xffff };
    let out: unknown;
    for (const p of pieces) out = r.insert(k, p.offset, p.more, p.data, id);
    if (!(out instanceof Uint8Array)) throw new Error('reassembly did not complete');
    s += out[out.length - 1]!;
  }
  sink += s;
}

function copyBaseline(pieces: readonly Piece[]): void {
  let s = 0;
  for (let id = 0; id < DATAGRAMS; id++) {
    const out = new Uint8Array(DATAGRAM);
    for (const p of pieces) out.set(p.data, p.offset);
    s += out[out.length - 1]!;
  }
  sink += s;
}

function comparison(id: string, order: string, pieces: readonly Piece[]): Comparison {
  return {
    id,
    title: `IPv4 reassembly of 8 KiB datagrams in ${FRAGMENTS} fragments, ${order}`,
    conditions: `${DATAGRAMS} datagrams of ${DATAGRAM} B, fragments of ${FRAGMENT} B (last ${DATAGRAM - FRAGMENT * (FRAGMENTS - 1)} B), ${order}; baseline allocates one ${DATAGRAM} B buffer per datagram and Uint8Array.set()s the same fragments`,
    subject: { name: 'Ipv4Reassembler.insert', ops: DATAGRAMS, run: () => reassemble(pieces) },
    baseline: { name: 'new Uint8Array + set', ops: DATAGRAMS, run: () => copyBaseline(pieces) },
    goal: 0.5,
    floor: 0.25,
  };
}

export const comparisons: Comparison[] = [
  comparison('NET-reassembly', 'in order', inOrder),
  comparison('NET-reassembly-reversed', 'reversed', reversed),
];

/** Keeps the results observable so no loop is optimised away. */
export function benchSink(): number {
  return sink;
}
