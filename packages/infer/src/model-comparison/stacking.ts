/**
 * Stacking of predictive distributions (Yao, Vehtari, Simpson and Gelman, Bayesian Analysis
 * 13, 2018, §3): the weights on the simplex that maximise the leave-one-out log score
 * Σ_i log Σ_k w_k exp(elpd_loo,ik), as R `loo::stacking_weights()` — solved to convergence
 * here (EM, then active-set Newton) rather than by `constrOptim`'s barrier method.
 * @module
 */

/** Options of {@link stackingWeights}. */
export interface StackingOptions {
  /** Stop when every KKT residual is below this (default 1e-10, relative to n). */
  tol?: number;
  /** Most Newton iterations (default 200). */
  maxIter?: number;
}

/**
 * Stacking weights from pointwise elpd: `lpd[k][i]` is model k's elpd_loo at observation i.
 * Each observation's row is shifted by its maximum before exponentiating (the weights do not
 * change), so per-cell elpds of −10³ do not underflow.
 * @example
 * const looA = psisLoo([[-1.2, -0.8, -2.0], [-1.0, -0.9, -2.4], [-1.1, -0.7, -1.9], [-1.3, -0.8, -2.1]]);
 * const looB = psisLoo([[-1.6, -1.1, -1.7], [-1.5, -1.2, -1.8], [-1.7, -1.0, -1.6], [-1.4, -1.3, -1.9]]);
 * stackingWeights([looA.pointwise.elpdLoo, looB.pointwise.elpdLoo]); // e.g. [0.8, 0.2]
 */
export function stackingWeights(lpd: readonly ArrayLike<number>[], opts: StackingOptions = {}): Float64Array {
  const K = lpd.length;
  if (K < 2) throw new Error(`stackingWeights: need at least 2 models, got ${K}`);
  const n = lpd[0]!.length;
  if (n < 1) throw new Error("stackingWeights: no observations");
  for (let k = 0; k < K; k++) {
    if (lpd[k]!.length !== n)
      throw new Error(`stackingWeights: model ${k} has ${lpd[k]!.length} observations, model 0 has ${n}`);
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(lpd[k]![i]!))
        throw new Error(`stackingWeights: model ${k}, observation ${i} has elpd ${lpd[k]![i]}`);
  }
  // a[i*K + k] = exp(lpd_ki − max_k lpd_ki)
  const a = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let mx = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) mx = Math.max(mx, lpd[k]![i]!);
    for (let k = 0; k < K; k++) a[i * K + k] = Math.exp(lpd[k]![i]! - mx);
  }
  const tol = opts.tol ?? 1e-10;
  const w = new Float64Array(K).fill(1 / K);
  // EM for mixture weights: monotone, reaches the neighbourhood of the optimum and finds the
  // weights that go to zero.
  for (let it = 0; it < 500; it++) {
    const g = gradient(a, w, n, K);
    let maxChange = 0;
    for (let k = 0; k < K; k++) {
      const nw = (w[k]! * g[k]!) / n;
      maxChange = Math.max(maxChange, Math.abs(nw - w[k]!));
      w[k] = nw;
    }
    if (maxChange < 1e-6) break;
  }
  for (let k = 0; k < K; k++) if (w[k]! < 1e-9) w[k] = 0;
  normalize(w);
  newtonPolish(a, w, n, K, tol, opts.maxIter ?? 200);
  return w;
}

/** g_k = Σ_i a_ik / (a_i · w): the gradient of the log score. */
function gradient(a: Float64Array, w: Float64Array, n: number, K: number): Float64Array {
  const g = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let k = 0; k < K; k++) d += a[i * K + k]! * w[k]!;
    for (let k = 0; k < K; k++) g[k] = g[k]! + a[i * K + k]! / d;
  }
  return g;
}

function score(a: Float64Array, w: Float64Array, n: number, K: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let d = 0;
    for (let k = 0; k < K; k++) d += a[i * K + k]! * w[k]!;
    s += Math.log(d);
  }
  return s;
}

