import { type Key, type Shape, splitKey, square, sum, type Tensor, unsqueeze } from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { broadcastNamed, unsqueezeRight } from "../param-utils.js";
import {
  logMixingWeights,
  type Mixing,
  mixingProbs,
  mixtureLogProb,
  numComponents,
  sampleIndices,
  selectComponent,
} from "./mixing.js";

/**
 * A finite mixture whose K components are one batched distribution: the rightmost batch axis
 * of `components` (size K) indexes the component. log p(x) = logsumexp_k(log w_k + log p_k(x)).
 * @example
 * const mix = new MixtureSameFamily(new CategoricalProbs(tensor([0.3, 0.7])), new Poisson(tensor([1, 10])));
 * mix.logProb(tensor([4]));
 */
export class MixtureSameFamily extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Categorical over components (batch shape broadcasting with this mixture's). */
  readonly mixing: Mixing;
  /** The batched component distribution; batch shape batchShape + [K]. */
  readonly components: Distribution;

  constructor(mixing: Mixing, components: Distribution, validateArgs?: boolean) {
    const K = numComponents(mixing);
    const cb = components.batchShape;
    if (cb.length < 1 || cb[cb.length - 1] !== K)
      throw new Error(
        `MixtureSameFamily: the components' rightmost batch axis must have the ${K} mixing categories, got batch shape [${cb.join(", ")}]`,
      );
    const batchShape = broadcastNamed("MixtureSameFamily", {
      "mixing batch": mixing.batchShape,
      "components batch": cb.slice(0, -1),
    });
    super(batchShape, components.eventShape, validateArgs);
    this.mixing = mixing;
    this.components = components;
  }

  override get support(): Constraint {
    return this.components.support;
  }

  /** Number of components K. */
  get numComponents(): number {
    return numComponents(this.mixing);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kc, km] = splitKey(key, 2) as [Key, Key];
    const K = this.numComponents;
    const comps = this.components.expand([...this.batchShape, K]);
    const all = comps.sample(kc, sampleShape); // sampleShape + batch + [K] + event
    const mix =
      this.mixing.batchShape.length === this.batchShape.length
        ? this.mixing
        : (this.mixing.expand(this.batchShape) as Mixing);
    const idx = sampleIndices(mix, km, [...sampleShape, ...this.batchShape]);
    return selectComponent(all, idx, K, this.eventDim);
  }

  logProb(value: Tensor): Tensor {
    // value: [..., batch, event] → [..., batch, 1, event] against components' [batch, K]
    const v = unsqueeze(value, value.rank - this.eventDim);
    return mixtureLogProb(this.components.logProb(v), logMixingWeights(this.mixing));
  }

  override get mean(): Tensor {
    const w = unsqueezeRight(mixingProbs(this.mixing), this.eventDim);
    return sum(w.mul(this.components.mean), -1 - this.eventDim);
  }

  /** Law of total variance: Σ w_k (σ²_k + μ²_k) − μ². */
  override get variance(): Tensor {
    const w = unsqueezeRight(mixingProbs(this.mixing), this.eventDim);
    const m = this.components.mean;
    const second = sum(w.mul(this.components.variance.add(square(m))), -1 - this.eventDim);
    return second.sub(square(this.mean));
  }
}
