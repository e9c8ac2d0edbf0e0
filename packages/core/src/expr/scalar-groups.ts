/**
 * Multi-output scalar ops: several scalar ops that are cheapest computed together. When a
 * fused loop needs any of them at the same arguments (a log-density and its partials), the
 * group's code is emitted once per element and each op reads its output. `js` receives the
 * argument expressions and the names to assign; it returns JS statements.
 */
export interface ScalarGroupDef {
  readonly outputs: number;
  readonly js: (args: readonly string[], outs: readonly string[], uid: string) => string;
}

/** Counts up to this use the product / sum loop inline (matches SHIFT_DIFF_DIRECT_MAX). */
const NB_DIRECT_MAX = 16;

/**
 * Statements defining lgd = lgamma(y+θ) − lgamma(θ) and dgd = ψ(y+θ) − ψ(θ): one loop over
 * log Π(θ+k) and Σ 1/(θ+k) for small integer counts, the shift-difference helpers otherwise.
 */
function shiftDiffs(th: string, y: string, u: string): string {
  return `let lgd${u}, dgd${u};
    if (${y} <= ${NB_DIRECT_MAX} && ${y} === Math.floor(${y}) && ${th} > 1e-100 && ${th} < 1e100) {
      let prod${u} = 1; dgd${u} = 0;
      for (let k = 0; k < ${y}; k++) { const t = ${th} + k; prod${u} *= t; dgd${u} += 1 / t; }
      lgd${u} = Math.log(prod${u});
    } else {
      lgd${u} = L.lgammaShiftDiff(${th}, ${y});
      dgd${u} = L.digammaShiftDiff(${th}, ${y});
    }`;
}

