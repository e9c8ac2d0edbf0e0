/**
 * The WebGPU special functions against the mpmath reference vectors
 * (test/fixtures/refvec/special_functions.json, the repo's copy of the shared refvec data), in
 * float32. Shared by the vitest suite (special-refvec.test.ts, Dawn in Node) and the Deno
 * script (test/deno/webgpu-special.ts); it has no run-time imports: callers pass @scribe/core
 * (source under vitest, dist under Deno) and the WebGPU backend.
 *
 * Which cases: every case whose finite inputs round to float32 normal numbers (or are 0).
 * Inputs outside float32's range (1e-300, 1e300, 5e-324) are skipped, and so are inexact inputs
 * whose float32 rounding lands on a singular point where the float64 reference says nothing
 * about float32 (−3.0000001 rounds to the pole −3 of lgamma; 0.9999999999 rounds to 1, where
 * ndtri = ∞); both are listed in the report.
 *
 * Tolerance for a finite reference value f(x), x the file's float64 inputs:
 *
 *     |gpu − f(x)| ≤ U·ulp32(f(x)) + C·κ + 2⁻¹²⁶,    κ = 2⁻²⁴·Σᵢ |xᵢ·∂f/∂xᵢ(x)|
 *
 * κ is how far f moves when each input moves by one float32 rounding (relative 2⁻²⁴). The GPU
 * gets the inputs rounded to float32 (for an inexact input such as 0.1 or 3.7, κ bounds that
 * change of f), and a float32 algorithm is at best backward stable: it returns f at inputs
 * perturbed by a few roundings (x − 1, x/a, a·log x, 1 − x …), so ill-conditioned points
 * (lgamma near its zeros 1 and 2, betainc at a = b = 1e5, gammainc at a = 1e8, ndtri near 1)
 * are judged by what float32 can resolve there rather than by the output's ulp. U counts the
 * roundings of the evaluation itself (WGSL allows exp and log 3 ulp). ∂f/∂xᵢ is the central
 * difference of the float64 CPU implementation (within 1e-12 of mpmath, special-scalar suite)
 * with relative step 2⁻³⁰, which needs no derivative formula per function.
 * The 2⁻¹²⁶ floor (the smallest normal float32): WGSL lets implementations flush subnormal
 * results to zero, so references below float32's normal range only have to come back as ~0.
 * A finite reference beyond float32's range must come back as the ±∞ it rounds to; non-finite
 * references (±∞, NaN) must match exactly.
 */
import type * as Core from "@scribe/core";

type CoreModule = typeof Core;
type Tensor = Core.Tensor;
type Backend = Core.Backend;

/** A case as stored: numbers, or the strings "inf", "-inf", "nan". */
type Raw = number | string;
export interface RefCase {
  fn: string;
  args: (Raw | Raw[])[];
  expected: Raw;
  tag: string;
}

export const num = (v: Raw): number =>
  v === "inf" ? Infinity : v === "-inf" ? -Infinity : v === "nan" ? Number.NaN : (v as number);

/** The tensor op for each `fn` of the file. */
const FNS: Record<string, (c: CoreModule) => (...a: Tensor[]) => Tensor> = {
  lgamma: (c) => c.lgamma,
  digamma: (c) => c.digamma,
  trigamma: (c) => c.trigamma,
  log1p: (c) => c.log1p,
  expm1: (c) => c.expm1,
  softplus: (c) => c.softplus,
  log_sigmoid: (c) => c.logSigmoid,
  logsumexp: (c) => (x) => c.logsumexp(x),
  betaln: (c) => c.betaln,
  xlogy: (c) => c.xlogy,
  xlog1py: (c) => c.xlog1py,
  erf: (c) => c.erf,
  erfc: (c) => c.erfc,
  ndtri: (c) => c.ndtri,
  log_ndtr: (c) => c.logNdtr,
  betainc: (c) => c.betainc,
  gammainc: (c) => c.gammainc,
  gammaincc: (c) => c.gammaincc,
};

