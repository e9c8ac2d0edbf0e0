/**
 * Potentials built from models: every latent site is mapped to unconstrained space with
 * `bijectTo(site.fn.support)`, the log-Jacobians are added, and the sites are flattened
 * into one float64 vector (NumPyro's `potential_energy` / `initialize_model`). Output sites
 * are the latent sites (constrained) and the model's `deterministic` sites, recomputed
 * for each kept draw by running the model with the latent values substituted.
 * @module
 */
import {
  concat,
  cpuBackend,
  currentBackend,
  type Jitted,
  jit,
  type Key,
  type Message,
  scope,
  seed,
  substitute,
  type Tensor,
  type Trace,
  trace,
  valueAndGrad,
  withBackend,
} from "@scribe/core";
import {
  bijectTo,
  type Constraint,
  enableValidation,
  type Transform,
  validationEnabled,
} from "@scribe/distributions";
import { contractTrace, marginalizedModel } from "../enumeration/enum-log-density.js";
import { latentSites, runTrace } from "../util/sites.js";
import type { ModelFn } from "./kernels.js";
import { deviceVector, type PotentialGradFn, readEnergyAndGradient } from "./potential-fn.js";
import { type OutputSite, randomBox, type SamplerSetup } from "./setup.js";

/** How one latent site sits in the flat unconstrained vector. */
export interface LatentLayout {
  readonly name: string;
  /** Shape of the constrained value. */
  readonly shape: readonly number[];
  /** Shape of the unconstrained value. */
  readonly unconstrainedShape: readonly number[];
  /** Offset and length in the flat vector. */
  readonly offset: number;
  readonly size: number;
  /** Unconstrained → constrained; null for real-valued sites (no transform). */
  readonly transform: Transform | null;
}

/** The layout of a model's latent sites, from one trace of the model run under `seed`. */
export function latentLayout(model: ModelFn, args: unknown[], rngKey: Key | number = 0): LatentLayout[] {
  return layoutOfTrace(runTrace(model, args, { rngKey }));
}

function layoutOfTrace(tr: Trace): LatentLayout[] {
  const out: LatentLayout[] = [];
  let offset = 0;
  for (const s of latentSites(tr)) {
    // Enumerated discrete sites are summed out in the potential (see modelSetup).
    if (s.infer.enumerate === "parallel") continue;
    const value = s.value;
    if (!value) throw new Error(`site '${s.name}': no value in the prototype trace`);
    if ((s.fn.support as Constraint | undefined)?.isDiscrete)
      throw new Error(
        `site '${s.name}': HMC/NUTS cannot sample a discrete latent (support ${(s.fn.support as Constraint).name}); mark it infer: { enumerate: "parallel" } (or wrap the model in configEnumerate) to sum it out, or observe it`,
      );
    if (value.dtype === "int32" || value.dtype === "bool")
      throw new Error(
        `site '${s.name}': HMC/NUTS need continuous latent sites, this one is ${value.dtype} (marginalize it or observe it)`,
      );
    const support = s.fn.support as Constraint | undefined;
    if (!support)
      throw new Error(
        `site '${s.name}': its distribution has no support constraint, so it cannot be mapped to unconstrained space`,
      );
    const t = support.name === "real" ? null : bijectTo(support);
    const ushape = t ? t.inverseShape(value.shape) : [...value.shape];
    const size = ushape.reduce((a, b) => a * b, 1);
    out.push({
      name: s.name,
      shape: [...value.shape],
      unconstrainedShape: ushape,
      offset,
      size,
      transform: t,
    });
    offset += size;
  }
  if (offset === 0) throw new Error("MCMC: the model has no latent sites to sample");
  return out;
}

