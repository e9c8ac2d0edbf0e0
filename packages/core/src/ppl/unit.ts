/**
 * A tiny distribution-like object for `factor`: its log-prob is a fixed tensor, and its
 * (empty) value has event shape [0]. Keeps core free of the distributions package.
 * @module
 */
import { broadcastTo } from "../ops/elementwise.js";
import type { Key } from "../random/index.js";
import { scalar, zeros } from "../tensor/creation.js";
import { broadcastShapes, type Shape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import type { DistributionLike } from "./distribution-like.js";

/** The `Unit` distribution of a factor site: logProb(anything) = logFactor. */
export class UnitFactor implements DistributionLike {
  /** The log-factor added to the density. */
  readonly logFactor: Tensor;
  readonly batchShape: Shape;
  readonly eventShape: Shape = [0];
  readonly reparametrized = true;

  constructor(logFactor: Tensor | number) {
    this.logFactor = logFactor instanceof Tensor ? logFactor : scalar(logFactor);
    this.batchShape = [...this.logFactor.shape];
  }

  /** The empty observation: zeros of shape batchShape + [0]. */
  emptyValue(): Tensor {
    return zeros([...this.batchShape, 0], this.logFactor.dtype);
  }

  /** An empty tensor of shape sampleShape + batchShape + [0]. */
  sample(_key: Key, sampleShape: Shape = []): Tensor {
    return zeros([...sampleShape, ...this.batchShape, 0], this.logFactor.dtype);
  }

  /** The log-factor, broadcast with the value's batch dims. */
  logProb(value: Tensor): Tensor {
    const shape = broadcastShapes(this.batchShape, value.shape.slice(0, -1));
    return broadcastTo(this.logFactor, shape);
  }

  /** The same factor broadcast to `batchShape`. */
  expand(batchShape: Shape): UnitFactor {
    return new UnitFactor(broadcastTo(this.logFactor, batchShape));
  }
}