/** U (float32 ulps of the result) and C (multiples of κ) per function; see the file header. */
export interface Tolerance {
  ulps: number;
  cond: number;
}
export const TOLERANCES: Record<string, Tolerance> = {
  // log1p/expm1: polynomial near 0 and builtin log/exp (3 ulp) elsewhere, ≈1 ulp measured.
  log1p: { ulps: 4, cond: 2 },
  expm1: { ulps: 4, cond: 2 },
  // x + log1p(e^{−x}) / log1p(eˣ): eˣ carries 3 + 2|x| ulp in WGSL, which κ = |x|·σ(x)·2⁻²⁴ is.
  softplus: { ulps: 4, cond: 2 },
  log_sigmoid: { ulps: 4, cond: 2 },
  // max + log1p(Σ e^{xᵢ−max}): a sum, an exp per term and a log1p.
  logsumexp: { ulps: 4, cond: 2 },
  // x·log y with the builtin log (3 ulp) and one product.
  xlogy: { ulps: 4, cond: 2 },
  xlog1py: { ulps: 4, cond: 2 },
  // Series (|x| < 1) or backward-evaluated continued fraction times e^{−x²} (exact split of x²);
  // erf = 1 − erfc above 1. The tails' relative error grows like 2x² roundings, which is κ.
  erf: { ulps: 4, cond: 2 },
  erfc: { ulps: 4, cond: 2 },
  // Series, reflection, or Stirling sums of terms up to |(x − ½) log x| ≫ |log Γ|: near the
  // zeros (1, 2, −2.46…) the absolute error of those terms is what κ measures (|x ψ(x)|·2⁻²⁴).
  lgamma: { ulps: 4, cond: 2 },
  // x < 10 recurs up to 10: ψ(x) = ψ(x + n) − Σ 1/(x + k), whose terms (≈ 2.3 and 2.8 at
  // x = 1) cancel to |ψ| ≈ 0.6, so a couple of ulps of the sum is up to ~8 of the result.
  digamma: { ulps: 8, cond: 2 },
  // Σ 1/(x + k)² plus asymptotic tail, all positive terms (reflection adds π²/sin²πx).
  trigamma: { ulps: 4, cond: 2 },
  // log Γ(a) + log Γ(b) − log Γ(a + b) (or the Stirling form): terms of size up to |log Γ(a+b)|
  // cancel (betaln(0.3, 7) = 0.53 from terms of ≈ 7), ~2 ulp of the largest term ≈ 16 of the result.
  betaln: { ulps: 16, cond: 2 },
  // A&S start plus Newton steps on erf / log Φ in float32: the residual's rounding, 1/φ(x)
  // times an ulp of Φ, is what κ (|p/φ(x)|·2⁻²⁴) measures; U for the last Newton update.
  ndtri: { ulps: 4, cond: 2 },
  // log(Φ) or log1p(−Φ(−x)) through erfc/erfcx: errors of erfc relative to it, as for erfc.
  log_ndtr: { ulps: 4, cond: 2 },
  // Continued fraction (≤ 2000 steps; I_x(a, b) = 1 − I_{1−x}(b, a) past the mean) times the
  // prefactor exp(a log x + b log1p(−x) − log B(a, b)), whose exponent carries a few roundings
  // of a·log x: κ of a and b. The fraction's ~√a steps each round once, an error that grows like
  // κ (a·∂I/∂a ~ √a); at a = b = 1e5 it is the closest case to the tolerance.
  betainc: { ulps: 8, cond: 2 },
  // Series / Lentz continued fraction / Temme's expansion (a ≥ 50) times the prefactor
  // exp(a log x − x − log Γ(a)): as betainc, its rounding is κ's; U for the sum.
  gammainc: { ulps: 8, cond: 2 },
  gammaincc: { ulps: 8, cond: 2 },
};

const TINY32 = 2 ** -126;

/** Spacing of float32 numbers at |v| (the ulp of the float32 rounding of v). */
export function ulp32(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < TINY32) return 2 ** -149;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 23);
}

/** One case's outcome. `err`, `tol`, `ulps`, `kappa` are set for finite comparisons. */
export interface Outcome {
  fn: string;
  label: string;
  status: "pass" | "fail" | "skip";
  /** finite, underflow (|f| < 2⁻¹²⁶), overflow (f beyond float32), nonfinite, or why skipped. */
  kind: string;
  want: number;
  got: number;
  err: number;
  tol: number;
  /** err in ulps of the result, and κ in ulps of the result. */
  ulps: number;
  kappa: number;
  /** Whether every input is exact in float32 (else the error includes the input's rounding). */
  exact: boolean;
}

interface Prepared {
  c: RefCase;
  fn: string;
  label: string;
  args: number[][];
  args32: number[][];
  want: number;
  skip?: string;
}