export const SCALAR_GROUPS = {
  /**
   * log NB(y | μ, θ) and its partials ∂/∂μ, ∂/∂θ, count-aware: y = 0 needs one log1p;
   * small integer y one loop for log Π(θ+k) and Σ 1/(θ+k); large y the shift-difference
   * helpers. log(θ/(θ+μ)) is written −log1p(μ/θ) so the Poisson limit keeps its digits.
   */
  nb2: {
    outputs: 3,
    js: ([y, mu, th], [v, dm, dt], u) => `
let ${v}, ${dm}, ${dt};
{
  const y${u} = ${y}, mu${u} = ${mu}, th${u} = ${th};
  const l1${u} = Math.log1p(mu${u} / th${u});
  const inv${u} = 1 / (th${u} + mu${u});
  if (y${u} === 0) {
    ${v} = -th${u} * l1${u};
    ${dm} = -th${u} * inv${u};
    ${dt} = mu${u} * inv${u} - l1${u};
  } else {
    ${shiftDiffs(`th${u}`, `y${u}`, u)}
    ${v} = mu${u} === 0 ? -Infinity : lgd${u} - L.lfactorial(y${u}) - th${u} * l1${u} - y${u} * Math.log1p(th${u} / mu${u});
    ${dm} = (th${u} * (y${u} - mu${u}) * inv${u}) / mu${u};
    ${dt} = dgd${u} - l1${u} + (mu${u} - y${u}) * inv${u};
  }
}`,
  },
  /**
   * log NB(y | r, p) in NumPyro's probs convention (p = success probability of the counted
   * events) and its partials ∂/∂r, ∂/∂p; same count-aware structure as `nb2`.
   */
  nbProbs: {
    outputs: 3,
    js: ([y, r, p], [v, dr, dp], u) => `
let ${v}, ${dr}, ${dp};
{
  const y${u} = ${y}, r${u} = ${r}, p${u} = ${p};
  const l1m${u} = Math.log1p(-p${u});
  if (y${u} === 0) {
    ${v} = r${u} * l1m${u};
    ${dr} = l1m${u};
    ${dp} = -r${u} / (1 - p${u});
  } else {
    ${shiftDiffs(`r${u}`, `y${u}`, u)}
    ${v} = lgd${u} - L.lfactorial(y${u}) + r${u} * l1m${u} + y${u} * Math.log(p${u});
    ${dr} = dgd${u} + l1m${u};
    ${dp} = y${u} / p${u} - r${u} / (1 - p${u});
  }
}`,
  },
  /** log NB(y | r, logits l) = ... − r·softplus(l) − y·softplus(−l), and ∂/∂r, ∂/∂l. */
  nbLogits: {
    outputs: 3,
    js: ([y, r, l], [v, dr, dl], u) => `
let ${v}, ${dr}, ${dl};
{
  const y${u} = ${y}, r${u} = ${r}, l${u} = ${l};
  const e${u} = Math.exp(-Math.abs(l${u}));
  const spPos${u} = Math.max(l${u}, 0) + Math.log1p(e${u});
  const sig${u} = l${u} >= 0 ? 1 / (1 + e${u}) : e${u} / (1 + e${u});
  if (y${u} === 0) {
    ${v} = -r${u} * spPos${u};
    ${dr} = -spPos${u};
    ${dl} = -r${u} * sig${u};
  } else {
    ${shiftDiffs(`r${u}`, `y${u}`, u)}
    ${v} = lgd${u} - L.lfactorial(y${u}) - r${u} * spPos${u} - y${u} * (spPos${u} - l${u});
    ${dr} = dgd${u} - spPos${u};
    ${dl} = y${u} - (r${u} + y${u}) * sig${u};
  }
}`,
  },
  /**
   * Zero-inflated NB(y | r, p) with gate probability g and its partials ∂/∂r, ∂/∂p, ∂/∂g.
   * At y = 0, log(g + (1−g)·NB(0)) is taken as log1p((1−g)·expm1(log NB(0))) when the result
   * is above −log 2 (a gate near 1 keeps its digits) and as the plain log otherwise.
   */
  zinbProbs: {
    outputs: 4,
    js: ([y, r, p, g], [v, dr, dp, dg], u) => `
let ${v}, ${dr}, ${dp}, ${dg};
{
  const y${u} = ${y}, r${u} = ${r}, p${u} = ${p}, g${u} = ${g};
  const l1m${u} = Math.log1p(-p${u});
  if (y${u} === 0) {
    const nb0${u} = r${u} * l1m${u};
    const e${u} = Math.exp(nb0${u});
    const a${u} = g${u} + (1 - g${u}) * e${u};
    ${v} = a${u} > 0.5 ? Math.log1p((1 - g${u}) * Math.expm1(nb0${u})) : Math.log(a${u});
    const w${u} = ((1 - g${u}) * e${u}) / a${u};
    ${dr} = w${u} * l1m${u};
    ${dp} = (-w${u} * r${u}) / (1 - p${u});
    ${dg} = (1 - e${u}) / a${u};
  } else {
    ${shiftDiffs("r" + u, "y" + u, u)}
    ${v} = Math.log1p(-g${u}) + lgd${u} - L.lfactorial(y${u}) + r${u} * l1m${u} + y${u} * Math.log(p${u});
    ${dr} = dgd${u} + l1m${u};
    ${dp} = y${u} / p${u} - r${u} / (1 - p${u});
    ${dg} = -1 / (1 - g${u});
  }
}`,
  },
  /**
   * PoissonBeta log-pmf of count u (α, β, λ; the node count K a constant argument) and its
   * partials ∂/∂α, ∂/∂β, ∂/∂λ: the five-piece Gauss–Legendre rule of
   * special/scalar/poisson-beta.ts, one library call per element writing a scratch array.
   */
  poissonBeta: {
    outputs: 4,
    js: ([y, a, b, l, k], [v, da, db, dl], u) => `
let ${v}, ${da}, ${db}, ${dl};
{
  const s${u} = L.pbScratch;
  L.poissonBetaInto(s${u}, ${y}, ${a}, ${b}, ${l}, ${k});
  ${v} = s${u}[0]; ${da} = s${u}[1]; ${db} = s${u}[2]; ${dl} = s${u}[3];
}`,
  },
} satisfies Record<string, ScalarGroupDef>;

export type ScalarGroupName = keyof typeof SCALAR_GROUPS;
