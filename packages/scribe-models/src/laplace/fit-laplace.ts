/**
 * Laplace-EM for the latent-Gaussian count models PLN, NBLN, LNM and LNMVCP
 * (SCRIBE Laplace-EM; upstream `src/scribe/laplace`): per cell a latent
 * x_c ~ N(μ, W Wᵀ + diag(d)) (log rates, or ALR coordinates of the composition); the E-step
 * finds each cell's posterior mode by Newton (`newton.ts`), the M-step takes one Adam step on
 * the globals (μ, W, log d, NBLN's log r) against the Laplace approximation of the marginal
 * likelihood, log-determinant correction included, with the modes held fixed (the usual
 * Laplace-EM simplification: the modes' own dependence on the globals is not differentiated).
 * Cells are batched as tensors; the only readbacks are the Newton status once per outer step
 * and the losses once per progress update.
 * @module
 */
import {
  concat,
  cpuBackend,
  currentBackend,
  dispose,
  fromTypedArray,
  keep,
  scope,
  specialScalar,
  type Tensor,
  useBackend,
  valueAndGrad,
} from "@scribe/core";
import { Adam, type OptimizerState } from "@scribe/infer";
import type { AnnData } from "../io/anndata.js";
import { toDense } from "../io/matrix.js";
import { validateCounts } from "../io/validate.js";
import type { PriorsInput } from "../models/priors.js";
import { alrLatentGenes, selectAlrReference } from "./alr-reference.js";
import { laplaceStart } from "./laplace-init.js";
import type { LaplaceModel, LaplaceResults, NewtonReport } from "./laplace-results.js";
import { type LogOffsetOption, resolveLogOffset } from "./log-offset.js";
import { capacitanceCholesky } from "./low-rank-precision.js";
import { type EStepResult, type NewtonOptions, newtonEStep } from "./newton.js";
import { type LaplaceContext, laplaceLogMarginal } from "./newton-system.js";
import {
  multinomialAlrObservation,
  negativeBinomialObservation,
  type ObservationData,
  type ObservationModel,
  poissonObservation,
} from "./observation.js";
import {
  CASCADE_SVI_STEPS,
  cascadeStart,
  type LaplaceInit,
  latentMoments,
  NBLN_START_R,
  type NbSviFitter,
} from "./svi-cascade.js";
import { fitCapturedTotals, fitTotals, lnmvcpCapturePrior } from "./totals.js";

/** Options of {@link fitLaplace} (and of `fit` with `inferenceMethod: "laplace"`). */
export interface LaplaceFitOptions {
  /**
   * pln | nbln | lnm | lnmvcp. lnmvcp's composition is fitted as lnm's; its totals get the
   * per-cell capture p̂_c of SCRIBE's `lnmvcp`, integrated out per cell (`totals.ts`) under the flat
   * Beta(1, 1) capture prior, or the biology-informed prior given by `priors`.
   */
  model: LaplaceModel;
  /**
   * lnmvcp only: the biology-informed capture prior (SCRIBE capture prior), as for the SVI models:
   * `{ organism: "human" }` or `{ capture_efficiency: [log M₀, σ_M] }` (alias `eta_capture`).
   */
  priors?: PriorsInput;
  inferenceMethod: "laplace";
  /** Rank k of W (default min(10, G')). */
  rank?: number;
  /** Outer EM steps (default 1000). */
  nSteps?: number;
  /** Adam step size of the M-step (default 1e−2; the PCA start makes larger steps safe). */
  learningRate?: number;
  /** Newton settings of the E-step. */
  newton?: NewtonOptions;
  /**
   * PLN/NBLN per-cell log offset added to the log rate (library size; `log-offset.ts`): an
   * array of C values, "log-library" (log of each cell's total over the mean total), or none
   * (default, as SCRIBE without a capture prior).
   */
  logOffset?: LogOffsetOption;
  /** LNM: the ALR reference gene (default: SCRIBE's selection, `selectAlrReference`). */
  alrReference?: number;
  /** NBLN: loc of the LogNormal(loc, 1) prior on r (default 0, SCRIBE's fallback). */
  rPriorLoc?: number;
  /** Computation dtype (default float32; float64 on the cpu backend only). */
  dtype?: "float32" | "float64";
  /**
   * How the globals start: "pca" (default, `laplace-init.ts`) or "svi", the SVI→Laplace
   * cascade (`svi-cascade.ts`: a short nbdm SVI fit sets μ and each gene's variance).
   */
  laplaceInit?: LaplaceInit;
  /** SVI steps of the cascade's nbdm fit (default 1000). */
  laplaceInitSteps?: number;
  /** Seed of the PCA start and of the cascade's SVI fit (default 42). */
  seed?: number;
  /** Where to compute (default the current backend). */
  backend?: "cpu" | "webgpu";
  /** AnnData layer holding counts (default X). */
  layer?: string;
  /** Outer steps between loss readbacks and progress calls (default 50). */
  progressEvery?: number;
  /** Stops the fit after the current outer step (no checkpoint: the results so far are returned). */
  signal?: AbortSignal;
  /** Called at each progress update with (steps done, nSteps, latest loss). */
  onProgress?: (step: number, nSteps: number, loss: number) => void;
}