/** Output sites of a model trace: latent and deterministic sites in trace order. */
function outputSitesOfTrace(tr: Trace, layout: readonly LatentLayout[]): OutputSite[] {
  const latent = new Set(layout.map((l) => l.name));
  const out: OutputSite[] = [];
  for (const s of tr.values()) {
    if (s.type === "sample" && latent.has(s.name)) out.push({ name: s.name, shape: [...s.value!.shape] });
    else if (s.type === "deterministic") {
      if (!s.value) throw new Error(`deterministic site '${s.name}': no value in the prototype trace`);
      out.push({ name: s.name, shape: [...s.value.shape], deterministic: true });
    }
  }
  return out;
}

/** Run `f` with distribution argument validation off (restored afterwards). */
function withoutValidation<T>(f: () => T): T {
  const was = validationEnabled();
  enableValidation(false);
  try {
    return f();
  } finally {
    enableValidation(was);
  }
}

/**
 * The potential energy `U(u) = −(log p(T(u), data) + Σ log|det J_T(u)|)` of a model at
 * unconstrained site values `u` (tensors, one per latent site in layout order).
 */
export function modelPotentialEnergy(
  model: ModelFn,
  args: unknown[],
  layout: readonly LatentLayout[],
  us: readonly Tensor[],
): Tensor {
  let logDet: Tensor | null = null;
  const tr = constrainedTrace(model, args, layout, us, (ld) => {
    logDet = logDet ? logDet.add(ld) : ld;
  });
  const lj = contractTrace(tr); // = traceLogDensity(tr) when no site was enumerated
  return (logDet ? lj.add(logDet) : lj).neg();
}

/**
 * Run the model with each latent site set to `T(u)`, where `T = bijectTo(support)` is taken
 * from the site's distribution in this run, not the prototype's: a support that depends on
 * another latent (x ~ Uniform(0, s)) then follows that latent's value (NumPyro's
 * `constrain_fn`). `onLogDet` receives each transformed site's summed log-Jacobian.
 */
function constrainedTrace(
  model: ModelFn,
  args: unknown[],
  layout: readonly LatentLayout[],
  us: readonly Tensor[],
  onLogDet?: (ld: Tensor) => void,
): Trace {
  const index = new Map(layout.map((l, i) => [l.name, i]));
  const constrain = (msg: Message): Tensor | undefined => {
    if (msg.type !== "sample" || msg.isObserved) return undefined;
    const i = index.get(msg.name);
    if (i === undefined) return undefined;
    const u = us[i]!;
    const support = msg.fn.support as Constraint | undefined;
    if (!support || support.name === "real") return u;
    const t = bijectTo(support);
    const y = t.forward(u);
    onLogDet?.(t.logAbsDetJacobian(u, y).sum());
    return y;
  };
  return trace(seed(substitute(model, constrain), 0)).getTrace(...args);
}

type StraightLine = NonNullable<ReturnType<Jitted<Tensor[], Tensor>["straightLine"]>>;

/**
 * The packed potential `[U, ∇U]` of a small model on the cpu backend, compiled by `jit` into
 * one generated plain-JS function (`Jitted.straightLine`), as the synchronous
 * {@link PotentialGradFn} the samplers call: no tensors, no promise and no kernel lookups per
 * leapfrog step, and exactly the values a replay computes. `compile` records it (null where it
 * does not apply: another backend, a potential that reads values back or draws random numbers
 * or is not small; the samplers then use `potentialAsync`). Nothing is recorded until a sampler
 * asks for the potential, so a setup used only for its site list holds no program.
 */
class CompiledPotential {
  #state: "unknown" | "none" | "compiled";
  #line: StraightLine | null = null;
  readonly #packed: Float64Array;
  readonly #fn: PotentialGradFn;

