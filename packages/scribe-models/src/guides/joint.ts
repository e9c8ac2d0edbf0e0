/**
 * The joint guide (SCRIBE guides, `joint_params` + `guide_rank` + `dense_params`): one Gaussian
 * over the unconstrained values of several core parameters, so the posterior correlation
 * between them (r and p, mu and phi, r and gate) is represented, which a product of
 * per-site factors cannot do.
 *
 * The joint parameters are taken in three groups, and the guide samples them by the chain
 * rule, one site at a time (each site's density is its conditional, so the sum of the sites'
 * log-densities is the joint's):
 *
 * 1. scalar parameters (p or phi shared by all genes): independent Normals,
 *    x_s = loc_s + sd_s·ε_s;
 * 2. the dense gene-level parameters (`denseParams`, with `guideRank` = k): one low-rank
 *    normal over their concatenation, z ~ N(0, W Wᵀ + diag(d)) with a shared factor W, shifted
 *    per gene by regressions on the scalars: x_a = loc_a + Σ_s c_{a,s} ⊙ (x_s − loc_s) + z_a.
 *    The first is drawn from its marginal, each next one from its conditional given those
 *    before (Woodbury: with M = I + W_<ᵀ D_<⁻¹ W_< = L Lᵀ, the conditional mean adds
 *    W_b M⁻¹ W_<ᵀ D_<⁻¹ (x_< − m_<) and the covariance is (W_b L⁻ᵀ)(W_b L⁻ᵀ)ᵀ + diag(d_b));
 * 3. the other gene-level joint parameters: per-gene linear coupling to every joint parameter
 *    before them, x_j = loc_j + Σ_i c_{j,i} ⊙ (x_i − loc_i) + sd_j·ε_j (without `guideRank`
 *    this is the whole guide: SCRIBE's "per-gene linear coupling only").
 *
 * Each value is pushed through its parameter's transform (exp for LogNormal priors). For the
 * results the same parameters give each site's exact marginal ({@link jointMarginals}):
 * x_j − loc_j = F_j·ε_shared + Σ_src e_{j,src} ⊙ ε_src, so the marginal is a low-rank normal
 * with factor F_j and diagonal Σ_src e². Parameter names: `{site}_loc/_scale` (scalars and
 * coupled sites, as the mean-field factors), `[log_]{site}_loc/_W/_raw_diag` (dense sites,
 * as the low-rank factor), and `{site}_coupling_{other}` for each regression coefficient
 * (shape of the site, initialized at 0, so a fit starts from the mean-field/low-rank guide).
 * @module
 */
import {
  add,
  cholesky,
  choleskySolve,
  concat,
  eye,
  full,
  matmul,
  mT,
  mul,
  softplus,
  sqrt,
  square,
  squeeze,
  sub,
  type Tensor,
  triangularSolve,
  unsqueeze,
} from "@scribe/core";
import {
  type Distribution,
  ExpTransform,
  LogNormal,
  LowRankMultivariateNormal,
  type Transform,
  TransformedDistribution,
} from "@scribe/distributions";
import type { CoreParam, ModelConfig } from "../models/config.js";
import { geneLocTensor, type SiteSpec } from "../models/sites.js";
import { makeTransform, TransformedNormal } from "../models/transformed-normal.js";
import { lowRankParamNames, meanFieldParamNames, type ParamGetter } from "./factors.js";

/** The joint sites of a configuration, in the order the guide draws them. */
export interface JointGroups {
  /** Scalar parameters (no gene axis). */
  readonly scalars: readonly SiteSpec[];
  /** Gene-level parameters sharing the low-rank factor. */
  readonly dense: readonly SiteSpec[];
  /** Gene-level parameters coupled per gene to those before them. */
  readonly coupled: readonly SiteSpec[];
}

/** Whether a site is one of the joint guide's. */
export function isJointSite(cfg: ModelConfig, spec: SiteSpec): boolean {
  return !spec.cell && spec.role === "core" && cfg.jointParams.includes(spec.name as CoreParam);
}

