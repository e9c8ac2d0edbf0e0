/**
 * Log-ratio coordinates of compositions (SCRIBE `scribe.de`): CLR (centred), ALR (against one
 * reference gene), ILR on the Helmert basis, IQLR and an explicit reference set (centred on the
 * mean log-abundance of a set of genes), and the balance of a gene set against the rest.
 * Aitchison, "The statistical analysis of compositional data" (1986); Egozcue et al.,
 * "Isometric logratio transformations for compositional data analysis", Math. Geol. 35 (2003)
 * for the Helmert (ILR) basis; ALDEx2 (Fernandes et al. 2014) for IQLR.
 *
 * All functions work on one draw: a row of log-abundances (any scale — every log-ratio is
 * invariant to normalisation).
 * @module
 */

/** Which log-ratio coordinates to compare in. */
export type Reference = "clr" | "alr" | "ilr" | "iqlr" | { readonly genes: readonly (string | number)[] };

/** CLR: out_j = l_j − mean(l) over the first `n` entries of `l`. */
export function clrRow(l: ArrayLike<number>, out: Float64Array, n = l.length): Float64Array {
  let s = 0;
  for (let j = 0; j < n; j++) s += l[j]!;
  const m = s / n;
  for (let j = 0; j < n; j++) out[j] = l[j]! - m;
  return out;
}

/**
 * ILR on the Helmert basis: for i = 1 … D−1,
 * y_i = √(i/(i+1)) · (mean(l_1..l_i) − l_{i+1}) — coordinate i contrasts part i+1 with the
 * parts before it. Rows of {@link helmertBasis} applied to l, in O(D).
 */
export function ilrRow(l: ArrayLike<number>, out: Float64Array, n = l.length): Float64Array {
  let s = 0;
  for (let i = 1; i < n; i++) {
    s += l[i - 1]!;
    out[i - 1] = Math.sqrt(i / (i + 1)) * (s / i - l[i]!);
  }
  return out;
}

/**
 * The (D−1) × D Helmert basis (row-major): row i−1 has 1/√(i(i+1)) in columns 1..i,
 * −i/√(i(i+1)) in column i+1 and 0 after. Rows are orthonormal and orthogonal to the ones
 * vector, so ILR(x) = H·log x = H·CLR(x).
 * @example
 * helmertBasis(3); // [[1/√2, −1/√2, 0], [1/√6, 1/√6, −2/√6]]
 */
export function helmertBasis(D: number): Float64Array {
  if (!Number.isInteger(D) || D < 2) throw new Error(`helmertBasis: need at least 2 parts, got ${D}`);
  const H = new Float64Array((D - 1) * D);
  for (let i = 1; i < D; i++) {
    const c = 1 / Math.sqrt(i * (i + 1));
    for (let j = 0; j < i; j++) H[(i - 1) * D + j] = c;
    H[(i - 1) * D + i] = -i * c;
  }
  return H;
}

/**
 * Balance vector of a set S (n₊ parts) against the rest (n₋ parts): +√(n₋/(n₊(n₊+n₋))) in S,
 * −√(n₊/(n₋(n₊+n₋))) outside; unit length and orthogonal to the ones vector, so the balance
 * v·log x = v·CLR(x) = √(n₊n₋/(n₊+n₋))·(mean_S log x − mean_rest log x).
 */
export function balanceVector(inSet: ArrayLike<boolean>): Float64Array {
  const D = inSet.length;
  let np = 0;
  for (let j = 0; j < D; j++) if (inSet[j]) np++;
  const nm = D - np;
  if (np === 0 || nm === 0)
    throw new Error(`balance: the set must hold between 1 and ${D - 1} of the ${D} parts, got ${np}`);
  const a = Math.sqrt(nm / (np * D));
  const b = -Math.sqrt(np / (nm * D));
  const v = new Float64Array(D);
  for (let j = 0; j < D; j++) v[j] = inSet[j] ? a : b;
  return v;
}

/**
 * The coordinates of one reference over D columns (kept genes, then an optional trailing
 * "other" column that enters the transform and is then dropped).
 */
export class LogRatioPlan {
  /** Number of output coordinates. */
  readonly nOut: number;
  /** Names of the output coordinates (gene names; ILR: `ilr_<gene>` for the part each contrasts). */
  readonly names: string[];
  /** Index (into the kept genes) of each output coordinate that is a gene; −1 for ILR coordinates. */
  readonly geneIndex: Int32Array;
  /** Which map: centred, against one gene, Helmert ILR, or centred on a reference set (IQLR too). */
  readonly kind: "clr" | "alr" | "ilr" | "set";
  /** Number of input parts D (kept genes + an optional "other" column). */
  readonly D: number;
  /** ALR: the reference gene's index (−1 otherwise). */
  readonly alrRef: number;
  /** Reference set (kind "set"; empty otherwise). */
  readonly refSet: Int32Array;
  private readonly work: Float64Array;

