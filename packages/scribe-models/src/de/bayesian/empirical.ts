/**
 * The empirical method (SCRIBE `scribe.de`): compositions per posterior draw on each side, the
 * chosen log-ratio coordinates, and Δ = lr(ρ_A) − lr(ρ_B) paired by draw index, streamed in
 * batches of draws so that memory stays at a few [batch, genes] arrays (plus the Δ draws when
 * kept). IQLR takes a first pass for the pooled CLR variances (same keys, same draws).
 * @module
 */
import { foldIn, type Key, key as makeKey } from "@scribe/core";
import {
  type CompositionOptions,
  type GeneSelection,
  logCompositions,
  resolveComponent,
  resolveGeneMask,
} from "./compositions.js";
import { checkTau, EmpiricalPosterior } from "./delta-posterior.js";
import type { DrawSource } from "./draw-source.js";
import { GammaStream } from "./gamma-stream.js";
import { LogRatioPlan, type Reference, resolveReference } from "./log-ratio.js";

/** Options of the empirical method. */
export interface EmpiricalOptions {
  /** Posterior draws per side (default 1000; MCMC results: at most the stored draws). */
  nSamples?: number;
  /** Draws per batch (default about 4·10⁶ / genes, at least 1). */
  batchSize?: number;
  /** Seed or key (default 42). */
  seed?: number | Key;
  /** Dirichlet (composition) draws per posterior draw (default 1). */
  nSamplesDirichlet?: number;
  /** Side A's component choice. */
  componentA?: CompositionOptions["component"];
  /** Side B's component choice. */
  componentB?: CompositionOptions["component"];
  /** Average component simplices with the mixing weights, on both sides (default false). */
  mixtureWeighted?: boolean;
  /** Genes to keep (booleans or names); the others are pooled into an "other" part. */
  geneMask?: readonly boolean[] | readonly string[] | null;
  /** Log-ratio coordinates (default "clr"). */
  reference?: Reference;
  /** ALR: the reference gene (name or kept-gene index; default the last kept gene). */
  alrReference?: string | number;
  /** τ value(s) whose tail probabilities are counted in the pass (default [0]). */
  tau?: number | readonly number[];
  /** Keep all Δ draws (float32) for later τ and gene-set tests: true, false, or "auto" (default: when draws × coordinates ≤ 10⁷). */
  keepDraws?: boolean | "auto";
}

interface SideCtx {
  src: DrawSource;
  component: number | null;
  key: Key;
}

/** Check that both sides have the same genes in the same order. */
export function checkSameGenes(a: readonly string[], b: readonly string[], labels = ["A", "B"]): void {
  if (a.length !== b.length)
    throw new Error(
      `${labels[0]} has ${a.length} genes and ${labels[1]} has ${b.length}; both must be fitted on the same genes`,
    );
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i])
      throw new Error(
        `${labels[0]} and ${labels[1]} differ at gene ${i}: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}; both must be fitted on the same genes in the same order`,
      );
}

/** Number of draws and batch layout shared by the passes. */
function drawPlan(a: DrawSource, b: DrawSource, opts: EmpiricalOptions) {
  const S = opts.nSamples ?? Math.min(1000, a.nStored ?? 1000, b.nStored ?? 1000);
  if (!Number.isInteger(S) || S < 2) throw new Error(`nSamples must be an integer ≥ 2, got ${S}`);
  for (const [src, side] of [
    [a, "A"],
    [b, "B"],
  ] as const)
    if (src.nStored !== null && S > src.nStored)
      throw new Error(`nSamples ${S} exceeds the ${src.nStored} stored draws of ${side}`);
  const batch = opts.batchSize ?? Math.max(1, Math.floor(4e6 / a.genes.length));
  if (!Number.isInteger(batch) || batch < 1)
    throw new Error(`batchSize must be a positive integer, got ${batch}`);
  const nDir = opts.nSamplesDirichlet ?? 1;
  if (!Number.isInteger(nDir) || nDir < 1)
    throw new Error(`nSamplesDirichlet must be a positive integer, got ${nDir}`);
  return { S, batch: Math.min(batch, S), nDir };
}

/**
 * Run `cb` on the paired log-composition rows of every batch: `la`, `lb` are [m, D] with
 * m = draws in the batch × nSamplesDirichlet.
 */
async function forEachBatch(
  A: SideCtx,
  B: SideCtx,
  sel: GeneSelection,
  plan: { S: number; batch: number; nDir: number },
  cb: (la: Float64Array, lb: Float64Array, m: number) => void,
): Promise<void> {
  const G = A.src.genes.length;
  const D = sel.keep.length + (sel.pooled.length > 0 ? 1 : 0);
  const rows = plan.batch * plan.nDir;
  const la = new Float64Array(rows * D);
  const lb = new Float64Array(rows * D);
  const lamA = new Float64Array(G * (A.component === null ? A.src.nComponents : 1));
  const lamB = new Float64Array(G * (B.component === null ? B.src.nComponents : 1));
  for (let start = 0, bi = 0; start < plan.S; start += plan.batch, bi++) {
    const n = Math.min(plan.batch, plan.S - start);
    for (const [side, out, lam] of [
      [A, la, lamA],
      [B, lb, lamB],
    ] as const) {
      const kb = foldIn(side.key, bi);
      const batch = await side.src.batch(start, n, foldIn(kb, 0));
      logCompositions(
        batch,
        side.src.nComponents,
        G,
        side.component,
        sel,
        plan.nDir,
        new GammaStream(foldIn(kb, 1)),
        out,
        lam,
      );
    }
    cb(la, lb, n * plan.nDir);
  }
}

