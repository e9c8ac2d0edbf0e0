/**
 * The non-centred shrinkage scales of SCRIBE's horseshoe and NEG priors (SCRIBE gene-level hierarchies),
 * shared by the gene-level hierarchies (`sites.ts`, `parameterization.ts`) and the per-factor
 * dataset effects (`datasets.ts`, `families/dataset-factors.ts`): the hyper-sites under a
 * prefix and the scale they give each element of a `{prefix}_raw` z ~ N(0, 1).
 *
 * - horseshoe ("regularized / Finnish"): τ ~ HalfCauchy(tau0) (`tau_{prefix}`, scalar),
 *   λ ~ HalfCauchy(1) (`lambda_{prefix}`, one per element), c² ~ InvGamma(slab_df/2,
 *   slab_df·slab_scale²/2) (`c_sq_{prefix}`, scalar); scale τ·c·λ/√(c² + τ²λ²).
 * - NEG: ζ ~ Gamma(a, rate τ) and ψ ~ Gamma(u, rate ζ) (`zeta_{prefix}`, `psi_{prefix}`, one per
 *   element); scale √ψ.
 *
 * Only tensor maths and site data: no model imports.
 * @module
 */
import { add, div, mul, sqrt, square, type Tensor } from "@scribe/core";
import type { HierarchySpec } from "./priors.js";
import type { SiteSpec } from "./sites.js";

/** A shrinkage family (the gaussian family has a single learned scale instead). */
export type ShrinkageSpec = Extract<HierarchySpec, { family: "horseshoe" | "neg" }>;

/**
 * Push the hyper-sites of a horseshoe / NEG scale over elements of shape `shape` (see the
 * module notes); the caller adds the `{prefix}_raw` site it scales.
 */
export function shrinkageHyperSites(
  prefix: string,
  shape: readonly number[],
  h: ShrinkageSpec,
  out: SiteSpec[],
): void {
  const hyper = (name: string, s: readonly number[], family: SiteSpec["family"]): void => {
    out.push({ name, shape: [...s], cell: false, family, role: "hyper" });
  };
  if (h.family === "horseshoe") {
    hyper(`tau_${prefix}`, [], { kind: "halfcauchy", scale: h.tau0 });
    hyper(`lambda_${prefix}`, shape, { kind: "halfcauchy", scale: 1 });
    hyper(`c_sq_${prefix}`, [], {
      kind: "invgamma",
      a: h.slabDf / 2,
      b: (h.slabDf * h.slabScale ** 2) / 2,
    });
  } else {
    hyper(`zeta_${prefix}`, shape, { kind: "gamma", conc: h.a, rate: h.tau });
    hyper(`psi_${prefix}`, shape, { kind: "gamma", conc: h.u, rate: `zeta_${prefix}` });
  }
}

/**
 * The per-element scale of a horseshoe / NEG prior from the latent values (module notes).
 * `elementRank`: the rank of one draw of the per-element sites, so the scalar τ and c² (which
 * carry only the values' leading sample axes) broadcast against λ.
 */
export function shrinkageScale(
  values: Readonly<Record<string, Tensor>>,
  prefix: string,
  h: ShrinkageSpec,
  elementRank: number,
): Tensor {
  const need = (name: string): Tensor => {
    const v = values[name];
    if (!v) throw new Error(`no value for site '${name}'`);
    return v;
  };
  if (h.family === "neg") return sqrt(need(`psi_${prefix}`));
  const scalar = (name: string) => {
    const t = need(name);
    return t.reshape([...t.shape, ...new Array<number>(elementRank).fill(1)]);
  };
  const tau = scalar(`tau_${prefix}`);
  const cSq = scalar(`c_sq_${prefix}`);
  const lam = need(`lambda_${prefix}`);
  return div(mul(mul(tau, sqrt(cSq)), lam), sqrt(add(cSq, square(mul(tau, lam)))));
}

/**
 * The value of a non-centred horseshoe / NEG site before any transform: loc + s ⊙ z, with
 * z = `{prefix}_raw`, s = {@link shrinkageScale} and loc the population location `locName`
 * (of lower rank: it broadcasts over the leading element axes). `elementRank`: the rank of one
 * draw of z (values may carry leading sample axes).
 */
export function shrunkValue(
  values: Readonly<Record<string, Tensor>>,
  prefix: string,
  locName: string,
  h: ShrinkageSpec,
  elementRank: number,
): Tensor {
  const z = values[`${prefix}_raw`];
  if (!z) throw new Error(`no value for site '${prefix}_raw'`);
  const loc = values[locName];
  if (!loc) throw new Error(`no value for site '${locName}'`);
  const lead = z.rank - elementRank;
  // the location's own axes are the trailing ones of an element: ones between the sample axes and them
  const missing = elementRank - (loc.rank - lead);
  const s = [...loc.shape];
  const lifted =
    missing > 0
      ? loc.reshape([...s.slice(0, lead), ...new Array<number>(missing).fill(1), ...s.slice(lead)])
      : loc;
  return add(lifted, mul(shrinkageScale(values, prefix, h, elementRank), z));
}