function normalize(w: Float64Array): void {
  let s = 0;
  for (const v of w) s += v;
  for (let k = 0; k < w.length; k++) w[k] = w[k]! / s;
}

/**
 * Newton steps on the face of the simplex where w > 0 (equality-constrained KKT system),
 * dropping a weight that reaches 0 and re-admitting one whose gradient exceeds the
 * multiplier (at the optimum g_k = n where w_k > 0 and g_k ≤ n where w_k = 0).
 */
function newtonPolish(
  a: Float64Array,
  w: Float64Array,
  n: number,
  K: number,
  tol: number,
  maxIter: number,
): void {
  for (let it = 0; it < maxIter; it++) {
    const g = gradient(a, w, n, K);
    let enter = -1;
    for (let k = 0; k < K; k++)
      if (w[k] === 0 && g[k]! > n * (1 + tol) && (enter < 0 || g[k]! > g[enter]!)) enter = k;
    if (enter >= 0) {
      // move a little mass to the entering model along the feasible direction
      const t = 1e-3;
      for (let k = 0; k < K; k++) w[k] = w[k]! * (1 - t);
      w[enter] = w[enter]! + t;
      continue;
    }
    const act = [...w.keys()].filter((k) => w[k]! > 0);
    const m = act.length;
    let kkt = 0;
    for (const k of act) kkt = Math.max(kkt, Math.abs(g[k]! / n - 1));
    if (m === 1 || kkt < tol) return;
    // H_jl = −Σ_i a_ij a_il / d_i² on the active set
    const H = new Float64Array(m * m);
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let k = 0; k < K; k++) d += a[i * K + k]! * w[k]!;
      const d2 = d * d;
      for (let j = 0; j < m; j++)
        for (let l = 0; l < m; l++)
          H[j * m + l] = H[j * m + l]! - (a[i * K + act[j]!]! * a[i * K + act[l]!]!) / d2;
    }
    for (let j = 0; j < m; j++) H[j * m + j] = H[j * m + j]! - 1e-12 * n; // ridge for collinear models
    // [H 1; 1ᵀ 0] [d; λ] = [−g; 0]
    const size = m + 1;
    const A = new Float64Array(size * size);
    const b = new Float64Array(size);
    for (let j = 0; j < m; j++) {
      for (let l = 0; l < m; l++) A[j * size + l] = H[j * m + l]!;
      A[j * size + m] = 1;
      A[m * size + j] = 1;
      b[j] = -g[act[j]!]!;
    }
    const sol = solve(A, b, size);
    if (!sol) return;
    const f0 = score(a, w, n, K);
    let tMax = 1;
    let blocking = -1;
    for (let j = 0; j < m; j++) {
      const dj = sol[j]!;
      if (dj < 0 && -w[act[j]!]! / dj < tMax) {
        tMax = -w[act[j]!]! / dj;
        blocking = act[j]!;
      }
    }
    let t = tMax;
    const trial = new Float64Array(K);
    for (;;) {
      trial.set(w);
      for (let j = 0; j < m; j++) trial[act[j]!] = Math.max(0, w[act[j]!]! + t * sol[j]!);
      if (t === tMax && blocking >= 0) trial[blocking] = 0;
      normalize(trial);
      if (score(a, trial, n, K) >= f0 - 1e-14 * Math.abs(f0) || t < 1e-12) break;
      t /= 2;
    }
    w.set(trial);
  }
}

/** Gaussian elimination with partial pivoting; null when singular. */
function solve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const M = A.slice();
  const x = b.slice();
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    if (Math.abs(M[p * n + c]!) < 1e-300) return null;
    if (p !== c) {
      for (let j = 0; j < n; j++) [M[c * n + j], M[p * n + j]] = [M[p * n + j]!, M[c * n + j]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c]! / M[c * n + c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) M[r * n + j] = M[r * n + j]! - f * M[c * n + j]!;
      x[r] = x[r]! - f * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let j = r + 1; j < n; j++) s -= M[r * n + j]! * x[j]!;
    x[r] = s / M[r * n + r]!;
  }
  return x;
}