/** The joint sites of `specs` in groups (empty groups when the configuration has no joint guide). */
export function jointGroups(cfg: ModelConfig, specs: readonly SiteSpec[]): JointGroups {
  const sites = specs.filter((s) => isJointSite(cfg, s));
  const geneLevel = (s: SiteSpec) => s.shape.length > 0 && s.shape[s.shape.length - 1] === cfg.nGenes;
  const order = (xs: SiteSpec[]) =>
    xs.sort(
      (a, b) => cfg.jointParams.indexOf(a.name as CoreParam) - cfg.jointParams.indexOf(b.name as CoreParam),
    );
  return {
    scalars: order(sites.filter((s) => !geneLevel(s))),
    dense: order(sites.filter((s) => geneLevel(s) && cfg.denseParams.includes(s.name as CoreParam))),
    coupled: order(sites.filter((s) => geneLevel(s) && !cfg.denseParams.includes(s.name as CoreParam))),
  };
}

/** Name of the regression coefficient of `site` on `other`. */
export function couplingName(site: string, other: string): string {
  return `${site}_coupling_${other}`;
}

/** The names of the joint guide's parameters that belong to `spec` (see the module comment). */
export function jointParamNames(cfg: ModelConfig, specs: readonly SiteSpec[], spec: SiteSpec): string[] {
  const g = jointGroups(cfg, specs);
  if (g.scalars.includes(spec)) return meanFieldParamNames(spec);
  if (g.dense.includes(spec)) {
    const n = lowRankParamNames(spec);
    return [n.loc, n.W, n.rawDiag, ...g.scalars.map((s) => couplingName(spec.name, s.name))];
  }
  const earlier = [...g.scalars, ...g.dense, ...g.coupled.slice(0, g.coupled.indexOf(spec))];
  return [...meanFieldParamNames(spec), ...earlier.map((s) => couplingName(spec.name, s.name))];
}

/** The transform from the unconstrained line to the site's support. */
function transformOfSite(spec: SiteSpec): Transform {
  const f = spec.family;
  if (f.kind === "lognormal") return new ExpTransform();
  if (f.kind === "tnormal") return makeTransform(f.transform);
  throw new Error(
    `jointParams: site '${spec.name}' has a ${f.kind} prior; the joint guide needs a LogNormal or Normal+transform prior (set unconstrained: true)`,
  );
}

/** The prior location and scale of a site's unconstrained value (where its factor starts). */
function priorLocScale(spec: SiteSpec, shape: readonly number[]): { loc: Tensor; scale: number } {
  const f = spec.family;
  if (f.kind !== "lognormal" && f.kind !== "tnormal") throw new Error(transformError(spec));
  if (f.geneLoc)
    return { loc: geneLocTensor(f.geneLoc, shape), scale: typeof f.scale === "number" ? f.scale : 1 };
  const loc = typeof f.loc === "number" ? f.loc : 0;
  return { loc: full([...shape], loc), scale: typeof f.scale === "number" ? f.scale : 1 };
}

function transformError(spec: SiteSpec): string {
  return `jointParams: site '${spec.name}' has a ${spec.family.kind} prior; the joint guide needs a LogNormal or Normal+transform prior (set unconstrained: true)`;
}

/** A normal over unconstrained values pushed through the site's transform (LogNormal for LogNormal priors, so its KL stays closed-form). */
function elementwiseFactor(spec: SiteSpec, loc: Tensor, scale: Tensor): Distribution {
  const f = spec.family;
  if (f.kind === "lognormal") return new LogNormal(loc, scale, false);
  if (f.kind === "tnormal") return new TransformedNormal(loc, scale, f.transform);
  throw new Error(transformError(spec));
}

/** A low-rank normal over the last axis (leading axes promoted to event dims) pushed through the site's transform. */
function lowRankSiteFactor(spec: SiteSpec, loc: Tensor, factor: Tensor, diag: Tensor): Distribution {
  const mvn = new LowRankMultivariateNormal(loc, factor, diag, false);
  const lead = spec.shape.length - 1;
  return new TransformedDistribution(lead > 0 ? mvn.toEvent(lead) : mvn, transformOfSite(spec), false);
}

/** Parameters of the joint guide, read once through `get`. */
interface JointParams {
  readonly groups: JointGroups;
  readonly loc: Map<string, Tensor>;
  /** Scale of scalar and coupled sites. */
  readonly scale: Map<string, Tensor>;
  /** Dense sites: W [.., G, k] and d [.., G]. */
  readonly W: Map<string, Tensor>;
  readonly diag: Map<string, Tensor>;
  /** coupling.get(site).get(other). */
  readonly coupling: Map<string, Map<string, Tensor>>;
}

