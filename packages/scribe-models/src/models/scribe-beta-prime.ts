/**
 * SCRIBE's BetaPrime convention (upstream `src/scribe/stats`): the law of φ = (1 − q)/q for q ~ Beta(α, β),
 * which is the standard beta-prime distribution with its two arguments swapped.
 * @module
 */
import {
  add,
  betaln,
  clamp,
  div,
  gt,
  type Key,
  log1p,
  mul,
  random,
  type Shape,
  scalar,
  splitKey,
  square,
  sub,
  type Tensor,
  where,
  xlogy,
} from "@scribe/core";
import { Beta, Distribution, kl, positive, registerKL } from "@scribe/distributions";

type ParamLike = Tensor | number;

/**
 * BetaPrime(α, β) in SCRIBE's convention: the law of φ = (1 − q)/q with q ~ Beta(α, β).
 * Density φ^(β−1) (1 + φ)^(−(α+β)) / B(β, α); mean β/(α − 1) for α > 1 (else +∞); mode
 * (β − 1)/(α + 1) for β ≥ 1 (else 0). Draws are G_β / G_α with unit-rate gammas, both floored
 * at 1e−30; `logProb` floors φ at 1e−30. KL(BetaPrime ‖ BetaPrime) equals the KL of the
 * underlying Beta laws (registered below).
 * @example
 * const phi = new ScribeBetaPrime(1, 1); // the default odds-ratio prior of mean_odds
 * phi.logProb(tensor([1])); // log(1/4)
 */
export class ScribeBetaPrime extends Distribution {
  static override readonly argConstraints = { concentration1: positive, concentration0: positive };
  static override readonly support = positive;
  static override readonly reparametrized = true;

  /** α (the Beta's first argument). */
  readonly concentration1: Tensor;
  /** β (the Beta's second argument). */
  readonly concentration0: Tensor;

  constructor(alpha: ParamLike, beta: ParamLike) {
    const a = typeof alpha === "number" ? scalar(alpha) : alpha;
    const b = typeof beta === "number" ? scalar(beta) : beta;
    const shape = broadcast(a.shape, b.shape);
    super(shape, [], false);
    this.concentration1 = a.shape.length === shape.length ? a : a.expand(shape);
    this.concentration0 = b.shape.length === shape.length ? b : b.expand(shape);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [ka, kb] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const ga = clamp(random.gamma(ka, this.concentration1, shape), 1e-30);
    const gb = clamp(random.gamma(kb, this.concentration0, shape), 1e-30);
    return div(gb, ga);
  }

  logProb(value: Tensor): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const x = clamp(value, 1e-30);
    return sub(sub(xlogy(sub(b, 1), x), mul(add(a, b), log1p(x))), betaln(b, a));
  }

  /** β/(α − 1) for α > 1, +∞ otherwise. */
  override get mean(): Tensor {
    const a = this.concentration1;
    return where(gt(a, 1), div(this.concentration0, sub(a, 1)), Infinity);
  }

  /** β(β + α − 1)/((α − 1)²(α − 2)) for α > 2, +∞ otherwise. */
  override get variance(): Tensor {
    const a = this.concentration1;
    const b = this.concentration0;
    const v = div(mul(b, sub(add(a, b), 1)), mul(square(sub(a, 1)), sub(a, 2)));
    return where(gt(a, 2), v, Infinity);
  }

  /** (β − 1)/(α + 1) for β ≥ 1, 0 otherwise. */
  get mode(): Tensor {
    const b = this.concentration0;
    return where(gt(b, 1), div(sub(b, 1), add(this.concentration1, 1)), 0);
  }
}

function broadcast(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw new Error(`ScribeBetaPrime: shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

registerKL(ScribeBetaPrime, ScribeBetaPrime, (p, q) =>
  kl(
    new Beta(p.concentration1, p.concentration0, false),
    new Beta(q.concentration1, q.concentration0, false),
  ),
);
