/**
 * Walking a cluster chain with every step validated (like a virtqueue descriptor chain):
 * the walk is bounded by the cluster count, so a loop ends in `chain-loop` instead of a
 * hang; numbers outside the volume end in `out-of-range`; a free or bad entry inside a
 * chain ends in `broken-chain`.
 */
import type { FatTable } from './fat-table.js';

/**
 * The outcome of {@link walkChain}: the clusters, or what is wrong with the chain.
 *
 * @example
 * ```ts
 * import type { ChainWalk } from '@libos/fs';
 * const length = (w: ChainWalk) => (w.ok ? w.clusters.length : -1);
 * ```
 */
export type ChainWalk =
  | {
      /** The chain is sound. */
      readonly ok: true;
      /** Its clusters, in order. */
      readonly clusters: number[];
    }
  | {
      /** The chain is damaged. */
      readonly ok: false;
      /** How. */
      readonly problem: 'chain-loop' | 'out-of-range' | 'broken-chain' | 'size-mismatch';
      /** The cluster where the problem showed. */
      readonly at: number;
      /** Clusters walked before the problem. */
      readonly clusters: number[];
    };

/**
 * Follows the chain from `first` to its end-of-chain mark.
 *
 * @param fat The table.
 * @param first The first cluster (≥ 2).
 * @param limit Stop with `size-mismatch` once more than this many clusters were seen
 *   (pass the count the file size implies); defaults to the cluster count.
 * @example
 * ```ts
 * import { walkChain } from '@libos/fs';
 * const walk = walkChain(fat, 2);
 * if (!walk.ok) console.log(walk.problem, walk.at);
 * ```
 */
export function walkChain(fat: FatTable, first: number, limit?: number): ChainWalk {
  const clusters: number[] = [];
  if (first < 2 || first > fat.maxCluster)
    return { ok: false, problem: 'out-of-range', at: first, clusters };
  const bound = fat.clusterCount;
  const maxCluster = fat.maxCluster;
  let c = first;
  for (;;) {
    clusters.push(c);
    if (clusters.length > bound) return { ok: false, problem: 'chain-loop', at: c, clusters };
    if (limit !== undefined && clusters.length > limit) {
      return { ok: false, problem: 'size-mismatch', at: c, clusters };
    }
    const next = fat.get(c);
    // Fast path: a link to another data cluster (fatgen103: 2..max cluster).
    if (next >= 2 && next <= maxCluster) {
      c = next;
      continue;
    }
    const kind = fat.kind(next);
    if (kind === 'end') return { ok: true, clusters };
    if (kind === 'free' || kind === 'bad')
      return { ok: false, problem: 'broken-chain', at: c, clusters };
    if (kind === 'reserved') return { ok: false, problem: 'out-of-range', at: c, clusters };
    c = next;
  }
}
