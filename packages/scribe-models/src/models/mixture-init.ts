import { cpuBackend, type Key, key as makeKey, random, type Tensor, tensor, withBackend } from "@scribe/core";
import type { ModelConfig } from "./config.js";

/**
 * Data-driven starting point for mixture components. Mean-field factors otherwise start all
 * components at the same prior values, and small jitter rarely separates cell types; here
 * cells are clustered once by k-means++ on log1p of depth-normalized counts (seeded, so fits
 * stay reproducible), and each component's gene parameter starts at its cluster's means.
 */

export interface ComponentInit {
  /** Unconstrained (log-scale) location of the gene parameter, [K, G]. */
  readonly geneLoc: Tensor;
  /** Component each cell started in (for diagnostics and tests); −1: an unlabelled cell left out of a labelled component's start. */
  readonly labels: Int32Array;
}

/** k-means++ seeding then Lloyd iterations on the rows of `x` (n × d, row-major). */
export async function kMeans(
  x: Float64Array,
  n: number,
  d: number,
  k: number,
  rngKey: Key,
  iterations = 25,
): Promise<Int32Array> {
  // the draws on the cpu, whatever the current backend: the rest is host arithmetic
  const draws = withBackend(cpuBackend(), () => random.uniform(rngKey, [k + 1], 0, 1, { dtype: "float64" }));
  const u = (await draws.data()) as ArrayLike<number>;
  const centers = new Float64Array(k * d);
  const dist = new Float64Array(n).fill(Infinity);
  const dist2 = (i: number, c: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = x[i * d + j]! - centers[c * d + j]!;
      s += t * t;
    }
    return s;
  };
  let first = Math.min(n - 1, Math.floor(u[0]! * n));
  for (let c = 0; c < k; c++) {
    if (c > 0) {
      // next center with probability proportional to the squared distance (k-means++)
      let total = 0;
      for (let i = 0; i < n; i++) total += dist[i]!;
      let target = u[c]! * total;
      first = n - 1;
      for (let i = 0; i < n; i++) {
        target -= dist[i]!;
        if (target <= 0) {
          first = i;
          break;
        }
      }
    }
    centers.set(x.subarray(first * d, first * d + d), c * d);
    for (let i = 0; i < n; i++) dist[i] = Math.min(dist[i]!, dist2(i, c));
  }
  const labels = new Int32Array(n);
  for (let it = 0; it < iterations; it++) {
    let moved = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bd = Infinity;
      for (let c = 0; c < k; c++) {
        const dd = dist2(i, c);
        if (dd < bd) {
          bd = dd;
          best = c;
        }
      }
      if (labels[i] !== best || it === 0) moved++;
      labels[i] = best;
    }
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let j = 0; j < d; j++) sums[c * d + j]! += x[i * d + j]!;
    }
    for (let c = 0; c < k; c++)
      if (counts[c]! > 0) for (let j = 0; j < d; j++) centers[c * d + j] = sums[c * d + j]! / counts[c]!;
    if (moved === 0) break;
  }
  return labels;
}

/**
 * Component starting values for a mixture fit of `counts` [C, G]: cells clustered on the
 * `maxGenes` highest-variance genes of log1p(CP10K), then per component the log of the
 * cluster's mean count (times 2 for capture models, whose capture factor starts near ½).
 *
 * With annotation labels (`cellComponents`: the component of each labelled cell, −1 for
 * unlabelled ones) a component that has labelled cells starts at their mean instead: the
 * annotation prior ties component k to label k, so a start from an unordered k-means cluster
 * would put another cell type's profile under that label and the fit may never swap it back.
 *
 * Everything runs on the host or on the cpu backend, whatever the current backend is: the one
 * await reads `counts` (any backend), and the result lives on the cpu.
 */
export async function componentInit(
  cfg: Pick<ModelConfig, "nComponents" | "variableCapture">,
  counts: Tensor,
  seed: number,
  maxGenes = 200,
  cellComponents: Int32Array | null = null,
): Promise<ComponentInit> {
  const [C, G] = counts.shape as [number, number];
  const K = cfg.nComponents;
  // one readback of the counts, before the fit (a coarse boundary)
  const y = (await counts.data()) as ArrayLike<number>;
  const totals = new Float64Array(C);
  for (let c = 0; c < C; c++) for (let g = 0; g < G; g++) totals[c]! += y[c * G + g]!;
  const norm = new Float64Array(C * G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) norm[c * G + g] = Math.log1p((1e4 * y[c * G + g]!) / Math.max(totals[c]!, 1));
  const variance = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let s = 0;
    let s2 = 0;
    for (let c = 0; c < C; c++) {
      const v = norm[c * G + g]!;
      s += v;
      s2 += v * v;
    }
    variance[g] = s2 / C - (s / C) ** 2;
  }
  const genes = Array.from({ length: G }, (_, g) => g)
    .sort((a, b) => variance[b]! - variance[a]!)
    .slice(0, Math.min(maxGenes, G));
  const d = genes.length;
  const features = new Float64Array(C * d);
  for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) features[c * d + j] = norm[c * G + genes[j]!]!;
  const labels = await kMeans(features, C, d, K, makeKey(seed + 7919));
  if (cellComponents) {
    if (cellComponents.length !== C)
      throw new Error(`componentInit: ${cellComponents.length} cell labels for ${C} cells`);
    const labelled = new Set<number>();
    for (const k of cellComponents) if (k >= 0) labelled.add(k);
    // labelled cells go to their component; unlabelled ones keep their cluster unless it
    // is a labelled component (those start from their labelled cells only)
    for (let c = 0; c < C; c++) {
      const k = cellComponents[c]!;
      if (k >= K) throw new Error(`componentInit: cell ${c} is labelled component ${k} of ${K}`);
      if (k >= 0) labels[c] = k;
      else if (labelled.has(labels[c]!)) labels[c] = -1;
    }
  }
  const means = new Float64Array(K * G);
  const sizes = new Float64Array(K);
  for (let c = 0; c < C; c++) {
    const k = labels[c]!;
    if (k < 0) continue;
    sizes[k]!++;
    for (let g = 0; g < G; g++) means[k * G + g]! += y[c * G + g]!;
  }
  const factor = cfg.variableCapture ? 2 : 1;
  const geneLoc = new Float64Array(K * G);
  for (let k = 0; k < K; k++)
    for (let g = 0; g < G; g++)
      geneLoc[k * G + g] = Math.log((factor * means[k * G + g]!) / Math.max(sizes[k]!, 1) + 1e-2);
  // created after the awaits above, so on the cpu explicitly (a caller's `withBackend` has
  // already been left by then); the fit moves it to its backend
  const loc = withBackend(cpuBackend(), () => tensor(Float32Array.from(geneLoc), { shape: [K, G] }));
  return { geneLoc: loc, labels };
}