  constructor(
    readonly compile: () => StraightLine | null,
    readonly dim: number,
    enabled: boolean,
  ) {
    this.#state = enabled ? "unknown" : "none";
    this.#packed = new Float64Array(dim + 1);
    this.#fn = (z, g) => {
      const line = this.#line ?? this.#compiled();
      const packed = this.#packed;
      line(z, packed);
      for (let i = 0; i < dim; i++) g[i] = packed[i + 1]!;
      return packed[0]!;
    };
  }

  /** The synchronous potential, or undefined where no straight-line form applies. */
  get potential(): PotentialGradFn | undefined {
    if (this.#state === "unknown") {
      this.#line = this.compile();
      this.#check(this.#line);
      this.#state = this.#line ? "compiled" : "none";
    }
    return this.#state === "compiled" ? this.#fn : undefined;
  }

  /** Forget the function (its program's buffers are being freed); the next call records again. */
  release(): void {
    this.#line = null;
  }

  #compiled(): StraightLine {
    const line = this.compile();
    if (!line) throw new Error("MCMC: the model's potential compiled before and no longer does");
    this.#check(line);
    this.#line = line;
    return line;
  }

  #check(line: StraightLine | null): void {
    if (line && (line.inputSize !== this.dim || line.outputSize !== this.dim + 1))
      throw new Error(
        `internal: the compiled potential takes ${line.inputSize} values and gives ${line.outputSize}, expected ${this.dim} and ${this.dim + 1}`,
      );
  }
}

/** Draws per readback when post-processing kept draws asynchronously. */
const CONSTRAIN_CHUNK = 64;

/**
 * The sampler setup of a model on the backend current at the call: potential and gradient
 * through one `valueAndGrad` per evaluation (one tensor per site, no slicing), initial
 * positions uniform in (−radius, radius) in unconstrained space, and constrained output
 * sites. Site values reach the device as float64 where the backend has it, float32
 * otherwise (WebGPU). No tensor is read back synchronously, on any backend: the potential is
 * one `await` of one small buffer `[U, ∇U]` per evaluation, the post-processing one `await`
 * per chunk of kept draws. On the cpu, a small model's potential is also offered as a plain
 * synchronous function (`potential`, unless `compilePotential` is false): the recorded
 * program compiled into one generated JS function over host arrays (`Jitted.straightLine`).
 */
