import type { DType } from "../tensor/dtype.js";
import type { ScalarGroupName } from "./scalar-groups.js";

/**
 * The scalar vocabulary of fused elementwise kernels. Each entry is a JS expression template
 * over argument expressions; `L` is the scalar special-function library in generated code.
 * Gradients live in ops/elementwise-vjp.ts, typed against these names, so an op without a
 * gradient rule is a compile error.
 */
export interface ScalarOpDef {
  readonly arity: 1 | 2 | 3 | 4 | 5;
  readonly js: (...a: string[]) => string;
  /** Output dtype rule: same as promoted inputs, float (ints promote to float32), or bool. */
  readonly out: "same" | "float" | "bool";
  /** Rough cost per element (an add is 1); expensive subtrees are realized, not recomputed. */
  readonly cost: number;
  /** Output `output` of a multi-output group, computed once with its siblings in fused loops. */
  readonly group?: { readonly name: ScalarGroupName; readonly output: number };
}

const u = (js: (a: string) => string, out: ScalarOpDef["out"] = "float", cost = 4): ScalarOpDef => ({
  arity: 1,
  js: (a) => js(a!),
  out,
  cost,
});
const b = (
  js: (a: string, b: string) => string,
  out: ScalarOpDef["out"] = "same",
  cost = 1,
): ScalarOpDef => ({
  arity: 2,
  js: (a, c) => js(a!, c!),
  out,
  cost,
});

