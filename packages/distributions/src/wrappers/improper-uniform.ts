import { broadcastShapes, type Key, type Shape, type Tensor, zeros } from "@scribe/core";
import type { Constraint } from "../constraints.js";
import { Distribution } from "../distribution.js";

/**
 * An improper flat density on `support` (log-density 0 everywhere), used for latent sites
 * whose prior is supplied elsewhere (a `factor`, or a guide) and to declare the support for
 * `bijectTo`. It cannot be sampled.
 * @example
 * new ImproperUniform(positive, [3], []).logProb(tensor([1, 2, 3])); // zeros([3])
 */
export class ImproperUniform extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = {};
  static override readonly support: Constraint | null = null;
  static override readonly reparametrized = false;

  private readonly supportValue: Constraint;

  constructor(support: Constraint, batchShape: Shape = [], eventShape: Shape = [], validateArgs?: boolean) {
    super(batchShape, eventShape, validateArgs);
    this.supportValue = support;
  }

  override get support(): Constraint {
    return this.supportValue;
  }

  sample(_key: Key, _sampleShape: Shape = []): Tensor {
    throw new Error("ImproperUniform cannot be sampled: give the site an initial value or a guide");
  }

  logProb(value: Tensor): Tensor {
    const batch = value.shape.slice(0, value.rank - this.eventDim);
    return zeros(broadcastShapes(batch, this.batchShape), value.dtype === "float64" ? "float64" : "float32");
  }
}