  /**
   * @param genes - names of the kept genes (columns 0…n−1)
   * @param hasOther - whether column n is an "other" column
   * @param reference - "clr", "alr", "ilr", or a reference set (IQLR resolves to one); ALR uses
   *   `alrReference` (a kept gene's index, default the last kept gene)
   */
  constructor(
    genes: readonly string[],
    hasOther: boolean,
    reference: "clr" | "alr" | "ilr" | { set: Int32Array },
    alrReference?: number,
  ) {
    const n = genes.length;
    this.D = n + (hasOther ? 1 : 0);
    if (this.D < 2) throw new Error(`log-ratios need at least 2 parts, got ${this.D}`);
    this.work = new Float64Array(this.D);
    this.alrRef = -1;
    this.refSet = new Int32Array(0);
    if (reference === "clr") {
      this.kind = "clr";
      this.names = [...genes];
      this.geneIndex = Int32Array.from(genes, (_, i) => i);
    } else if (reference === "alr") {
      this.kind = "alr";
      const r = alrReference ?? n - 1;
      if (!Number.isInteger(r) || r < 0 || r >= n)
        throw new Error(`ALR reference gene index ${r} is out of range [0, ${n})`);
      this.alrRef = r;
      const idx = Array.from(genes, (_, i) => i).filter((i) => i !== r);
      this.names = idx.map((i) => genes[i]!);
      this.geneIndex = Int32Array.from(idx);
    } else if (reference === "ilr") {
      this.kind = "ilr";
      // coordinate i contrasts part i+1 with parts 0..i; with an "other" column the last
      // coordinate (other against all genes) is dropped
      this.names = genes.slice(1).map((g) => `ilr_${g}`);
      this.geneIndex = new Int32Array(n - 1).fill(-1);
    } else {
      this.kind = "set";
      if (reference.set.length === 0) throw new Error("log-ratio reference set is empty");
      for (const j of reference.set)
        if (j < 0 || j >= n) throw new Error(`reference gene index ${j} is out of range [0, ${n})`);
      this.refSet = reference.set;
      this.names = [...genes];
      this.geneIndex = Int32Array.from(genes, (_, i) => i);
    }
    this.nOut = this.names.length;
  }

  /** Write the output coordinates of one row of log-abundances `l` (length D) into `out`. */
  apply(l: ArrayLike<number>, out: Float64Array, outOffset = 0): void {
    const n = this.nOut;
    switch (this.kind) {
      case "clr": {
        let s = 0;
        for (let j = 0; j < this.D; j++) s += l[j]!;
        const m = s / this.D;
        for (let j = 0; j < n; j++) out[outOffset + j] = l[j]! - m;
        return;
      }
      case "alr": {
        const ref = l[this.alrRef]!;
        const gi = this.geneIndex;
        for (let j = 0; j < n; j++) out[outOffset + j] = l[gi[j]!]! - ref;
        return;
      }
      case "ilr": {
        ilrRow(l, this.work, this.D);
        for (let j = 0; j < n; j++) out[outOffset + j] = this.work[j]!;
        return;
      }
      case "set": {
        let s = 0;
        for (const j of this.refSet) s += l[j]!;
        const m = s / this.refSet.length;
        for (let j = 0; j < n; j++) out[outOffset + j] = l[j]! - m;
        return;
      }
    }
  }
}

/**
 * The linear algebra of a plan for Gaussian log-abundances (the parametric method): every
 * output coordinate is a contrast a_j·l (a_j sums to 0), so with l ~ N(μ, W Wᵀ + diag(d)) over
 * the D parts, coordinate j has mean a_j·μ and variance ‖W_ᵀa_j‖² + Σ_i d_i a_ji². The mean and
 * the W part follow from {@link LogRatioPlan.apply} (linear in l); the diagonal part needs the
 * squared weights, given here in closed form per map in O(D).
 */
export function diagonalQuadratic(plan: LogRatioPlan, d: ArrayLike<number>, out: Float64Array): Float64Array {
  const n = plan.nOut;
  const D = plan.D;
  switch (plan.kind) {
    case "clr": {
      // a_j = e_j − 1/D: d_j(1 − 2/D) + Σd/D²
      let s = 0;
      for (let i = 0; i < D; i++) s += d[i]!;
      for (let j = 0; j < n; j++) out[j] = d[j]! * (1 - 2 / D) + s / (D * D);
      return out;
    }
    case "alr": {
      const ref = d[plan.alrRef]!;
      for (let j = 0; j < n; j++) out[j] = d[plan.geneIndex[j]!]! + ref;
      return out;
    }
    case "ilr": {
      // coordinate i (1-based): 1/√(i(i+1)) on parts 0..i−1, −i/√(i(i+1)) on part i
      let prefix = 0;
      for (let i = 1; i <= n; i++) {
        prefix += d[i - 1]!;
        out[i - 1] = prefix / (i * (i + 1)) + (d[i]! * i) / (i + 1);
      }
      return out;
    }
    case "set": {
      // a_j = e_j − 1_S/|S|
      const k = plan.refSet.length;
      let s = 0;
      const inSet = new Uint8Array(D);
      for (const i of plan.refSet) {
        s += d[i]!;
        inSet[i] = 1;
      }
      for (let j = 0; j < n; j++) out[j] = d[j]! * (1 - (2 * inSet[j]!) / k) + s / (k * k);
      return out;
    }
  }
}

