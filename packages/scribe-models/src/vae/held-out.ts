/**
 * Early stopping of VAE fits on the ELBO of held-out cells (issue 19): a seeded fraction of the
 * cells is left out of training; every `every` steps the mean per-cell ELBO of those cells
 * (`ScribeVAEResults.elboByCell`, the same draws at every check) is computed with the current
 * params; the params of the best check are kept, and the run stops once `patience` steps have
 * passed without a better one. The fit returns the best params.
 *
 * Why: SCRIBE's defaults (latent 10, KL warm-up 2,000, 50,000 steps) fit thousands of cells
 * well but overfit small data sets (the 226 training cells of the bundled PBMC subset lose to
 * nbdm on held-out cells, bench/vae-pbmc.ts); a held-out ELBO tells when the encoder and
 * decoder stop generalising, whatever the data size.
 *
 * A vcp model whose capture is fitted cell by cell (nbvcp, zinbvcp, the VAE's default, without
 * `amortizeCapture`) has no capture factor for a held-out cell: the held-out ELBO integrates
 * that cell's capture over its prior (`elboByCell(..., { heldOut: true })`; q(ν) = p(ν), a
 * valid bound whose capture KL is 0), with the same seeded draws of z and ν at every check.
 *
 * The rule of the default (`validation` unset): on when the held-out ELBO is defined and the
 * data is large enough to hold out a useful set, i.e. when all of
 * - the latent prior is the standard N(0, I) (a flow prior's KL has no closed form);
 * - `earlyStopping` (on the training loss) is not set: one early stopping per fit;
 * - there are at least {@link MIN_CELLS_FOR_VALIDATION} cells (then ≥ 10 are held out).
 * `validation: true` asks for it and refuses a fit where it cannot run (naming why);
 * `validation: false` trains on every cell for `nSteps`.
 *
 * The run is `SVI.run` in chunks that end at each check (and checkpoint): a chunked run is the
 * same trajectory as one run (the state carries the key and the optimizer step). Checkpoints
 * hold the best check (its −ELBO and step, and its params) in the snapshot's early-stopping
 * fields, so a resumed run stops where an uninterrupted one would.
 * @module
 */
import { dispose, type Key, keep, scope, type Tensor } from "@scribe/core";
import type { SVI, SVIRunOptions, SVISnapshot, SVIState } from "@scribe/infer";
import { makeRng } from "../seeded-rng.js";
import type { VaeSpec } from "./vae-spec.js";

/** Options of early stopping on a held-out ELBO (`fit(..., { inferenceMethod: "vae", validation })`). */
export interface VaeValidationOptions {
  /** Fraction of the cells held out (default 0.1; at least 10 cells, at most half). */
  fraction?: number;
  /** Steps between held-out checks (default 100). */
  every?: number;
  /** Steps without a better held-out ELBO before stopping (default 1,000). */
  patience?: number;
  /** Draws of z per held-out cell in each check (default 8). */
  nDraws?: number;
  /** Smallest increase of the mean held-out ELBO (nats per cell) that counts as better (default 0). */
  minDelta?: number;
}

/** The validation settings with defaults applied. */
export type ResolvedValidation = Readonly<Required<VaeValidationOptions>>;

/** Defaults of {@link VaeValidationOptions}. */
export const VALIDATION_DEFAULTS: ResolvedValidation = {
  fraction: 0.1,
  every: 100,
  patience: 1000,
  nDraws: 8,
  minDelta: 0,
};

/** Fewest cells for which the default turns held-out early stopping on. */
export const MIN_CELLS_FOR_VALIDATION = 100;
/** Fewest held-out cells. */
const MIN_HELD_OUT = 10;

/** Why a held-out ELBO is not defined for this VAE, or null when it is. */
export function heldOutElboUnavailable(spec: VaeSpec): string | null {
  if (spec.latentPrior) return "a flow or custom latent prior has no closed-form KL";
  return null;
}

/**
 * The held-out early stopping of a fit, or null for none (rule in the module doc).
 * @throws Error naming the option when asked for where it cannot run, or for bad values.
 */