function readParams(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  initLocs: ReadonlyMap<string, Tensor>,
): JointParams {
  const groups = jointGroups(cfg, specs);
  const rank = cfg.guideRank ?? 0;
  const loc = new Map<string, Tensor>();
  const scale = new Map<string, Tensor>();
  const W = new Map<string, Tensor>();
  const diag = new Map<string, Tensor>();
  const coupling = new Map<string, Map<string, Tensor>>();
  const couple = (spec: SiteSpec, others: readonly SiteSpec[]) => {
    const m = new Map<string, Tensor>();
    for (const o of others) m.set(o.name, get(couplingName(spec.name, o.name), full([...spec.shape], 0), {}));
    coupling.set(spec.name, m);
  };
  for (const s of groups.scalars) {
    const [nLoc = "", nScale = ""] = meanFieldParamNames(s);
    const p = priorLocScale(s, s.shape);
    loc.set(s.name, get(nLoc, initLocs.get(s.name) ?? p.loc, {}));
    scale.set(s.name, get(nScale, full([...s.shape], p.scale), { positive: true }));
  }
  for (const s of groups.dense) {
    const n = lowRankParamNames(s);
    const p = priorLocScale(s, s.shape);
    loc.set(s.name, get(n.loc, initLocs.get(s.name) ?? p.loc, {}));
    W.set(s.name, get(n.W, full([...s.shape, rank], 0.01), {}));
    diag.set(s.name, softplus(get(n.rawDiag, full([...s.shape], -3), {})).add(1e-4));
    couple(s, groups.scalars);
  }
  groups.coupled.forEach((s, i) => {
    const [nLoc = "", nScale = ""] = meanFieldParamNames(s);
    const p = priorLocScale(s, s.shape);
    loc.set(s.name, get(nLoc, initLocs.get(s.name) ?? p.loc, {}));
    scale.set(s.name, get(nScale, full([...s.shape], p.scale), { positive: true }));
    couple(s, [...groups.scalars, ...groups.dense, ...groups.coupled.slice(0, i)]);
  });
  return { groups, loc, scale, W, diag, coupling };
}

/** A scalar's deviation broadcast against a gene-level site's shape [.., G]. */
function onGenes(x: Tensor): Tensor {
  return unsqueeze(x, -1);
}

/**
 * Draw the joint sites in the guide: `draw(spec, dist)` samples one site (the guide's
 * `sample`) and returns its constrained value. Returns the constrained values by site.
 */
export function sampleJoint(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  draw: (spec: SiteSpec, dist: Distribution) => Tensor,
  initLocs: ReadonlyMap<string, Tensor> = new Map(),
): Map<string, Tensor> {
  const P = readParams(cfg, specs, get, initLocs);
  const { scalars, dense, coupled } = P.groups;
  const out = new Map<string, Tensor>();
  /** Unconstrained deviations x − loc, by site. */
  const dev = new Map<string, Tensor>();
  const unconstrained = (spec: SiteSpec, y: Tensor) => transformOfSite(spec).inverse(y);
  for (const s of scalars) {
    const y = draw(s, elementwiseFactor(s, P.loc.get(s.name)!, P.scale.get(s.name)!));
    out.set(s.name, y);
    dev.set(s.name, sub(unconstrained(s, y), P.loc.get(s.name)!));
  }
  // the dense block: shifted by the scalars, then the chain rule inside the low-rank normal
  const means = new Map<string, Tensor>();
  for (const s of dense) {
    let m = P.loc.get(s.name)!;
    for (const o of scalars) m = add(m, mul(P.coupling.get(s.name)!.get(o.name)!, onGenes(dev.get(o.name)!)));
    means.set(s.name, m);
  }
  // Woodbury sums over the dense blocks drawn so far: Σ Wᵢᵀ Dᵢ⁻¹ Wᵢ [.., k, k] and Σ Wᵢᵀ Dᵢ⁻¹ δᵢ [.., k, 1]
  let gram: Tensor | null = null;
  let proj: Tensor | null = null;
  for (const s of dense) {
    const m = means.get(s.name)!;
    const Wb = P.W.get(s.name)!;
    const db = P.diag.get(s.name)!;
    let dist: Distribution;
    if (gram === null || proj === null) dist = lowRankSiteFactor(s, m, Wb, db);
    else {
      const k = Wb.shape[Wb.rank - 1]!;
      const L = cholesky(add(gram, eye(k, k, Wb.dtype)));
      const shift = squeeze(matmul(Wb, choleskySolve(L, proj)), -1);
      const factor = mT(triangularSolve(L, mT(Wb), { lower: true })); // W_b L⁻ᵀ
      dist = lowRankSiteFactor(s, add(m, shift), factor, db);
    }
    const y = draw(s, dist);
    out.set(s.name, y);
    const x = unconstrained(s, y);
    const WOverD = Wb.div(unsqueeze(db, -1));
    const g = matmul(mT(WOverD), Wb);
    const v = matmul(mT(WOverD), unsqueeze(sub(x, m), -1));
    gram = gram ? add(gram, g) : g;
    proj = proj ? add(proj, v) : v;
    dev.set(s.name, sub(x, P.loc.get(s.name)!));
  }
  for (const s of coupled) {
    let m = P.loc.get(s.name)!;
    for (const [o, c] of P.coupling.get(s.name)!) {
      const d = dev.get(o)!;
      m = add(m, mul(c, d.rank < m.rank ? onGenes(d) : d));
    }
    const y = draw(s, elementwiseFactor(s, m, P.scale.get(s.name)!.expand([...m.shape])));
    out.set(s.name, y);
    dev.set(s.name, sub(unconstrained(s, y), P.loc.get(s.name)!));
  }
  return out;
}

