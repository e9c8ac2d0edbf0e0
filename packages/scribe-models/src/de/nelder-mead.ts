/**
 * Nelder–Mead simplex minimiser (standard reflection 1, expansion 2, contraction ½,
 * shrink ½) with R `optim`-like defaults: initial step 10 % of each coordinate (0.1
 * for zeros), stop when the spread of simplex values is below reltol·(|f|+reltol).
 * @module
 */

/** Result of {@link nelderMead}. */
export interface NelderMeadResult {
  /** Best point found. */
  x: Float64Array;
  /** Objective at x. */
  value: number;
  /** Function evaluations used. */
  evaluations: number;
  /** Whether the tolerance was reached before maxit. */
  converged: boolean;
}

/**
 * Minimise `fn` from `x0`. Non-finite objective values are treated as +∞.
 * @example
 * ```ts
 * nelderMead((x) => (x[0]! - 1) ** 2 + (x[1]! + 2) ** 2, Float64Array.from([0, 0])).x; // ≈ [1, −2]
 * ```
 */
export function nelderMead(
  fn: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  opts: { maxit?: number; reltol?: number } = {},
): NelderMeadResult {
  const d = x0.length;
  const maxit = opts.maxit ?? 500;
  const reltol = opts.reltol ?? 1e-8;
  const f = (x: Float64Array) => {
    const v = fn(x);
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  const pts: Float64Array[] = [Float64Array.from(x0)];
  for (let j = 0; j < d; j++) {
    const p = Float64Array.from(x0);
    p[j] = p[j]! !== 0 ? p[j]! * 1.1 : 0.1;
    pts.push(p);
  }
  const vals = pts.map(f);
  let evals = d + 1;
  const centroid = new Float64Array(d);
  const trial = (a: number, worst: Float64Array) => {
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = centroid[j]! + a * (worst[j]! - centroid[j]!);
    return x;
  };
  let converged = false;
  while (evals < maxit) {
    const order = vals.map((_, i) => i).sort((a, b) => vals[a]! - vals[b]!);
    const sp = order.map((i) => pts[i]!);
    const sv = order.map((i) => vals[i]!);
    pts.splice(0, pts.length, ...sp);
    vals.splice(0, vals.length, ...sv);
    if (Math.abs(vals[d]! - vals[0]!) <= reltol * (Math.abs(vals[0]!) + reltol)) {
      converged = true;
      break;
    }
    centroid.fill(0);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) centroid[j] = centroid[j]! + pts[i]![j]! / d;
    const worst = pts[d]!;
    const xr = trial(-1, worst);
    const fr = f(xr);
    evals++;
    if (fr < vals[0]!) {
      const xe = trial(-2, worst);
      const fe = f(xe);
      evals++;
      if (fe < fr) {
        pts[d] = xe;
        vals[d] = fe;
      } else {
        pts[d] = xr;
        vals[d] = fr;
      }
    } else if (fr < vals[d - 1]!) {
      pts[d] = xr;
      vals[d] = fr;
    } else {
      const outside = fr < vals[d]!;
      const xc = trial(outside ? -0.5 : 0.5, worst);
      const fc = f(xc);
      evals++;
      if (fc < (outside ? fr : vals[d]!)) {
        pts[d] = xc;
        vals[d] = fc;
      } else {
        for (let i = 1; i <= d; i++) {
          for (let j = 0; j < d; j++) pts[i]![j] = pts[0]![j]! + 0.5 * (pts[i]![j]! - pts[0]![j]!);
          vals[i] = f(pts[i]!);
          evals++;
        }
      }
    }
  }
  let best = 0;
  for (let i = 1; i <= d; i++) if (vals[i]! < vals[best]!) best = i;
  return { x: pts[best]!, value: vals[best]!, evaluations: evals, converged };
}