/** What {@link fitLaplace} returns. */
export interface LaplaceFitOutcome {
  results: LaplaceResults;
  /** Outer steps run (fewer than nSteps when stopped by the signal). */
  steps: number;
  /** Whether `signal` stopped the fit early (the results are those of the steps run). */
  interrupted: boolean;
}

function isAnnData(x: unknown): x is AnnData {
  return typeof x === "object" && x !== null && "X" in x && "obs" in x && "var" in x;
}

interface Host {
  values: Float64Array;
  C: number;
  G: number;
  obsNames?: string[];
  varNames?: string[];
}

async function hostCounts(data: Tensor | AnnData, layer?: string): Promise<Host> {
  if (isAnnData(data)) {
    const m = layer === undefined ? data.X : data.layers[layer];
    if (!m) throw new Error(`fit (laplace): no layer ${JSON.stringify(layer)}`);
    validateCounts(m, { allowEmpty: true, obsNames: data.obs.index, varNames: data.var.index });
    const d = toDense(m, "float64");
    if (d.shape[0] === 0 || d.shape[1] === 0)
      throw new Error(`fit (laplace): empty count matrix [${d.shape}]${layer ? ` in layer ${layer}` : ""}`);
    return {
      values: Float64Array.from(d.data),
      C: d.shape[0],
      G: d.shape[1],
      obsNames: data.obs.index,
      varNames: data.var.index,
    };
  }
  if (data.rank !== 2)
    throw new Error(`fit (laplace): counts must be cells × genes, got shape [${data.shape}]`);
  const [C, G] = data.shape as [number, number];
  if (C === 0 || G === 0) throw new Error(`fit (laplace): empty count matrix [${data.shape}]`);
  const values = Float64Array.from(await data.data());
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x) || x < 0 || !Number.isInteger(x))
      throw new Error(
        `fit (laplace): counts must be finite non-negative integers; cell ${Math.floor(i / G)}, gene ${i % G} has ${x}`,
      );
  }
  return { values, C, G };
}

/** The model's view of the counts: latent transform z, the observed matrix, offsets, constants. */
interface Prepared {
  obs: ObservationModel;
  dim: number;
  latentGenes: Int32Array;
  alrReference: number;
  /** Counts as the observation model reads them (LNM: reference last). */
  observed: Float64Array;
  z: Float64Array;
  offset: Float64Array | null;
  totals: Float64Array;
  constant: Float64Array;
}

function prepare(h: Host, opts: LaplaceFitOptions): Prepared {
  const { C, G, values } = h;
  const totals = new Float64Array(C);
  const logFact = new Float64Array(C);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) {
      const u = values[c * G + g]!;
      totals[c]! += u;
      logFact[c]! += lgammaHost(u + 1);
    }
  if (opts.model === "pln" || opts.model === "nbln") {
    const offset = resolveLogOffset(opts.logOffset, totals, "fit (laplace)");
    const z = Float64Array.from(values, (u, i) => Math.log1p(u) - (offset ? offset[Math.floor(i / G)]! : 0));
    return {
      obs: opts.model === "pln" ? poissonObservation : negativeBinomialObservation,
      dim: G,
      latentGenes: Int32Array.from({ length: G }, (_, g) => g),
      alrReference: -1,
      observed: values,
      z,
      offset,
      totals,
      constant: logFact.map((v) => -v),
    };
  }
  if (opts.logOffset !== undefined && opts.logOffset !== null)
    throw new Error(
      `fit (laplace): logOffset is PLN's and NBLN's (a log-rate offset); ${opts.model} models the composition, whose totals are fitted apart`,
    );
  if (G < 2) throw new Error(`fit (laplace): ${opts.model} needs at least 2 genes`);
  const ref = opts.alrReference ?? selectAlrReference(values, C, G);
  if (!Number.isInteger(ref) || ref < 0 || ref >= G)
    throw new Error(`fit (laplace): alrReference must be a gene index in [0, ${G}), got ${ref}`);
  const latentGenes = alrLatentGenes(G, ref);
  const observed = new Float64Array(C * G);
  const z = new Float64Array(C * (G - 1));
  for (let c = 0; c < C; c++) {
    const uRef = values[c * G + ref]!;
    latentGenes.forEach((g, i) => {
      const u = values[c * G + g]!;
      observed[c * G + i] = u;
      z[c * (G - 1) + i] = Math.log(u + 0.5) - Math.log(uRef + 0.5);
    });
    observed[c * G + G - 1] = uRef;
  }
  return {
    obs: multinomialAlrObservation,
    dim: G - 1,
    latentGenes,
    alrReference: ref,
    observed,
    z,
    offset: null,
    totals,
    constant: Float64Array.from(logFact, (v, c) => lgammaHost(totals[c]! + 1) - v),
  };
}