const isFloat32Normal = (x: number) => {
  if (!Number.isFinite(x) || x === 0) return true;
  const r = Math.fround(x);
  return Number.isFinite(r) && Math.abs(r) >= TINY32;
};

function prepare(c: RefCase): Prepared {
  const args = c.args.map((a) => (Array.isArray(a) ? a.map(num) : [num(a)]));
  const label = `${c.fn}(${JSON.stringify(c.args).slice(1, -1).slice(0, 48)})`;
  const args32 = args.map((a) => a.map(Math.fround));
  const p: Prepared = { c, fn: c.fn, label, args, args32, want: num(c.expected) };
  if (!args.flat().every(isFloat32Normal)) p.skip = "input outside float32's normal range";
  return p;
}

/** f on the CPU in float64 at the given inputs. */
function cpu64(core: CoreModule, fn: string, args: number[][]): number {
  const f = FNS[fn]!(core);
  return core
    .withBackend(core.cpuBackend(), () => f(...args.map((a) => core.tensor(Float64Array.from(a)))))
    .dataSync()[0]!;
}

/**
 * κ = 2⁻²⁴·Σ|xᵢ ∂f/∂xᵢ| from central differences of the float64 CPU function with step 2⁻³⁰·xᵢ
 * (one-sided at the end of the domain, e.g. betainc at x = 1).
 */
function kappa(core: CoreModule, p: Prepared): number {
  const h = 2 ** -30;
  let k = 0;
  for (const [i, arg] of p.args.entries()) {
    for (const [j, x] of arg.entries()) {
      if (!Number.isFinite(x) || x === 0) continue; // exact in float32: no rounding to propagate
      const at = (s: number) =>
        cpu64(
          core,
          p.fn,
          p.args.map((a, ii) => (ii === i ? a.map((v, jj) => (jj === j ? v * s : v)) : a)),
        );
      const up = at(1 + h);
      const down = at(1 - h);
      // |x f′(x)| = |f(x(1+h)) − f(x(1−h))|/(2h)
      const slope =
        Number.isFinite(up) && Number.isFinite(down)
          ? Math.abs(up - down) / (2 * h)
          : Math.abs((Number.isFinite(up) ? up : down) - at(1)) / h;
      k += slope * 2 ** -24;
    }
  }
  return k;
}

function judge(core: CoreModule, p: Prepared, got: number): Outcome {
  const exact = p.args.flat().every((x) => !Number.isFinite(x) || Math.fround(x) === x);
  const base = {
    fn: p.fn,
    label: p.label,
    want: p.want,
    got,
    err: Number.NaN,
    tol: Number.NaN,
    ulps: Number.NaN,
    kappa: Number.NaN,
    exact,
  };
  const want = p.want;
  if (p.skip) return { ...base, status: "skip", kind: p.skip };
  if (!Number.isFinite(want)) {
    const same = Number.isNaN(want) ? Number.isNaN(got) : got === want;
    return { ...base, status: same ? "pass" : "fail", kind: "nonfinite" };
  }
  if (!exact) {
    // An inexact input whose float32 rounding is a singular point of f (a pole, the end of the
    // domain): the float64 reference does not describe the float32 problem.
    if (!Number.isFinite(cpu64(core, p.fn, p.args32)))
      return { ...base, status: "skip", kind: "float32 rounding of the input is a singular point" };
  }
  const want32 = Math.fround(want);
  if (!Number.isFinite(want32))
    return { ...base, status: got === want32 ? "pass" : "fail", kind: "overflow" };
  const t = TOLERANCES[p.fn]!;
  const k = kappa(core, p);
  const u = ulp32(want);
  const tol = t.ulps * u + t.cond * k + TINY32;
  const err = Math.abs(got - want);
  const ok = Number.isFinite(got) && Number.isFinite(k) && err <= tol;
  return {
    ...base,
    status: ok ? "pass" : "fail",
    kind: want !== 0 && Math.abs(want) < TINY32 ? "underflow" : "finite",
    err: Number.isFinite(got) ? err : Infinity,
    tol,
    ulps: err / u,
    kappa: k / u,
  };
}

