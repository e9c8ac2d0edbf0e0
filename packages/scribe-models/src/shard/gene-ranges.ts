/**
 * Gene ranges of a sharded run: genes 0 … G − 1 cut into N contiguous, near-equal shards.
 * @module
 */

/** One shard: genes `start` to `end − 1`. */
export interface GeneRange {
  /** Shard number, 0 … N − 1. */
  index: number;
  /** First gene. */
  start: number;
  /** One past the last gene. */
  end: number;
}

/**
 * Cut `nGenes` genes into `nShards` contiguous ranges whose sizes differ by at most one
 * (the first `nGenes mod nShards` shards get the extra gene). Throws when a shard would be
 * empty or an argument is not a positive integer.
 * @example
 * ```ts
 * geneRanges(10, 3); // [{index 0, 0–4}, {index 1, 4–7}, {index 2, 7–10}]
 * ```
 */
export function geneRanges(nGenes: number, nShards: number): GeneRange[] {
  if (!Number.isInteger(nShards) || nShards < 1)
    throw new Error(`geneRanges: the number of shards must be a positive integer, got ${nShards}`);
  if (!Number.isInteger(nGenes) || nGenes < nShards)
    throw new Error(`geneRanges: ${nGenes} genes cannot be cut into ${nShards} non-empty shards`);
  const base = Math.floor(nGenes / nShards);
  const extra = nGenes % nShards;
  const out: GeneRange[] = [];
  let start = 0;
  for (let k = 0; k < nShards; k++) {
    const end = start + base + (k < extra ? 1 : 0);
    out.push({ index: k, start, end });
    start = end;
  }
  return out;
}