const lgammaHost = (x: number): number => specialScalar.lgamma(x);

function toTensor(values: Float64Array, shape: number[], dtype: "float32" | "float64"): Tensor {
  return fromTypedArray(dtype === "float64" ? values : Float32Array.from(values), shape);
}

type Params = Record<string, Tensor>;

function context(p: Params, obs: ObservationModel, data: ObservationData): LaplaceContext {
  const prior = { mu: p.mu!, W: p.W!, d: p.logD!.exp().add(1e-8) };
  return { obs, prior, mChol: capacitanceCholesky(prior), data, globals: p.logR ? { logR: p.logR } : {} };
}

function report(e: EStepResult): NewtonReport {
  return { iterations: e.iterations, converged: e.converged, rescued: e.rescued, failed: e.failed };
}

/**
 * Fit PLN / NBLN / LNM / LNMVCP by Laplace-EM.
 * @example
 * // fragment: `counts` is a cells × genes count tensor
 * const { results } = await fitLaplace(counts, { model: "pln", inferenceMethod: "laplace", rank: 2 });
 * results.mu; results.W; results.lastEStep.iterations;
 */
export async function fitLaplace(
  data: Tensor | AnnData,
  options: LaplaceFitOptions,
  drivers: { nbSvi?: NbSviFitter } = {},
): Promise<LaplaceFitOutcome> {
  const prev = currentBackend();
  if (!options.backend || options.backend === prev.name) return fitLaplaceHere(data, options, drivers.nbSvi);
  await useBackend(options.backend);
  try {
    return await fitLaplaceHere(data, options, drivers.nbSvi);
  } finally {
    await useBackend(prev.name);
  }
}

