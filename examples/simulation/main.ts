/**
 * `node --conditions=libos-source --import tsx examples/simulation/main.ts [--seed N] [--clients N] [--loss P] [--pcap out.pcap]`
 *
 * Runs several libos unikernels on a simulated lossy network under virtual time and
 * prints what each client measured and the SHA-256 of the server link's capture: run
 * it twice with the same seed and the digest is the same; open the pcap in Wireshark.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { simulate } from './simulate.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    clients: { type: 'string', default: '3' },
    loss: { type: 'string', default: '0.02' },
    pcap: { type: 'string' },
  },
});
const seed = Number(values.seed);
const clients = Number(values.clients);
const loss = Number(values.loss);
if (
  !Number.isSafeInteger(seed) ||
  !Number.isSafeInteger(clients) ||
  clients < 1 ||
  !(loss >= 0 && loss < 1)
) {
  console.error(
    'simulation: --seed and --clients take integers (clients ≥ 1), --loss a probability in [0, 1)',
  );
  process.exit(2);
}

const chunks: Uint8Array[] = [];
const wall = performance.now();
const result = await simulate({ seed, clients, loss, pcap: (c) => chunks.push(c.slice()) });
const capture = Buffer.concat(chunks);
for (const c of result.clients) {
  console.log(
    `client ${c.address}: ${c.bytes} bytes in ${(c.micros / 1000).toFixed(1)} ms virtual, ${c.retransmits} retransmissions`,
  );
}
console.log(
  `server retransmissions ${result.serverRetransmits}, frames dropped ${result.framesDropped}, virtual time ${(result.endMicros / 1000).toFixed(1)} ms, wall ${(performance.now() - wall).toFixed(0)} ms`,
);
console.log(
  `capture: ${capture.length} bytes, sha256 ${createHash('sha256').update(capture).digest('hex')} (seed ${seed})`,
);
if (values.pcap !== undefined) {
  await writeFile(values.pcap, capture);
  console.log(`wrote ${values.pcap}`);
}
