/**
 * @scribe/distributions: NumPyro's distributions, constraints and transforms.
 * @module @scribe/distributions
 */

// --- discrete, conjugate, zero-inflated, mixtures, wrappers, PoissonBeta ---

export { gaussLegendre01 } from "@scribe/core";
export { bijectTo, registerBijection, type TransformFactory } from "./biject-to.js";
export { GammaPoisson } from "./conjugate/gamma-poisson.js";
export { NegativeBinomial } from "./conjugate/negative-binomial.js";
export { NegativeBinomial2 } from "./conjugate/negative-binomial-2.js";
export { NegativeBinomialLogits } from "./conjugate/negative-binomial-logits.js";
export { NegativeBinomialProbs } from "./conjugate/negative-binomial-probs.js";
export * from "./constraints.js";
export { Dependent, IndependentConstraint } from "./constraints.js";
export { Beta } from "./continuous/beta.js";
export { BetaPrime } from "./continuous/beta-prime.js";
export { betaQuantile, betaQuantileWithComplement } from "./continuous/beta-quantile.js";
export { Cauchy } from "./continuous/cauchy.js";
export { Chi2 } from "./continuous/chi2.js";
export { Delta } from "./continuous/delta.js";
export { Dirichlet } from "./continuous/dirichlet.js";
export { Exponential } from "./continuous/exponential.js";
export { Gamma } from "./continuous/gamma.js";
export { Gumbel } from "./continuous/gumbel.js";
export { HalfCauchy } from "./continuous/half-cauchy.js";
export { HalfNormal } from "./continuous/half-normal.js";
export { InverseGamma } from "./continuous/inverse-gamma.js";
export { Laplace } from "./continuous/laplace.js";
export { LocScaleDistribution } from "./continuous/loc-scale.js";
export { LogNormal } from "./continuous/log-normal.js";
export { LogUniform } from "./continuous/log-uniform.js";
export { Logistic } from "./continuous/logistic.js";
export { LowRankMultivariateNormal } from "./continuous/low-rank-multivariate-normal.js";
export { MultivariateNormal, type MultivariateNormalOptions } from "./continuous/multivariate-normal.js";
export { Normal } from "./continuous/normal.js";
export { Pareto } from "./continuous/pareto.js";
export { StudentT } from "./continuous/student-t.js";
export { TruncatedNormal } from "./continuous/truncated-normal.js";
export { Uniform } from "./continuous/uniform.js";
export { Weibull } from "./continuous/weibull.js";
export { Bernoulli } from "./discrete/bernoulli.js";
export { BernoulliLogits } from "./discrete/bernoulli-logits.js";
export { BernoulliProbs } from "./discrete/bernoulli-probs.js";
export { BetaBinomial } from "./discrete/beta-binomial.js";
export { Binomial } from "./discrete/binomial.js";
export { BinomialLogits } from "./discrete/binomial-logits.js";
export { BinomialProbs } from "./discrete/binomial-probs.js";
export { Categorical } from "./discrete/categorical.js";
export { CategoricalLogits } from "./discrete/categorical-logits.js";
export { CategoricalProbs } from "./discrete/categorical-probs.js";
export { DirichletMultinomial } from "./discrete/dirichlet-multinomial.js";
export { DiscreteUniform } from "./discrete/discrete-uniform.js";
export { Geometric } from "./discrete/geometric.js";
export { GeometricLogits } from "./discrete/geometric-logits.js";
export { GeometricProbs } from "./discrete/geometric-probs.js";
export { Multinomial } from "./discrete/multinomial.js";
export { MultinomialLogits } from "./discrete/multinomial-logits.js";
export { MultinomialProbs } from "./discrete/multinomial-probs.js";
export { multinomial } from "./discrete/multinomial-support.js";
export { Poisson } from "./discrete/poisson.js";
// --- end discrete block ---
// --- constraints, transforms, continuous families, TransformedDistribution, KL (helper A) ---
export {
  batchShapeOf,
  Distribution,
  type DistributionClass,
  enableValidation,
  validationEnabled,
} from "./distribution.js";
export * from "./kernels/index.js";
export { type KLFn, kl, registerKL } from "./kl.js";
export type { Mixing } from "./mixtures/mixing.js";
export { Mixture } from "./mixtures/mixture.js";
export { MixtureGeneral } from "./mixtures/mixture-general.js";
export { MixtureSameFamily } from "./mixtures/mixture-same-family.js";
export { PoissonBeta } from "./poisson-beta.js";
export { TransformedDistribution } from "./transformed-distribution.js";
export { AffineTransform } from "./transforms/affine.js";
export { CholeskyTransform } from "./transforms/cholesky.js";
export { ComposeTransform } from "./transforms/compose.js";
export { CorrCholeskyTransform } from "./transforms/corr-cholesky.js";
export { drawMath, type ElementwiseMath, engineMath } from "./transforms/elementwise-math.js";
export { ExpTransform } from "./transforms/exp.js";
export { IdentityTransform } from "./transforms/identity.js";
export { IndependentTransform } from "./transforms/independent.js";
export { LowerCholeskyTransform } from "./transforms/lower-cholesky.js";
export { OrderedTransform } from "./transforms/ordered.js";
export { PowerTransform } from "./transforms/power.js";
export { SigmoidTransform } from "./transforms/sigmoid.js";
export { SoftplusTransform } from "./transforms/softplus.js";
export { StickBreakingTransform } from "./transforms/stick-breaking.js";
export { InverseTransform, Transform } from "./transforms/transform.js";
export { assertInSupport, validateArgs } from "./validation.js";
export { ExpandedDistribution } from "./wrappers/expanded.js";
export { ImproperUniform } from "./wrappers/improper-uniform.js";
export { Independent } from "./wrappers/independent.js";
export { MaskedDistribution } from "./wrappers/masked.js";
export { Unit } from "./wrappers/unit.js";
export { ZeroInflatedDistribution } from "./zero-inflated/zero-inflated-distribution.js";
export { ZeroInflatedLogits } from "./zero-inflated/zero-inflated-logits.js";
export { ZeroInflatedNegativeBinomial2 } from "./zero-inflated/zero-inflated-negative-binomial-2.js";
export { ZeroInflatedPoisson } from "./zero-inflated/zero-inflated-poisson.js";
export { ZeroInflatedProbs } from "./zero-inflated/zero-inflated-probs.js";
export { ZINB2Logits } from "./zero-inflated/zinb2-logits.js";
export { ZINB2Probs } from "./zero-inflated/zinb2-probs.js";
// --- end helper A ---