export function resolveValidation(
  option: boolean | VaeValidationOptions | undefined,
  spec: VaeSpec,
  nCells: number,
  earlyStoppingSet: boolean,
): ResolvedValidation | null {
  if (option === false) return null;
  const why =
    heldOutElboUnavailable(spec) ??
    (earlyStoppingSet ? "earlyStopping (on the training loss) is set; use one or the other" : null);
  if (option === undefined) return why || nCells < MIN_CELLS_FOR_VALIDATION ? null : VALIDATION_DEFAULTS;
  if (why) throw new Error(`fit (vae): validation (held-out early stopping) cannot run: ${why}`);
  const r: ResolvedValidation = { ...VALIDATION_DEFAULTS, ...(option === true ? {} : option) };
  const bad = (name: string, v: number, want: string) => {
    throw new Error(`fit (vae): validation.${name} must be ${want}, got ${v}`);
  };
  if (!(r.fraction > 0 && r.fraction <= 0.5)) bad("fraction", r.fraction, "in (0, 0.5]");
  for (const k of ["every", "patience", "nDraws"] as const)
    if (!Number.isInteger(r[k]) || r[k] < 1) bad(k, r[k], "a positive integer");
  if (!(r.minDelta >= 0)) bad("minDelta", r.minDelta, "≥ 0");
  if (heldOutCount(nCells, r.fraction) > nCells - MIN_HELD_OUT || nCells < 2 * MIN_HELD_OUT)
    throw new Error(
      `fit (vae): validation needs at least ${2 * MIN_HELD_OUT} cells (${MIN_HELD_OUT} held out, the rest trained on), got ${nCells}`,
    );
  return r;
}

/** Number of held-out cells: the fraction, rounded, at least {@link MIN_HELD_OUT}. */
function heldOutCount(nCells: number, fraction: number): number {
  return Math.max(MIN_HELD_OUT, Math.round(fraction * nCells));
}

/**
 * Seeded split of the cells (a Fisher–Yates shuffle driven by the package's seeded generator,
 * seeded-rng.ts): training and held-out cell indices, each in increasing order.
 * @example
 * const { train, heldOut } = splitCells(200, 0.1, 42); // 180 and 20 cells
 */
