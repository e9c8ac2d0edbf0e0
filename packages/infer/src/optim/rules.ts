/**
 * The optimizers: SGD, Momentum, Adam, ClippedAdam, Adagrad and RMSProp, with the update
 * rules of `jax.example_libraries.optimizers` (which NumPyro's `optim` wraps).
 * @module
 */
import {
  clamp,
  realizeTogether,
  scope,
  sqrt,
  type Tensor,
  type TensorLike,
  where,
  zerosLike,
} from "@scribe/core";
import { clipByGlobalNorm } from "./clip.js";
import {
  checkLearningRate,
  type LearningRate,
  learningRateAt,
  type Optimizer,
  RuleOptimizer,
  type TensorRecord,
} from "./optimizer.js";

/**
 * Plain gradient descent: x ← x − lr·g.
 * @example
 * const opt = sgd(0.1);
 * let s = opt.init({ x: tensor(1) });
 * s = opt.update({ x: tensor(2) }, s); // x ← 1 − 0.1·2
 * opt.getParams(s).x!.item(); // 0.8
 */
export function sgd(lr: LearningRate): RuleOptimizer {
  checkLearningRate("sgd", lr);
  return new RuleOptimizer("sgd", {
    init: () => ({}),
    stepValues: (i) => [learningRateAt(lr, i)],
    update: ([rate], g, p) => ({ param: p.sub(g.mul(rate!)).astype(p.dtype), slots: {} }),
  });
}

/** Heavy-ball momentum: v ← mass·v + g; x ← x − lr·v. */
export function momentum(lr: LearningRate, mass = 0.9): RuleOptimizer {
  checkLearningRate("momentum", lr);
  return new RuleOptimizer("momentum", {
    init: (p) => ({ v: zerosLike(p) }),
    stepValues: (i) => [learningRateAt(lr, i)],
    update: ([rate], g, p, s) => {
      const v = s.v!.mul(mass).add(g);
      return { param: p.sub(v.mul(rate!)).astype(p.dtype), slots: { v } };
    },
  });
}

/** Options of {@link adam}. */
export interface AdamOptions {
  b1?: number;
  b2?: number;
  eps?: number;
}

/** Adam's numbers for update `i`: the learning rate and the two bias corrections 1 − β^(i+1). */
function adamStepValues(lr: number, i: number, b1: number, b2: number): number[] {
  return [lr, 1 - b1 ** (i + 1), 1 - b2 ** (i + 1)];
}

function adamStep(
  [lr, c1, c2]: readonly TensorLike[],
  g: Tensor,
  p: Tensor,
  m0: Tensor,
  v0: Tensor,
  b1: number,
  b2: number,
  eps: number,
) {
  const m = g.mul(1 - b1).add(m0.mul(b1));
  const v = g
    .square()
    .mul(1 - b2)
    .add(v0.mul(b2));
  const mhat = m.div(c1!);
  const vhat = v.div(c2!);
  const param = p.sub(mhat.mul(lr!).div(sqrt(vhat).add(eps))).astype(p.dtype);
  // One pass writes the new moments and the parameter (its expression inlines m and v):
  // g, p and the old moments are read once, not once per output.
  realizeTogether([param, m, v]);
  return { param, slots: { m, v } };
}

/**
 * Adam (Kingma & Ba) with bias correction: defaults b1 = 0.9, b2 = 0.999, eps = 1e-8.
 * @example
 * const opt = adam(1e-2);
 */
export function adam(lr: LearningRate, opts: AdamOptions = {}): RuleOptimizer {
  checkLearningRate("adam", lr);
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8 } = opts;
  return new RuleOptimizer("adam", {
    init: (p) => ({ m: zerosLike(p), v: zerosLike(p) }),
    stepValues: (i) => adamStepValues(learningRateAt(lr, i), i, b1, b2),
    update: (values, g, p, s) => adamStep(values, g, p, s.m!, s.v!, b1, b2, eps),
  });
}

/** Options of {@link clippedAdam}. */
export interface ClippedAdamOptions extends AdamOptions {
  /** Gradients are clipped elementwise to [−clipNorm, clipNorm] (default 10). */
  clipNorm?: number;
  /** Learning-rate decay per step: lr·lrd^step (default none). */
  lrd?: number;
}

/** Adam with elementwise gradient clipping and optional per-step learning-rate decay. */
export function clippedAdam(lr: LearningRate, opts: ClippedAdamOptions = {}): RuleOptimizer {
  checkLearningRate("clippedAdam", lr);
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, clipNorm = 10, lrd } = opts;
  if (!(clipNorm > 0)) throw new Error(`clippedAdam: clipNorm must be positive, got ${clipNorm}`);
  return new RuleOptimizer("clippedAdam", {
    init: (p) => ({ m: zerosLike(p), v: zerosLike(p) }),
    stepValues: (i) => adamStepValues(learningRateAt(lr, i) * (lrd === undefined ? 1 : lrd ** i), i, b1, b2),
    update: (values, g, p, s) => adamStep(values, clamp(g, -clipNorm, clipNorm), p, s.m!, s.v!, b1, b2, eps),
  });
}