/** Evaluate every case of `cases` on `gpu` (float32) and judge it against the reference. */
export async function runSpecialRefvec(
  core: CoreModule,
  gpu: Backend,
  cases: readonly RefCase[],
): Promise<Outcome[]> {
  const prepared = cases.map(prepare);
  for (const p of prepared) if (!FNS[p.fn]) throw new Error(`no tensor op for reference function '${p.fn}'`);
  const got = new Map<Prepared, number>();
  const evaluable = prepared.filter((p) => !p.skip);
  // One dispatch per function (elementwise ops: all its cases side by side); logsumexp per case.
  for (const fn of new Set(evaluable.map((p) => p.fn))) {
    const ps = evaluable.filter((p) => p.fn === fn);
    const f = FNS[fn]!(core);
    if (fn === "logsumexp") {
      for (const p of ps) {
        const out = core.withBackend(gpu, () => f(core.tensor(Float32Array.from(p.args32[0]!))));
        got.set(p, (await out.data())[0]!);
      }
      continue;
    }
    const arity = ps[0]!.args.length;
    const out = core.withBackend(gpu, () =>
      f(
        ...Array.from({ length: arity }, (_, i) =>
          core.tensor(Float32Array.from(ps.map((p) => p.args32[i]![0]!))),
        ),
      ),
    );
    const vals = await out.data();
    for (const [i, p] of ps.entries()) got.set(p, vals[i]!);
  }
  return prepared.map((p) => judge(core, p, got.get(p) ?? Number.NaN));
}

/** Per function: cases checked / skipped / failed and the case closest to its tolerance. */
export interface FnSummary {
  fn: string;
  checked: number;
  skipped: number;
  /** Checked cases by kind: finite, underflow, overflow, nonfinite. */
  kinds: Record<string, number>;
  failed: Outcome[];
  /** Largest err/tol over the finite comparisons, and that case. */
  worstRatio: number;
  worst?: Outcome;
  /** Largest error in result ulps over the finite (non-underflow) comparisons with float32-exact inputs. */
  worstUlps: number;
  worstUlpsCase?: Outcome;
}

export function summarize(outcomes: readonly Outcome[]): FnSummary[] {
  const by = new Map<string, FnSummary>();
  for (const o of outcomes) {
    const s = by.get(o.fn) ?? {
      fn: o.fn,
      checked: 0,
      skipped: 0,
      kinds: {},
      failed: [],
      worstRatio: 0,
      worstUlps: 0,
    };
    by.set(o.fn, s);
    if (o.status === "skip") {
      s.skipped++;
      continue;
    }
    s.checked++;
    s.kinds[o.kind] = (s.kinds[o.kind] ?? 0) + 1;
    if (o.status === "fail") s.failed.push(o);
    if (o.kind === "finite" || o.kind === "underflow") {
      const r = o.err / o.tol;
      if (!(r <= s.worstRatio)) {
        s.worstRatio = r;
        s.worst = o;
      }
      if (o.kind === "finite" && o.exact && !(o.ulps <= s.worstUlps)) {
        s.worstUlps = o.ulps;
        s.worstUlpsCase = o;
      }
    }
  }
  return [...by.values()];
}

const e1 = (v: number) => (Number.isFinite(v) ? v.toExponential(1) : String(v));

/** A report line per function, then the skipped cases and every failure. */
export function report(summaries: readonly FnSummary[], outcomes: readonly Outcome[]): string {
  const lines = summaries.map((s) => {
    const t = TOLERANCES[s.fn]!;
    const w = s.worst;
    const u = s.worstUlpsCase;
    const special = ["nonfinite", "overflow", "underflow"]
      .filter((k) => s.kinds[k])
      .map((k) => `${s.kinds[k]} ${k}`);
    return (
      `${s.fn.padEnd(12)} ${String(s.checked).padStart(2)} checked${special.length ? ` (${special.join(", ")})` : ""}, ${s.skipped} skipped; ` +
      `tol ${t.ulps} ulp + ${t.cond}κ; ` +
      `worst ${s.worstRatio.toFixed(2)} of tol${w ? ` at ${w.label} (err ${e1(w.ulps)} ulp, κ ${e1(w.kappa)} ulp)` : ""}; ` +
      `max ${e1(s.worstUlps)} ulp (exact inputs)${u ? ` at ${u.label}` : ""}`
    );
  });
  const skipped = outcomes.filter((o) => o.status === "skip").map((o) => `  skipped ${o.label}: ${o.kind}`);
  const failed = outcomes
    .filter((o) => o.status === "fail")
    .map(
      (o) =>
        `  FAIL ${o.label} [${o.kind}]: got ${o.got}, want ${o.want}, err ${e1(o.err)} > tol ${e1(o.tol)}`,
    );
  return [...lines, ...skipped, ...failed].join("\n");
}
