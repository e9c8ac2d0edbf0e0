/**
 * Algebra of the low-rank-plus-diagonal Gaussian prior Σ = W Wᵀ + diag(d) of the Laplace
 * engine, batched over cells, without ever forming a G × G matrix (Woodbury identity and the
 * matrix determinant lemma; e.g. Petersen & Pedersen, "The Matrix Cookbook", §3.2.2, and
 * Rasmussen & Williams, "Gaussian Processes for Machine Learning", §3.4.3, for the Laplace
 * form). Every per-cell operation costs O(G k²).
 *
 * Notation: x (C × G) latent values, r = x − μ, D (C × G) the diagonal of the observation
 * model's negative Hessian (≥ 0). The Newton system matrix is A = Σ⁻¹ + diag(D). With
 * t = 1 + d·D, the per-cell k × k matrix K = I + Wᵀ diag(D / t) W is positive definite and
 *   A⁻¹ g = (d / t) ⊙ g + (W / t) K⁻¹ Wᵀ (g / t),
 *   log det(Σ A) = Σ_g log t_g + log det K.
 * Derivation: A = diag(1/d + D) − U M⁻¹ Uᵀ with U = diag(1/d) W and the capacitance
 * M = I + Wᵀ diag(1/d) W, then Woodbury; M − Uᵀ diag(1/d + D)⁻¹ U simplifies to K.
 * @module
 */
import { cholesky, choleskySolve, eye, isfinite, matmul, mT, type Tensor, where } from "@scribe/core";

/** The globals of the latent Gaussian: mean μ [G], factors W [G, k], diagonal d [G] (> 0). */
export interface LowRankGaussian {
  readonly mu: Tensor;
  readonly W: Tensor;
  readonly d: Tensor;
}

/** log det of SPD matrices [..., k, k] from their Cholesky factor L: 2 Σ log L_ii. */
export function logDetFromCholesky(L: Tensor): Tensor {
  const k = L.shape[L.rank - 1]!;
  return L.mul(eye(k, k, L.dtype))
    .sum(-1)
    .log()
    .sum(-1)
    .mul(2);
}

/** Cholesky factor of the capacitance M = I + Wᵀ diag(1/d) W (k × k). */
export function capacitanceCholesky(p: LowRankGaussian): Tensor {
  const k = p.W.shape[1]!;
  const Wd = p.W.div(p.d.unsqueeze(-1));
  return cholesky(matmul(mT(p.W), Wd).add(eye(k, k, p.W.dtype)));
}

/** Solve L Lᵀ y = b for row vectors b [C, k] (batched or shared L). */
function solveRows(L: Tensor, b: Tensor): Tensor {
  return choleskySolve(L, b.unsqueeze(-1)).squeeze(-1);
}

/**
 * Mahalanobis terms q_c = r_cᵀ Σ⁻¹ r_c for r = x − μ [C, G], and Σ⁻¹ r [C, G].
 * `mChol` is {@link capacitanceCholesky}'s factor (shared by all cells).
 */
export function precisionTimes(p: LowRankGaussian, r: Tensor, mChol: Tensor): { quad: Tensor; prec: Tensor } {
  const rd = r.div(p.d); // diag(1/d) r
  const b = matmul(rd, p.W); // [C, k]
  const mb = solveRows(mChol, b); // M⁻¹ b
  const prec = rd.sub(matmul(mb, mT(p.W)).div(p.d));
  const quad = r.mul(rd).sum(-1).sub(b.mul(mb).sum(-1));
  return { quad, prec };
}

/** What {@link posteriorSystem} prepares for the Newton matrix A = Σ⁻¹ + diag(D) of each cell. */
export interface PosteriorSystem {
  /** t = 1 + d·D [C, G]. */
  readonly t: Tensor;
  /** Cholesky factor of K = I + Wᵀ diag(D/t) W, [C, k, k]. */
  readonly kChol: Tensor;
  /** log det(Σ A) per cell [C]. */
  readonly logDetSigmaA: Tensor;
}

/** Factor the per-cell Newton matrices A = Σ⁻¹ + diag(D) (D ≥ 0, [C, G]). */
export function posteriorSystem(p: LowRankGaussian, D: Tensor): PosteriorSystem {
  const k = p.W.shape[1]!;
  // A non-finite curvature (a diverged cell) would make the Cholesky factorisation throw for
  // the whole batch; zero it so that only that cell's step is non-finite and it is rescued.
  const Dc = where(isfinite(D), D, 0);
  const t = p.d.mul(Dc).add(1);
  const scaled = p.W.mul(Dc.div(t).unsqueeze(-1)); // [C, G, k]
  const K = matmul(mT(p.W), scaled).add(eye(k, k, p.W.dtype)); // [C, k, k]
  const kChol = cholesky(K);
  const logDetSigmaA = t.log().sum(-1).add(logDetFromCholesky(kChol));
  return { t, kChol, logDetSigmaA };
}

/** A⁻¹ g for the system of {@link posteriorSystem} (g [C, G]). */
export function posteriorSolve(p: LowRankGaussian, sys: PosteriorSystem, g: Tensor): Tensor {
  const gt = g.div(sys.t);
  const w = solveRows(sys.kChol, matmul(gt, p.W)); // K⁻¹ Wᵀ (g/t), [C, k]
  return p.d.mul(gt).add(matmul(w, mT(p.W)).div(sys.t));
}