/**
 * The adjoint of a plan: the weights over the D parts of the contrast Σ_j c_j·(coordinate j),
 * i.e. Aᵀc for the plan's matrix A (rows a_j). Used for contrasts of Gaussian coordinates.
 */
export function adjointWeights(plan: LogRatioPlan, c: ArrayLike<number>): Float64Array {
  const n = plan.nOut;
  const D = plan.D;
  if (c.length !== n) throw new Error(`contrast: ${c.length} weights for ${n} coordinates`);
  const out = new Float64Array(D);
  let total = 0;
  for (let j = 0; j < n; j++) total += c[j]!;
  switch (plan.kind) {
    case "clr":
      for (let i = 0; i < D; i++) out[i] = (i < n ? c[i]! : 0) - total / D;
      return out;
    case "alr":
      for (let j = 0; j < n; j++) out[plan.geneIndex[j]!]! += c[j]!;
      out[plan.alrRef]! -= total;
      return out;
    case "ilr": {
      // part k: Σ_{i>k} c_{i−1}/√(i(i+1)) − [k ≥ 1] c_{k−1}·k/√(k(k+1))
      let suffix = 0;
      for (let k = D - 1; k >= 0; k--) {
        const own = k >= 1 && k <= n ? (c[k - 1]! * k) / Math.sqrt(k * (k + 1)) : 0;
        out[k] = suffix - own;
        if (k >= 1 && k <= n) suffix += c[k - 1]! / Math.sqrt(k * (k + 1));
      }
      return out;
    }
    case "set": {
      const k = plan.refSet.length;
      for (let j = 0; j < n; j++) out[j] = c[j]!;
      for (const i of plan.refSet) out[i]! -= total / k;
      return out;
    }
  }
}

/**
 * Resolve a {@link Reference} into a plan over the kept genes. IQLR needs the per-gene pooled
 * CLR variances (`iqlrVariances`, computed by the caller: from draws, or from Gaussian fits).
 */
export function resolveReference(
  genes: readonly string[],
  hasOther: boolean,
  reference: Reference,
  alrReference: string | number | undefined,
  iqlrVariances: (() => ArrayLike<number>) | null,
): LogRatioPlan {
  if (reference === "clr" || reference === "ilr") return new LogRatioPlan(genes, hasOther, reference);
  if (reference === "alr") {
    const r = alrReference;
    const idx = r === undefined ? undefined : typeof r === "number" ? r : genes.indexOf(r);
    if (idx === -1) throw new Error(`alrReference ${JSON.stringify(r)} is not among the kept genes`);
    return new LogRatioPlan(genes, hasOther, "alr", idx);
  }
  if (reference === "iqlr") {
    if (!iqlrVariances) throw new Error("IQLR needs the pooled CLR variances of both sides");
    return new LogRatioPlan(genes, hasOther, { set: interQuartileSet(iqlrVariances()) });
  }
  if (typeof reference === "object" && reference !== null && Array.isArray(reference.genes)) {
    const set = reference.genes.map((g) => {
      const i = typeof g === "number" ? g : genes.indexOf(g);
      if (!Number.isInteger(i) || i < 0 || i >= genes.length)
        throw new Error(`reference gene ${JSON.stringify(g)} is not among the kept genes`);
      return i;
    });
    return new LogRatioPlan(genes, hasOther, { set: Int32Array.from(set) });
  }
  throw new Error(
    `unknown reference ${JSON.stringify(reference)}; expected clr, alr, ilr, iqlr or { genes: [...] }`,
  );
}

/**
 * IQLR reference set (ALDEx2): the genes whose variance of CLR values over all draws of both
 * conditions lies within the inter-quartile range [Q1, Q3] of those variances (quartiles by
 * linear interpolation, type 7).
 */
export function interQuartileSet(variances: ArrayLike<number>): Int32Array {
  const n = variances.length;
  const sorted = Float64Array.from(variances).sort();
  const q = (p: number) => {
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  };
  const q1 = q(0.25);
  const q3 = q(0.75);
  const out: number[] = [];
  for (let j = 0; j < n; j++) if (variances[j]! >= q1 && variances[j]! <= q3) out.push(j);
  return Int32Array.from(out);
}