export const SCALAR_OPS = {
  // identity: casts (the node's dtype is the target) and broadcasts (the node's shape is the target)
  identity: u((a) => a, "same", 0),
  toBool: u((a) => `(${a}?1:0)`, "bool", 0),
  // unary arithmetic
  neg: u((a) => `(-${a})`, "same", 1),
  abs: u((a) => `Math.abs(${a})`, "same", 1),
  sign: u((a) => `Math.sign(${a})`, "same", 1),
  square: u((a) => `(${a}*${a})`, "same", 1),
  reciprocal: u((a) => `(1/${a})`, "float", 1),
  sqrt: u((a) => `Math.sqrt(${a})`, "float", 2),
  rsqrt: u((a) => `(1/Math.sqrt(${a}))`, "float", 2),
  exp: u((a) => `Math.exp(${a})`),
  log: u((a) => `Math.log(${a})`),
  log1p: u((a) => `Math.log1p(${a})`),
  expm1: u((a) => `Math.expm1(${a})`),
  sin: u((a) => `Math.sin(${a})`),
  cos: u((a) => `Math.cos(${a})`),
  tan: u((a) => `Math.tan(${a})`),
  tanh: u((a) => `Math.tanh(${a})`),
  sigmoid: u((a) => `L.sigmoid(${a})`),
  relu: u((a) => `(${a}>0?${a}:0)`, "same", 1),
  floor: u((a) => `Math.floor(${a})`, "same", 1),
  ceil: u((a) => `Math.ceil(${a})`, "same", 1),
  round: u((a) => `L.roundHalfEven(${a})`, "same", 1),
  isnan: u((a) => `(${a}!==${a}?1:0)`, "bool", 1),
  isfinite: u((a) => `(Number.isFinite(${a})?1:0)`, "bool", 1),
  logicalNot: u((a) => `(${a}?0:1)`, "bool", 1),
  // special functions (scalar implementations in special/scalar)
  lgamma: u((a) => `L.lgamma(${a})`, "float", 40),
  digamma: u((a) => `L.digamma(${a})`, "float", 40),
  trigamma: u((a) => `L.trigamma(${a})`, "float", 40),
  softplus: u((a) => `L.softplus(${a})`, "float", 8),
  logSigmoid: u((a) => `L.logSigmoid(${a})`, "float", 8),
  erf: u((a) => `L.erf(${a})`, "float", 20),
  erfc: u((a) => `L.erfc(${a})`, "float", 20),
  ndtri: u((a) => `L.ndtri(${a})`, "float", 30),
  logNdtr: u((a) => `L.logNdtr(${a})`, "float", 30),
  // binary
  add: b((a, c) => `(${a}+${c})`),
  sub: b((a, c) => `(${a}-${c})`),
  mul: b((a, c) => `(${a}*${c})`),
  div: b((a, c) => `(${a}/${c})`, "float"),
  pow: b((a, c) => `Math.pow(${a},${c})`, "float", 8),
  maximum: b((a, c) => `L.maximum(${a},${c})`),
  minimum: b((a, c) => `L.minimum(${a},${c})`),
  atan2: b((a, c) => `Math.atan2(${a},${c})`, "float", 8),
  eq: b((a, c) => `(${a}===${c}?1:0)`, "bool"),
  ne: b((a, c) => `(${a}!==${c}?1:0)`, "bool"),
  lt: b((a, c) => `(${a}<${c}?1:0)`, "bool"),
  le: b((a, c) => `(${a}<=${c}?1:0)`, "bool"),
  gt: b((a, c) => `(${a}>${c}?1:0)`, "bool"),
  ge: b((a, c) => `(${a}>=${c}?1:0)`, "bool"),
  logicalAnd: b((a, c) => `(${a}&&${c}?1:0)`, "bool"),
  logicalOr: b((a, c) => `(${a}||${c}?1:0)`, "bool"),
  xlogy: b((a, c) => `L.xlogy(${a},${c})`, "float", 5),
  xlog1py: b((a, c) => `L.xlog1py(${a},${c})`, "float", 5),
  betaln: b((a, c) => `L.betaln(${a},${c})`, "float", 80),
  gammainc: b((a, c) => `L.gammainc(${a},${c})`, "float", 200),
  gammaincc: b((a, c) => `L.gammaincc(${a},${c})`, "float", 200),
  gammaincGradA: b((a, c) => `L.gammaincGradA(${a},${c})`, "float", 400),
  gammaSampleGrad: b((a, c) => `L.gammaSampleGrad(${a},${c})`, "float", 400),
  // count-aware pieces of negative-binomial log-probabilities: (theta, y) with integer y >= 0
  lgammaShiftDiff: b((a, c) => `L.lgammaShiftDiff(${a},${c})`, "float", 30),
  digammaShiftDiff: b((a, c) => `L.digammaShiftDiff(${a},${c})`, "float", 30),
  trigammaShiftDiff: b((a, c) => `L.trigammaShiftDiff(${a},${c})`, "float", 30),
  lfactorial: u((a) => `L.lfactorial(${a})`, "float", 3),
  // ternary
  where: { arity: 3, js: (c, a, d) => `(${c}?${a}:${d})`, out: "same", cost: 1 },
  betainc: { arity: 3, js: (a, c, x) => `L.betainc(${a},${c},${x})`, out: "float", cost: 300 },
  betaincGradA: { arity: 3, js: (a, c, x) => `L.betaincGradA(${a},${c},${x})`, out: "float", cost: 600 },
  betaincGradB: { arity: 3, js: (a, c, x) => `L.betaincGradB(${a},${c},${x})`, out: "float", cost: 600 },
  // fused negative-binomial log-pmf and partials, count-aware (see ops/negative-binomial.ts)
  nb2LogPmf: {
    arity: 3,
    js: (y, m, t) => `L.nb2LogPmf(${y},${m},${t})`,
    out: "float",
    cost: 30,
    group: { name: "nb2", output: 0 },
  },
  nb2GradMean: {
    arity: 3,
    js: (y, m, t) => `L.nb2GradMean(${y},${m},${t})`,
    out: "float",
    cost: 3,
    group: { name: "nb2", output: 1 },
  },
  nb2GradConc: {
    arity: 3,
    js: (y, m, t) => `L.nb2GradConc(${y},${m},${t})`,
    out: "float",
    cost: 30,
    group: { name: "nb2", output: 2 },
  },
  nbProbsLogPmf: {
    arity: 3,
    js: (y, r, p) => `L.nbProbsLogPmf(${y},${r},${p})`,
    out: "float",
    cost: 30,
    group: { name: "nbProbs", output: 0 },
  },
  nbProbsGradR: {
    arity: 3,
    js: (y, r, p) => `L.nbProbsGradR(${y},${r},${p})`,
    out: "float",
    cost: 30,
    group: { name: "nbProbs", output: 1 },
  },
  nbProbsGradP: {
    arity: 3,
    js: (y, r, p) => `L.nbProbsGradP(${y},${r},${p})`,
    out: "float",
    cost: 3,
    group: { name: "nbProbs", output: 2 },
  },
  nbLogitsLogPmf: {
    arity: 3,
    js: (y, r, l) => `L.nbLogitsLogPmf(${y},${r},${l})`,
    out: "float",
    cost: 30,
    group: { name: "nbLogits", output: 0 },
  },
  nbLogitsGradR: {
    arity: 3,
    js: (y, r, l) => `L.nbLogitsGradR(${y},${r},${l})`,
    out: "float",
    cost: 30,
    group: { name: "nbLogits", output: 1 },
  },
  nbLogitsGradLogits: {
    arity: 3,
    js: (y, r, l) => `L.nbLogitsGradLogits(${y},${r},${l})`,
    out: "float",
    cost: 3,
    group: { name: "nbLogits", output: 2 },
  },
  zinbProbsLogPmf: {
    arity: 4,
    js: (y, r, p, g) => `L.zinbProbsLogPmf(${y},${r},${p},${g})`,
    out: "float",
    cost: 30,
    group: { name: "zinbProbs", output: 0 },
  },
  zinbProbsGradR: {
    arity: 4,
    js: (y, r, p, g) => `L.zinbProbsGradR(${y},${r},${p},${g})`,
    out: "float",
    cost: 30,
    group: { name: "zinbProbs", output: 1 },
  },
  zinbProbsGradP: {
    arity: 4,
    js: (y, r, p, g) => `L.zinbProbsGradP(${y},${r},${p},${g})`,
    out: "float",
    cost: 5,
    group: { name: "zinbProbs", output: 2 },
  },
  zinbProbsGradGate: {
    arity: 4,
    js: (y, r, p, g) => `L.zinbProbsGradGate(${y},${r},${p},${g})`,
    out: "float",
    cost: 5,
    group: { name: "zinbProbs", output: 3 },
  },
  // fused Poisson–Beta log-pmf and partials (u, α, β, λ, node count); see ops/negative-binomial.ts
  poissonBetaLogPmf: {
    arity: 5,
    js: (y, a, c, l, k) => `(L.poissonBetaInto(L.pbScratch,${y},${a},${c},${l},${k}),L.pbScratch[0])`,
    out: "float",
    cost: 4000,
    group: { name: "poissonBeta", output: 0 },
  },
  poissonBetaGradAlpha: {
    arity: 5,
    js: (y, a, c, l, k) => `(L.poissonBetaInto(L.pbScratch,${y},${a},${c},${l},${k}),L.pbScratch[1])`,
    out: "float",
    cost: 4000,
    group: { name: "poissonBeta", output: 1 },
  },
  poissonBetaGradBeta: {
    arity: 5,
    js: (y, a, c, l, k) => `(L.poissonBetaInto(L.pbScratch,${y},${a},${c},${l},${k}),L.pbScratch[2])`,
    out: "float",
    cost: 4000,
    group: { name: "poissonBeta", output: 2 },
  },
  poissonBetaGradRate: {
    arity: 5,
    js: (y, a, c, l, k) => `(L.poissonBetaInto(L.pbScratch,${y},${a},${c},${l},${k}),L.pbScratch[3])`,
    out: "float",
    cost: 4000,
    group: { name: "poissonBeta", output: 3 },
  },
} satisfies Record<string, ScalarOpDef>;