async function fitLaplaceHere(
  data: Tensor | AnnData,
  options: LaplaceFitOptions,
  nbSvi: NbSviFitter | undefined,
): Promise<LaplaceFitOutcome> {
  const models: readonly string[] = ["pln", "nbln", "lnm", "lnmvcp"];
  if (!models.includes(options.model))
    throw new Error(
      `fit (laplace): model must be one of ${models.join(", ")}, got ${JSON.stringify(options.model)}`,
    );
  const capturePrior = lnmvcpCapturePrior(options.model, options.priors, "fit (laplace)");
  const dtype = options.dtype ?? "float32";
  if (dtype === "float64" && currentBackend() !== cpuBackend())
    throw new Error("fit (laplace): dtype float64 needs the cpu backend");
  const h = await hostCounts(data, options.layer);
  const prep = prepare(h, options);
  const { C, G } = h;
  const dim = prep.dim;
  const rank = options.rank ?? Math.min(10, dim);
  const nSteps = options.nSteps ?? 1000;
  if (!Number.isInteger(nSteps) || nSteps < 0)
    throw new Error(`fit (laplace): nSteps must be a non-negative integer, got ${nSteps}`);
  let start = laplaceStart(prep.z, C, dim, rank, options.seed ?? 42);
  const init = options.laplaceInit ?? "pca";
  if (init !== "pca" && init !== "svi")
    throw new Error(`fit (laplace): laplaceInit must be "pca" or "svi", got ${JSON.stringify(init)}`);
  if (init === "svi") {
    if (!nbSvi)
      throw new Error('fit (laplace): laplaceInit "svi" needs the SVI driver: call it through fit()');
    const nb = await nbSvi(fromTypedArray(Float32Array.from(h.values), [C, G]), {
      nSteps: options.laplaceInitSteps ?? CASCADE_SVI_STEPS,
      learningRate: 0.05,
      seed: options.seed ?? 42,
    });
    const meanExpOffset = prep.offset ? prep.offset.reduce((a, o) => a + Math.exp(o), 0) / C : 1;
    start = cascadeStart(
      start,
      latentMoments(options.model, nb, prep.latentGenes, prep.alrReference, meanExpOffset),
    );
  }
  const obsData: ObservationData = {
    counts: keep(toTensor(prep.observed, [C, G], dtype)),
    offset: prep.offset ? keep(toTensor(prep.offset, [C, 1], dtype)) : null,
    totals: keep(toTensor(prep.totals, [C, 1], dtype)),
    constant: keep(toTensor(prep.constant, [C], dtype)),
  };
  const globals0: Params = {
    mu: toTensor(start.mu, [dim], dtype),
    W: toTensor(start.W, [dim, rank], dtype),
    logD: toTensor(start.d.map(Math.log), [dim], dtype),
  };
  const rPriorLoc = options.rPriorLoc ?? 0;
  if (options.model === "nbln")
    globals0.logR = toTensor(new Float64Array(G).fill(Math.log(NBLN_START_R)), [G], dtype);
  const optim = new Adam(options.learningRate ?? 1e-2);
  let state: OptimizerState = optim.init(globals0);
  dispose(globals0);
  let x = keep(toTensor(prep.z, [C, dim], dtype));
  const lossFn = (p: Params, modes: Tensor): Tensor => {
    const ctx = context(p, prep.obs, obsData);
    let loss = laplaceLogMarginal(ctx, modes).mean().neg();
    // NBLN: r_g ~ LogNormal(loc, 1), as a penalty in log r (per cell, like the loss)
    if (p.logR)
      loss = loss.add(
        p.logR
          .sub(rPriorLoc)
          .square()
          .sum()
          .mul(0.5 / C),
      );
    return loss;
  };
  const vg = valueAndGrad(lossFn);
  const losses: number[] = [];
  let pending: Tensor[] = [];
  let first: NewtonReport | null = null;
  let last: NewtonReport | null = null;
  let rescuedTotal = 0;
  const every = Math.max(1, options.progressEvery ?? 50);
  const flush = async (step: number) => {
    if (pending.length === 0) return;
    const joined = scope(() => concat(pending.map((t) => t.reshape([1]))));
    const v = await joined.data();
    dispose([joined, ...pending]);
    pending = [];
    for (const l of v) losses.push(l);
    options.onProgress?.(step, nSteps, losses[losses.length - 1]!);
  };
  const eStep = async (): Promise<EStepResult> => {
    const ctx = scope(() => context(optim.getParams(state) as Params, prep.obs, obsData));
    const e = await newtonEStep(ctx, x, options.newton);
    dispose([ctx.prior.d, ctx.mChol]);
    x.dispose();
    x = e.x;
    rescuedTotal += e.rescued;
    first ??= report(e);
    last = report(e);
    return e;
  };
  let done = 0;
  for (let step = 0; step < nSteps; step++) {
    // Stopped from outside (Ctrl-C in the command): keep what has been fitted so far.
    if (options.signal?.aborted) break;
    await eStep();
    // One scope per M-step: the tape's intermediates and the gradients are freed with it;
    // the optimizer keeps its new state and the loss survives as the scope's result.
    const stepped = scope(() => {
      const [loss, grads] = vg(optim.getParams(state) as Params, x);
      return { loss, next: optim.update(grads, state) };
    });
    state = stepped.next;
    pending.push(stepped.loss);
    done = step + 1;
    if (done % every === 0 || done === nSteps) await flush(done);
  }
  await flush(done);
  // A final E-step at the fitted globals gives modes (and diagnostics) consistent with them.
  await eStep();
  const params = optim.getParams(state) as Params;
  const read = async (t: Tensor) => Float64Array.from(await t.data());
  const mu = await read(params.mu!);
  const W = await read(params.W!);
  const d = (await read(params.logD!)).map((v) => Math.exp(v) + 1e-8);
  const r = params.logR ? (await read(params.logR)).map(Math.exp) : null;
  const modes = await read(x);
  optim.dispose(state);
  dispose([x, obsData.counts, obsData.offset, obsData.totals, obsData.constant]);
  const captured = options.model === "lnmvcp" ? fitCapturedTotals(prep.totals, capturePrior) : null;
  const results: LaplaceResults = {
    model: options.model,
    inferenceMethod: "laplace",
    nCells: C,
    nGenes: G,
    latentDim: dim,
    rank,
    latentGenes: prep.latentGenes,
    alrReference: prep.alrReference,
    mu,
    W,
    d,
    r,
    totals: options.model === "lnm" ? fitTotals(prep.totals) : (captured?.fit ?? null),
    ...(captured ? { meanCapture: captured.meanCapture } : {}),
    modes,
    firstEStep: first!,
    lastEStep: last!,
    rescuedTotal,
    lossHistory: Float64Array.from(losses),
    steps: done,
    ...(h.obsNames ? { obsNames: h.obsNames } : {}),
    ...(h.varNames ? { varNames: h.varNames } : {}),
  };
  return { results, steps: done, interrupted: done < nSteps };
}