/**
 * Compare two draw sources by the empirical method.
 * @example
 * const post = await empiricalDelta(resultsSource(resA), resultsSource(resB), { reference: "clr", tau: [0, Math.log(1.5)] });
 */
export async function empiricalDelta(
  a: DrawSource,
  b: DrawSource,
  opts: EmpiricalOptions = {},
): Promise<EmpiricalPosterior> {
  checkSameGenes(a.genes, b.genes);
  const sel = resolveGeneMask(a.genes, opts.geneMask);
  const seed = opts.seed ?? 42;
  const k = typeof seed === "number" ? makeKey(seed) : seed;
  const A: SideCtx = {
    src: a,
    component: resolveComponent(
      a,
      { component: opts.componentA, mixtureWeighted: opts.mixtureWeighted },
      "A",
    ),
    key: foldIn(k, 1),
  };
  const B: SideCtx = {
    src: b,
    component: resolveComponent(
      b,
      { component: opts.componentB, mixtureWeighted: opts.mixtureWeighted },
      "B",
    ),
    key: foldIn(k, 2),
  };
  const dp = drawPlan(a, b, opts);
  const hasOther = sel.pooled.length > 0;
  const D = sel.keep.length + (hasOther ? 1 : 0);
  const ref = opts.reference ?? "clr";
  const iqlr = ref === "iqlr" ? await pooledClrVariance(A, B, sel, dp) : null;
  const plan = resolveReference(sel.names, hasOther, ref, opts.alrReference, iqlr ? () => iqlr : null);

  // τ = 0 is counted by nPos / nNeg; the loop counts the others
  const asked = typeof opts.tau === "number" ? [opts.tau] : [...(opts.tau ?? [])];
  asked.forEach(checkTau);
  const taus = [...new Set(asked.filter((t) => t > 0))];
  const m = plan.nOut;
  const total = dp.S * dp.nDir;
  const keep = opts.keepDraws ?? "auto";
  const draws = keep === true || (keep === "auto" && total * m <= 1e7) ? new Float32Array(total * m) : null;
  const shift = new Float64Array(m);
  const sum = new Float64Array(m);
  const sumSq = new Float64Array(m);
  const nPos = new Float64Array(m);
  const nNeg = new Float64Array(m);
  const tailUp = taus.map(() => new Float64Array(m));
  const tailDown = taus.map(() => new Float64Array(m));
  const ya = new Float64Array(m);
  const yb = new Float64Array(m);
  let seen = 0;
  await forEachBatch(A, B, sel, dp, (la, lb, rows) => {
    for (let s = 0; s < rows; s++) {
      const o = s * D;
      if (plan.kind === "clr") {
        // Δ_j = (la_j − mean la) − (lb_j − mean lb) in one pass over the row pair
        let ma = 0;
        let mb = 0;
        for (let j = 0; j < D; j++) {
          ma += la[o + j]!;
          mb += lb[o + j]!;
        }
        const off = (ma - mb) / D;
        for (let j = 0; j < m; j++) ya[j] = la[o + j]! - lb[o + j]! - off;
      } else {
        plan.apply(la.subarray(o, o + D), ya);
        plan.apply(lb.subarray(o, o + D), yb);
        for (let j = 0; j < m; j++) ya[j] = ya[j]! - yb[j]!;
      }
      if (seen === 0) for (let j = 0; j < m; j++) shift[j] = ya[j]!;
      for (let j = 0; j < m; j++) {
        const d = ya[j]!;
        const c = d - shift[j]!;
        sum[j]! += c;
        sumSq[j]! += c * c;
        if (d > 0) nPos[j]!++;
        else if (d < 0) nNeg[j]!++;
        for (let t = 0; t < taus.length; t++) {
          if (d > taus[t]!) tailUp[t]![j]!++;
          else if (d < -taus[t]!) tailDown[t]![j]!++;
        }
        if (draws) draws[seen * m + j] = d;
      }
      seen++;
    }
  });
  const mean = new Float64Array(m);
  const sd = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const mc = sum[j]! / seen;
    mean[j] = shift[j]! + mc;
    sd[j] = Math.sqrt(Math.max(0, (sumSq[j]! - seen * mc * mc) / (seen - 1)));
  }
  const tailCounts = new Map(taus.map((t, i) => [t, { up: tailUp[i]!, down: tailDown[i]! }]));
  tailCounts.set(0, { up: nPos, down: nNeg });
  return new EmpiricalPosterior({
    names: plan.names,
    nDraws: seen,
    mean,
    sd,
    nPositive: nPos,
    nNegative: nNeg,
    tailCounts,
    draws,
  });
}

/** Variance of each kept gene's CLR value over all draws of both sides (IQLR's first pass). */
async function pooledClrVariance(
  A: SideCtx,
  B: SideCtx,
  sel: GeneSelection,
  dp: { S: number; batch: number; nDir: number },
): Promise<Float64Array> {
  const clr = new LogRatioPlan(sel.names, sel.pooled.length > 0, "clr");
  const m = clr.nOut;
  const D = sel.keep.length + (sel.pooled.length > 0 ? 1 : 0);
  const sum = new Float64Array(m);
  const sumSq = new Float64Array(m);
  const y = new Float64Array(m);
  let n = 0;
  await forEachBatch(A, B, sel, dp, (la, lb, rows) => {
    for (const l of [la, lb])
      for (let s = 0; s < rows; s++) {
        clr.apply(l.subarray(s * D, (s + 1) * D), y);
        for (let j = 0; j < m; j++) {
          sum[j]! += y[j]!;
          sumSq[j]! += y[j]! * y[j]!;
        }
        n++;
      }
  });
  return sum.map((s, j) => (sumSq[j]! - (s * s) / n) / (n - 1));
}