export function splitCells(
  nCells: number,
  fraction: number,
  seed: number,
): { train: Int32Array; heldOut: Int32Array } {
  const u = makeRng(seed);
  const order = Int32Array.from({ length: nCells }, (_, i) => i);
  for (let i = nCells - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const nHeld = heldOutCount(nCells, fraction);
  return { heldOut: order.slice(0, nHeld).sort(), train: order.slice(nHeld).sort() };
}

/** The best check so far: its mean held-out ELBO and the steps done then (0: none yet). */
export interface ValidationRecord {
  bestElbo: number;
  bestStep: number;
}

/** What {@link runWithValidation} needs besides the SVI object. */
export interface ValidatedRunSetup<A extends unknown[]> {
  key: Key;
  /** Steps the whole run should have done at the end (counting a resumed run's). */
  totalSteps: number;
  args: A;
  /** Options passed to each chunk (no `initState`, `history`, `earlyStopping` or `checkpoint`). */
  chunkOptions: Omit<SVIRunOptions, "initState" | "history" | "earlyStopping" | "checkpoint">;
  /** A resumed run's snapshot (its early-stopping fields hold the validation record), or null. */
  resumed: SVISnapshot | null;
  /** Saves a snapshot, or null without checkpoints; called every `checkpointEvery` steps, at the end and when interrupted. */
  save: ((snapshot: SVISnapshot) => Promise<void>) | null;
  checkpointEvery: number;
  /** Mean held-out ELBO (nats per cell) of constrained params; may free nothing it was given. */
  evaluate: (params: Record<string, Tensor>) => Promise<number>;
}

/** What {@link runWithValidation} returns (as `SVIRunResult`, plus the record). */
export interface ValidatedRun {
  /** Constrained params of the best check (the last state's when no check ran or when interrupted). */
  params: Record<string, Tensor>;
  losses: Float64Array;
  stepsDone: number;
  skippedSteps: number;
  interrupted: boolean;
  stoppedEarly: boolean;
  record: ValidationRecord;
}

/** Frees the constrained params of a chunk that are copies (an unconstrained param is the state's own tensor). */
function disposeCopies(params: Record<string, Tensor>, state: SVIState): void {
  const own = new Set(Object.values(state.optimState.params));
  dispose(Object.values(params).filter((t) => !own.has(t)));
}

function copyParams(params: Readonly<Record<string, Tensor>>): Record<string, Tensor> {
  return scope(() => {
    const out: Record<string, Tensor> = {};
    for (const [k, p] of Object.entries(params)) out[k] = keep(p.add(0));
    return out;
  });
}

/**
 * Train with held-out early stopping (module doc).
 * @example
 * const run = await runWithValidation(svi, VALIDATION_DEFAULTS, { key, totalSteps: 50_000, args, ... });
 */
export async function runWithValidation<A extends unknown[]>(
  svi: SVI<A>,
  v: ResolvedValidation,
  setup: ValidatedRunSetup<A>,
): Promise<ValidatedRun> {
  const { resumed, save } = setup;
  let state: SVIState | undefined = resumed?.state;
  let losses = resumed?.losses ?? new Float64Array(0);
  let skipped = resumed?.skippedSteps ?? 0;
  const es = resumed?.earlyStopping;
  const record: ValidationRecord = es
    ? { bestElbo: -es.bestLoss, bestStep: es.bestStep }
    : { bestElbo: Number.NEGATIVE_INFINITY, bestStep: 0 };
  let best: Record<string, Tensor> | null = resumed?.bestParams ?? null;
  let interrupted = false;
  let stoppedEarly = false;
  let lastSaved = losses.length;
  const snapshot = (): SVISnapshot => ({
    state: state!,
    losses,
    skippedSteps: skipped,
    earlyStopping: { bestLoss: -record.bestElbo, bestStep: record.bestStep },
    ...(best ? { bestParams: best } : {}),
  });
  const patienceSpent = () => record.bestStep > 0 && losses.length - record.bestStep >= v.patience;
  while (losses.length < setup.totalSteps && !patienceSpent()) {
    const done = losses.length;
    const next = (every: number) => (Math.floor(done / every) + 1) * every;
    const to = Math.min(setup.totalSteps, next(v.every), save ? next(setup.checkpointEvery) : Infinity);
    const run = await svi.run(setup.key, to - done, setup.args, {
      ...setup.chunkOptions,
      ...(state ? { initState: state, history: { losses, skippedSteps: skipped } } : {}),
    });
    state = run.state;
    losses = run.losses;
    skipped = run.skippedSteps;
    if (run.interrupted) {
      disposeCopies(run.params, state);
      interrupted = true;
      break;
    }
    if (run.stepsDone % v.every === 0 || run.stepsDone === setup.totalSteps) {
      const elbo = await setup.evaluate(run.params);
      if (Number.isFinite(elbo) && elbo > record.bestElbo + v.minDelta) {
        record.bestElbo = elbo;
        record.bestStep = run.stepsDone;
        if (best) dispose(Object.values(best));
        best = copyParams(svi.optim.getParams(state.optimState));
      }
    }
    disposeCopies(run.params, state);
    if (save && (run.stepsDone % setup.checkpointEvery === 0 || run.stepsDone === setup.totalSteps)) {
      await save(snapshot());
      lastSaved = run.stepsDone;
    }
  }
  stoppedEarly = !interrupted && losses.length < setup.totalSteps;
  if (!state) state = svi.init(setup.key, setup.args);
  if (save && lastSaved !== losses.length) await save(snapshot());
  // the best check's params replace the last state's (as SVI.run's restoreBest does)
  if (best && !interrupted && record.bestStep !== losses.length) {
    const os = state.optimState;
    const replaced = Object.values(os.params);
    state = { ...state, optimState: { ...os, params: best } };
    dispose(replaced);
  } else if (best) dispose(Object.values(best));
  const params = svi.getParams(state);
  return {
    params,
    losses,
    stepsDone: losses.length,
    skippedSteps: skipped,
    interrupted,
    stoppedEarly,
    record,
  };
}