export function modelSetup(
  model: ModelFn,
  args: unknown[],
  opts: { initRadius?: number; compilePotential?: boolean } = {},
): SamplerSetup {
  const backend = currentBackend();
  const onDevice = <T>(f: () => T): T => withBackend(backend, () => scope(() => withoutValidation(f)));
  // The prototype run only fixes names, shapes and which sites are constrained; its tensors are
  // freed with the scope (the potential takes each site's transform from its own run), so the
  // layout keeps no transform objects that could reference them.
  const { layout, outputSites, anyConstrained } = scope(() => {
    let prototype = runTrace(model, args, { rngKey: 0 });
    // Sites marked for enumeration are summed out of the potential: the model runs under
    // `enumerate` from here on (and only its continuous sites are laid out).
    const marginal = marginalizedModel(model, prototype);
    if (marginal !== model) {
      model = marginal;
      prototype = runTrace(model, args, { rngKey: 0 });
    }
    const full = layoutOfTrace(prototype);
    return {
      layout: full.map((l): LatentLayout => ({ ...l, transform: null })),
      outputSites: outputSitesOfTrace(prototype, full),
      anyConstrained: full.some((l) => l.transform !== null),
    };
  });
  // The prototype's argument checks are deferred (a model was running): they surface at the
  // next read, naming the site (MCMC awaits them before sampling, on every backend).
  const hasDeterministic = outputSites.some((s) => s.deterministic);
  const sizes = outputSites.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const width = sizes.reduce((a, b) => a + b, 0);
  const dim = layout.reduce((a, l) => a + l.size, 0);
  const outDtype = backend.supportsFloat64 ? "float64" : "float32";
  // `jit` records cpu kernels (it reads its inputs synchronously); elsewhere run eagerly.
  const compile = <R extends Tensor | Tensor[]>(f: (...us: Tensor[]) => R): Jitted<Tensor[], R> =>
    backend === cpuBackend()
      ? jit(f)
      : Object.assign((...us: Tensor[]) => f(...us), {
          dispose: () => {},
          straightLine: () => null,
          replays: 0,
        });
  const siteTensors = (z: Float64Array): Tensor[] =>
    layout.map((l) => deviceVector(backend, z.subarray(l.offset, l.offset + l.size), l.unconstrainedShape));
  const vg = valueAndGrad((us: Tensor[]) => modelPotentialEnergy(model, args, layout, us));
  // The potential and its gradient, packed into one vector [U, ∇U] (gradients in layout
  // order = flat order), are recorded once and replayed (`jit`): a NUTS step on a small model
  // is then a few kernel calls and one read instead of rebuilding the model's graph.
  // Argument validation reads values back, which a replay cannot repeat, so it is off here
  // (as in NumPyro's MCMC); out-of-support positions still give −∞ log-densities.
  const evaluatePacked = compile((...us: Tensor[]) => {
    const [v, grads] = vg(us);
    return concat([v.reshape([1]), ...grads.map((gt) => gt.reshape([gt.size]))]);
  });
  // On the cpu, the same program as one generated plain-JS function, called synchronously by
  // the samplers (recorded at the origin: the program is the same wherever it is recorded).
  const compiled = new CompiledPotential(
    () => onDevice(() => evaluatePacked.straightLine(...siteTensors(new Float64Array(dim)))),
    dim,
    opts.compilePotential !== false,
  );
  // Deterministic sites, and constrained values whose support may depend on other latents,
  // need one run of the model per draw (NumPyro's `constrain_fn(..., return_deterministic=True)`),
  // recorded once and replayed like the potential. The outputs are copied into one fresh
  // vector (`concat`), so no output aliases an input or a tensor the model closes over.
  // Real-valued sites alone need no run: the output is the position itself (same order).
  const postprocess =
    hasDeterministic || anyConstrained
      ? compile((...us: Tensor[]) => {
          const tr = constrainedTrace(model, args, layout, us);
          const parts = outputSites.map((s, k) => {
            const t = tr.get(s.name)?.value as Tensor | null | undefined;
            if (!t) throw new Error(`MCMC: site '${s.name}' has no value when the model is rerun on a draw`);
            if (t.size !== sizes[k])
              throw new Error(
                `MCMC: site '${s.name}' has shape [${t.shape.join(", ")}] on a draw but [${s.shape.join(", ")}] ` +
                  "in the prototype trace; its shape must not depend on the latent values",
              );
            return (t.dtype === outDtype ? t : t.astype(outDtype)).reshape([sizes[k]!]);
          });
          return concat(parts);
        })
      : null;
  const radius = opts.initRadius ?? 2;
  return {
    dim,
    get potential() {
      return compiled.potential;
    },
    potentialAsync: (z, g) =>
      readEnergyAndGradient(
        onDevice(() => evaluatePacked(...siteTensors(z))),
        g,
        "MCMC potential",
      ),
    initPosition: (k) => randomBox(k, dim, radius),
    outputSites,
    // Called on the kept draws after sampling, never in the leapfrog loop.
    constrainAsync: async (positions, n) => {
      if (!postprocess) return positions.slice(0, n * dim);
      const out = new Float64Array(n * width);
      for (let start = 0; start < n; start += CONSTRAIN_CHUNK) {
        const end = Math.min(n, start + CONSTRAIN_CHUNK);
        const packed = onDevice(() => {
          const rows: Tensor[] = [];
          for (let i = start; i < end; i++)
            rows.push(postprocess(...siteTensors(positions.subarray(i * dim, (i + 1) * dim))));
          return concat(rows);
        });
        try {
          out.set(await packed.data(), start * width);
        } finally {
          packed.dispose();
        }
      }
      return out;
    },
    dispose: () => {
      compiled.release();
      evaluatePacked.dispose();
      postprocess?.dispose();
    },
  };
}
