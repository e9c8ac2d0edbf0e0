import { broadcastShapes, broadcastTo, type Key, type Shape, type Tensor, zeros } from "@scribe/core";
import { type Constraint, real } from "../constraints.js";
import { Distribution } from "../distribution.js";
import { asFloat, checkArgs, type ParamLike, sameShape } from "../param-utils.js";

/**
 * A trivial distribution with an empty event (shape [0]) that contributes `logFactor` to the
 * joint log-density; it is what `factor(name, logFactor)` records.
 * @example
 * new Unit(tensor([-1.5])).logProb(zeros([1, 0])); // [-1.5]
 */
export class Unit extends Distribution {
  static override readonly argConstraints: Readonly<Record<string, Constraint>> = { logFactor: real };
  static override readonly support: Constraint | null = real;
  static override readonly reparametrized = false;

  /** The log-density contribution, shape batchShape. */
  readonly logFactor: Tensor;

  constructor(logFactor: ParamLike, validateArgs?: boolean) {
    const lf = asFloat(logFactor, typeof logFactor === "number" ? "float32" : logFactor.dtype);
    super(lf.shape, [0], validateArgs ?? false);
    this.logFactor = lf;
    checkArgs(this, {});
  }

  sample(_key: Key, sampleShape: Shape = []): Tensor {
    return zeros(this.shape(sampleShape), this.logFactor.dtype);
  }

  logProb(value: Tensor): Tensor {
    const target = broadcastShapes(this.batchShape, value.shape.slice(0, Math.max(0, value.rank - 1)));
    return sameShape(this.logFactor.shape, target) ? this.logFactor : broadcastTo(this.logFactor, target);
  }
}