/**
 * Adagrad with momentum (the JAX example-libraries form): G ← G + g²;
 * m ← (1−μ)·g/√G + μ·m; x ← x − lr·m. Default momentum 0.9.
 */
export function adagrad(lr: LearningRate, momentumCoef = 0.9): RuleOptimizer {
  checkLearningRate("adagrad", lr);
  return new RuleOptimizer("adagrad", {
    init: (p) => ({ gSq: zerosLike(p), m: zerosLike(p) }),
    stepValues: (i) => [learningRateAt(lr, i)],
    update: ([rate], g, p, s) => {
      const gSq = s.gSq!.add(g.square());
      const scaled = where(gSq.gt(0), g.div(sqrt(gSq)), 0);
      const m = scaled.mul(1 - momentumCoef).add(s.m!.mul(momentumCoef));
      return { param: p.sub(m.mul(rate!)).astype(p.dtype), slots: { gSq, m } };
    },
  });
}

/** RMSProp: a ← γ·a + (1−γ)·g²; x ← x − lr·g/√(a + eps). Defaults γ = 0.9, eps = 1e-8. */
export function rmsprop(lr: LearningRate, gamma = 0.9, eps = 1e-8): RuleOptimizer {
  checkLearningRate("rmsprop", lr);
  return new RuleOptimizer("rmsprop", {
    init: (p) => ({ avgSq: zerosLike(p) }),
    stepValues: (i) => [learningRateAt(lr, i)],
    update: ([rate], g, p, s) => {
      const avgSq = s.avgSq!.mul(gamma).add(g.square().mul(1 - gamma));
      return { param: p.sub(g.mul(rate!).div(sqrt(avgSq.add(eps)))).astype(p.dtype), slots: { avgSq } };
    },
  });
}

/**
 * Wrap an optimizer so gradients are first rescaled to a global L2 norm of at most `maxNorm`.
 * A rule optimizer (the ones here) gives a rule optimizer with the same rule and the clipping
 * before its own gradient transform, so a compiled SVI step records the update with the
 * clipping; another optimizer is wrapped.
 * @example
 * const opt = withGlobalNormClipping(adam(1e-3), 1.0);
 */
export function withGlobalNormClipping(opt: RuleOptimizer, maxNorm: number): RuleOptimizer;
export function withGlobalNormClipping(opt: Optimizer, maxNorm: number): Optimizer;
export function withGlobalNormClipping(opt: Optimizer, maxNorm: number): Optimizer {
  if (!(maxNorm > 0)) throw new Error(`withGlobalNormClipping: maxNorm must be positive, got ${maxNorm}`);
  const name = `${opt.name}+clip`;
  if (opt instanceof RuleOptimizer) {
    const inner = opt.transformGrads;
    return new RuleOptimizer(name, opt.rule, (g) => clipByGlobalNorm(inner ? inner(g) : g, maxNorm));
  }
  return {
    name,
    init: (p: TensorRecord) => opt.init(p),
    // The clipped gradients are temporaries of this scope; the new state is kept.
    update: (g, s, o) => scope(() => opt.update(clipByGlobalNorm(g, maxNorm), s, o)),
    getParams: (s) => opt.getParams(s),
    dispose: (s) => opt.dispose(s),
  };
}

/** NumPyro-style class form of {@link sgd}: `new SGD(lr)`. */
export class SGD extends RuleOptimizer {
  constructor(lr: LearningRate) {
    super("sgd", sgd(lr).rule);
  }
}

/** NumPyro-style class form of {@link momentum}: `new Momentum(lr, mass)`. */
export class Momentum extends RuleOptimizer {
  constructor(lr: LearningRate, mass = 0.9) {
    super("momentum", momentum(lr, mass).rule);
  }
}

/** NumPyro-style class form of {@link adam}: `new Adam(lr, { b1, b2, eps })`. */
export class Adam extends RuleOptimizer {
  constructor(lr: LearningRate, opts: AdamOptions = {}) {
    super("adam", adam(lr, opts).rule);
  }
}

/** NumPyro-style class form of {@link clippedAdam}: `new ClippedAdam(lr, { clipNorm, lrd })`. */
export class ClippedAdam extends RuleOptimizer {
  constructor(lr: LearningRate, opts: ClippedAdamOptions = {}) {
    super("clippedAdam", clippedAdam(lr, opts).rule);
  }
}

/** NumPyro-style class form of {@link adagrad}: `new Adagrad(lr, momentum)`. */
export class Adagrad extends RuleOptimizer {
  constructor(lr: LearningRate, momentumCoef = 0.9) {
    super("adagrad", adagrad(lr, momentumCoef).rule);
  }
}

/** NumPyro-style class form of {@link rmsprop}: `new RMSProp(lr, gamma, eps)`. */
export class RMSProp extends RuleOptimizer {
  constructor(lr: LearningRate, gamma = 0.9, eps = 1e-8) {
    super("rmsprop", rmsprop(lr, gamma, eps).rule);
  }
}
