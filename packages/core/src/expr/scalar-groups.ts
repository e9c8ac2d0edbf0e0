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
    let lgd${u}, dgd${u};
    if (y${u} <= ${NB_DIRECT_MAX} && y${u} === Math.floor(y${u}) && th${u} > 1e-100 && th${u} < 1e100) {
      let p${u} = 1; dgd${u} = 0;
      for (let k = 0; k < y${u}; k++) { const t = th${u} + k; p${u} *= t; dgd${u} += 1 / t; }
      lgd${u} = Math.log(p${u});
    } else {
      lgd${u} = L.lgammaShiftDiff(th${u}, y${u});
      dgd${u} = L.digammaShiftDiff(th${u}, y${u});
    }
    ${v} = mu${u} === 0 ? -Infinity : lgd${u} - L.lfactorial(y${u}) - th${u} * l1${u} - y${u} * Math.log1p(th${u} / mu${u});
    ${dm} = (th${u} * (y${u} - mu${u}) * inv${u}) / mu${u};
    ${dt} = dgd${u} - l1${u} + (mu${u} - y${u}) * inv${u};
  }
}`,
  },
} satisfies Record<string, ScalarGroupDef>;

export type ScalarGroupName = keyof typeof SCALAR_GROUPS;