/**
 * The exact marginal factor of each joint site (for the results: MAP, quantiles, draws of a
 * single site). Correlations between sites are in the guide function, not in these.
 */
export function jointMarginals(
  cfg: ModelConfig,
  specs: readonly SiteSpec[],
  get: ParamGetter,
  initLocs: ReadonlyMap<string, Tensor> = new Map(),
): Map<string, Distribution> {
  const P = readParams(cfg, specs, get, initLocs);
  const { scalars, dense, coupled } = P.groups;
  const out = new Map<string, Distribution>();
  for (const s of scalars) out.set(s.name, elementwiseFactor(s, P.loc.get(s.name)!, P.scale.get(s.name)!));
  // x − loc = F·ε_shared + Σ_src e_src ⊙ ε_src; shared columns: one per scalar, then W's k
  const F = new Map<string, Tensor | null>();
  const E = new Map<string, Map<string, Tensor>>();
  const scalarColumns = (site: string): Tensor[] =>
    scalars.map((o) => unsqueeze(mul(P.coupling.get(site)!.get(o.name)!, onGenes(P.scale.get(o.name)!)), -1));
  for (const s of dense) {
    F.set(s.name, concat([...scalarColumns(s.name), P.W.get(s.name)!], -1));
    E.set(s.name, new Map([[s.name, sqrt(P.diag.get(s.name)!)]]));
  }
  const nShared = scalars.length + (dense.length > 0 ? (cfg.guideRank ?? 0) : 0);
  for (const s of coupled) {
    const loc = P.loc.get(s.name)!;
    let f: Tensor | null = null;
    const e = new Map<string, Tensor>([[s.name, P.scale.get(s.name)!.expand([...loc.shape])]]);
    const cs = P.coupling.get(s.name)!;
    const cols = scalarColumns(s.name);
    if (nShared > 0) {
      const pad = nShared - cols.length;
      f = concat(pad > 0 ? [...cols, full([...loc.shape, pad], 0)] : cols, -1);
    }
    for (const o of [...dense, ...coupled.slice(0, coupled.indexOf(s))]) {
      const c = cs.get(o.name)!;
      const fo = F.get(o.name);
      if (fo && f) f = add(f, mul(unsqueeze(c, -1), fo));
      for (const [src, eo] of E.get(o.name)!)
        e.set(src, e.has(src) ? add(e.get(src)!, mul(c, eo)) : mul(c, eo));
    }
    F.set(s.name, f);
    E.set(s.name, e);
  }
  for (const s of [...dense, ...coupled]) {
    const loc = P.loc.get(s.name)!;
    let variance: Tensor | null = null;
    for (const eo of E.get(s.name)!.values()) variance = variance ? add(variance, square(eo)) : square(eo);
    const f = F.get(s.name);
    out.set(s.name, f ? lowRankSiteFactor(s, loc, f, variance!) : elementwiseFactor(s, loc, sqrt(variance!)));
  }
  return out;
}
