import { type Key, type Shape, splitKey, square, stack, sum, type Tensor } from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { broadcastNamed, sameShape, unsqueezeRight } from "../param-utils.js";
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
 * A finite mixture of K arbitrary distributions (a list) sharing an event shape:
 * log p(x) = logsumexp_k(log w_k + log p_k(x)).
 * @example
 * const mix = new MixtureGeneral(new CategoricalProbs(tensor([0.5, 0.5])), [new Poisson(2), new GeometricProbs(0.3)]);
 * mix.logProb(tensor([1]));
 */
export class MixtureGeneral extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  /** Categorical over components. */
  readonly mixing: Mixing;
  /** The component distributions. */
  readonly components: readonly Distribution[];

  constructor(mixing: Mixing, components: readonly Distribution[], validateArgs?: boolean) {
    const K = numComponents(mixing);
    if (components.length !== K)
      throw new Error(`MixtureGeneral: ${components.length} components for ${K} mixing categories`);
    const ev = components[0]!.eventShape;
    components.forEach((c, i) => {
      if (!sameShape(c.eventShape, ev))
        throw new Error(
          `MixtureGeneral: component ${i} has event shape [${c.eventShape.join(", ")}], component 0 has [${ev.join(", ")}]`,
        );
    });
    const shapes: Record<string, Shape> = { "mixing batch": mixing.batchShape };
    components.forEach((c, i) => {
      shapes[`component ${i} batch`] = c.batchShape;
    });
    super(broadcastNamed("MixtureGeneral", shapes), ev, validateArgs);
    this.mixing = mixing;
    this.components = components;
  }

  override get support(): Constraint {
    return this.components[0]!.support;
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const keys = splitKey(key, this.components.length + 1);
    const draws = this.components.map((c, i) => c.expand(this.batchShape).sample(keys[i]!, sampleShape));
    const all = stack(draws, sampleShape.length + this.batchShape.length);
    const mix =
      this.mixing.batchShape.length === this.batchShape.length
        ? this.mixing
        : (this.mixing.expand(this.batchShape) as Mixing);
    const idx = sampleIndices(mix, keys[this.components.length]!, [...sampleShape, ...this.batchShape]);
    return selectComponent(all, idx, this.components.length, this.eventDim);
  }

  logProb(value: Tensor): Tensor {
    const lps = this.components.map((c) => c.logProb(value));
    const shape = broadcastNamed(
      "MixtureGeneral.logProb",
      Object.fromEntries(lps.map((l, i) => [String(i), l.shape])),
    );
    const lp = stack(
      lps.map((l) => (sameShape(l.shape, shape) ? l : l.expand(shape))),
      -1,
    );
    return mixtureLogProb(lp, logMixingWeights(this.mixing));
  }

  override get mean(): Tensor {
    const w = unsqueezeRight(mixingProbs(this.mixing), this.eventDim);
    const m = stack(
      this.components.map((c) => c.mean.expand(this.shape())),
      -1 - this.eventDim,
    );
    return sum(w.mul(m), -1 - this.eventDim);
  }

  override get variance(): Tensor {
    const w = unsqueezeRight(mixingProbs(this.mixing), this.eventDim);
    const m = stack(
      this.components.map((c) => c.mean.expand(this.shape())),
      -1 - this.eventDim,
    );
    const v = stack(
      this.components.map((c) => c.variance.expand(this.shape())),
      -1 - this.eventDim,
    );
    return sum(w.mul(v.add(square(m))), -1 - this.eventDim).sub(square(this.mean));
  }
}
