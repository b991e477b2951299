/**
 * All 120 orderings of five data segments (the last with FIN), across the 2^32 wrap,
 * produce the same byte stream (RELIABILITY: "all orderings of a few segments").
 */
import { seqAdd, TcpFlags, type TcpStream } from '@libos/net';
import { describe, expect, it } from 'vitest';
import { Capture, firstDifference, pattern } from './tcp-core-harness.js';

const { SYN, ACK, FIN } = TcpFlags;

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  const out: T[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)]))
      out.push([item, ...rest]);
  });
  return out;
}

async function readToEnd(conn: TcpStream): Promise<Uint8Array> {
  const parts: number[] = [];
  for (let chunk = await conn.read(); chunk; chunk = await conn.read()) parts.push(...chunk);
  return new Uint8Array(parts);
}

describe('reordering', () => {
  it('every one of the 120 orderings of five segments yields the same stream', async () => {
    const data = pattern(5 * 300, 9);
    const orders = permutations([0, 1, 2, 3, 4]);
    expect(orders).toHaveLength(120);
    const irs = 0xffff_fd00; // the stream crosses 2^32 in segment 3
    for (const order of orders) {
      const cap = new Capture();
      const listener = cap.layer.listen({ port: 80 });
      cap.inject({ flags: SYN, sequenceNumber: irs, options: { mss: 1460, sackPermitted: true } });
      const iss = cap.take()[0]!.repr.sequenceNumber;
      const ack = seqAdd(iss, 1);
      cap.inject({ flags: ACK, sequenceNumber: seqAdd(irs, 1), acknowledgmentNumber: ack });
      const conn = await listener.accept();
      for (const i of order) {
        cap.inject({
          flags: ACK | (i === 4 ? FIN : 0),
          sequenceNumber: seqAdd(irs, 1 + 300 * i),
          acknowledgmentNumber: ack,
          payload: data.subarray(300 * i, 300 * (i + 1)),
        });
      }
      const received = await readToEnd(conn);
      expect(firstDifference(received, data), `order ${order.join('')}`).toBe(-1);
      expect(conn.state).toBe('close-wait');
      // The final ACK covers all data and the FIN.
      expect(cap.take().at(-1)?.repr.acknowledgmentNumber).toBe(seqAdd(irs, 1 + 1500 + 1));
    }
  });
});