export type ScalarOpName = keyof typeof SCALAR_OPS;

export function scalarOpDef(name: ScalarOpName): ScalarOpDef {
  return SCALAR_OPS[name];
}

/** Output dtype of a scalar op given its promoted input dtype. */
export function scalarOpOutDtype(name: ScalarOpName, inDtype: DType): DType {
  const rule = SCALAR_OPS[name].out;
  if (rule === "bool") return "bool";
  if (rule === "float") return inDtype === "float64" ? "float64" : "float32";
  return inDtype;
}

/** Where the generic test suites sample each argument (continuous unless `integer`). */
export interface TestDomain {
  readonly lo: number;
  readonly hi: number;
  readonly integer?: boolean;
}

const R = (lo: number, hi: number): TestDomain => ({ lo, hi });
const Z = (lo: number, hi: number): TestDomain => ({ lo, hi, integer: true });
const STD = R(-2, 2);
const POS = R(0.2, 4);

/**
 * The domain on which generic tests (finite-difference gradients, reference values,
 * cpu-vs-webgpu agreement) check each scalar op; typed against the op table so every op has one.
 */
export const SCALAR_OP_TEST_DOMAINS: Record<ScalarOpName, readonly TestDomain[]> = {
  identity: [STD],
  toBool: [STD],
  neg: [STD],
  abs: [STD],
  sign: [STD],
  square: [STD],
  reciprocal: [POS],
  sqrt: [POS],
  rsqrt: [POS],
  exp: [STD],
  log: [POS],
  log1p: [R(-0.5, 3)],
  expm1: [STD],
  sin: [STD],
  cos: [STD],
  tan: [R(-1, 1)],
  tanh: [STD],
  sigmoid: [R(-5, 5)],
  relu: [STD],
  floor: [STD],
  ceil: [STD],
  round: [STD],
  isnan: [STD],
  isfinite: [STD],
  logicalNot: [STD],
  lgamma: [R(0.1, 12)],
  digamma: [R(0.1, 12)],
  trigamma: [R(0.1, 12)],
  softplus: [R(-8, 8)],
  logSigmoid: [R(-8, 8)],
  erf: [STD],
  erfc: [STD],
  ndtri: [R(0.02, 0.98)],
  logNdtr: [R(-6, 4)],
  lfactorial: [R(0.5, 10)],
  add: [STD, STD],
  sub: [STD, STD],
  mul: [STD, STD],
  div: [STD, POS],
  pow: [POS, STD],
  maximum: [STD, STD],
  minimum: [STD, STD],
  atan2: [STD, POS],
  eq: [STD, STD],
  ne: [STD, STD],
  lt: [STD, STD],
  le: [STD, STD],
  gt: [STD, STD],
  ge: [STD, STD],
  logicalAnd: [STD, STD],
  logicalOr: [STD, STD],
  xlogy: [STD, POS],
  xlog1py: [STD, R(-0.5, 3)],
  betaln: [R(0.2, 8), R(0.2, 8)],
  gammainc: [R(0.5, 6), R(0.2, 6)],
  gammaincc: [R(0.5, 6), R(0.2, 6)],
  gammaincGradA: [R(0.5, 6), R(0.2, 6)],
  gammaSampleGrad: [R(0.5, 6), R(0.2, 6)],
  lgammaShiftDiff: [R(0.1, 20), Z(0, 30)],
  digammaShiftDiff: [R(0.1, 20), Z(0, 30)],
  trigammaShiftDiff: [R(0.1, 20), Z(0, 30)],
  where: [Z(0, 1), STD, STD],
  betainc: [R(0.5, 6), R(0.5, 6), R(0.05, 0.95)],
  betaincGradA: [R(0.5, 6), R(0.5, 6), R(0.05, 0.95)],
  betaincGradB: [R(0.5, 6), R(0.5, 6), R(0.05, 0.95)],
  nb2LogPmf: [Z(0, 40), R(0.1, 20), R(0.05, 50)],
  nb2GradMean: [Z(0, 40), R(0.1, 20), R(0.05, 50)],
  nb2GradConc: [Z(0, 40), R(0.1, 20), R(0.05, 50)],
  nbProbsLogPmf: [Z(0, 40), R(0.05, 20), R(0.05, 0.95)],
  nbProbsGradR: [Z(0, 40), R(0.05, 20), R(0.05, 0.95)],
  nbProbsGradP: [Z(0, 40), R(0.05, 20), R(0.05, 0.95)],
  nbLogitsLogPmf: [Z(0, 40), R(0.05, 20), R(-4, 4)],
  nbLogitsGradR: [Z(0, 40), R(0.05, 20), R(-4, 4)],
  nbLogitsGradLogits: [Z(0, 40), R(0.05, 20), R(-4, 4)],
  zinbProbsLogPmf: [Z(0, 4), R(0.05, 20), R(0.05, 0.95), R(0.02, 0.98)],
  zinbProbsGradR: [Z(0, 4), R(0.05, 20), R(0.05, 0.95), R(0.02, 0.98)],
  zinbProbsGradP: [Z(0, 4), R(0.05, 20), R(0.05, 0.95), R(0.02, 0.98)],
  zinbProbsGradGate: [Z(0, 4), R(0.05, 20), R(0.05, 0.95), R(0.02, 0.98)],
  poissonBetaLogPmf: [Z(0, 20), R(0.2, 5), R(0.2, 5), R(0.5, 50), Z(192, 192)],
  poissonBetaGradAlpha: [Z(0, 20), R(0.2, 5), R(0.2, 5), R(0.5, 50), Z(192, 192)],
  poissonBetaGradBeta: [Z(0, 20), R(0.2, 5), R(0.2, 5), R(0.5, 50), Z(192, 192)],
  poissonBetaGradRate: [Z(0, 20), R(0.2, 5), R(0.2, 5), R(0.5, 50), Z(192, 192)],
};
