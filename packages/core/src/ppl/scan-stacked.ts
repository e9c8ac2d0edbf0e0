/**
 * The distribution `scan` records for a site of its body run step by step: the per-step
 * distributions stacked along a leading time axis. Its log-density scores step t's value
 * under step t's distribution; it never draws (each step drew its own value).
 * @module
 */
import { reshape, slice, stack } from "../ops/movement.js";
import type { Key } from "../random/index.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ConstraintLike, DistributionLike } from "./distribution-like.js";

/** Step `t` of `x` along its leading (time) axis, without that axis. @internal */
export function timeStep(x: Tensor, t: number): Tensor {
  const begin = x.shape.map((_, i) => (i === 0 ? t : 0));
  const end = x.shape.map((d, i) => (i === 0 ? t + 1 : d));
  return reshape(slice(x, begin, end), x.shape.slice(1));
}

/** Per-step distributions of one `scan` site, stacked along a leading time axis. */
export class ScanStackedDistribution implements DistributionLike {
  readonly batchShape: Shape;
  readonly eventShape: Shape;

  constructor(
    /** The distribution of each step, in time order (all of one batch and event shape). */
    readonly steps: readonly DistributionLike[],
    readonly site: string,
  ) {
    const first = steps[0];
    if (!first) throw new Error(`scan site '${site}': no steps to stack`);
    this.batchShape = [steps.length, ...first.batchShape];
    this.eventShape = [...first.eventShape];
  }

  get reparametrized(): boolean {
    return this.steps[0]?.reparametrized ?? false;
  }

  get support(): ConstraintLike | undefined {
    return this.steps[0]?.support;
  }

  sample(_key: Key, _sampleShape?: Shape): Tensor {
    throw new Error(
      `scan site '${this.site}': the stacked steps are recorded for scoring; draws come from running the steps`,
    );
  }

  /** Σ-free: [T, ...batch] log-densities, step t's value under step t's distribution. */
  logProb(value: Tensor): Tensor {
    if (value.shape[0] !== this.steps.length)
      throw new Error(
        `scan site '${this.site}': value has ${value.shape[0]} steps on its leading axis, the scan ran ${this.steps.length}`,
      );
    return stack(this.steps.map((d, t) => d.logProb(timeStep(value, t))));
  }

  expand(batchShape: Shape): DistributionLike {
    if (batchShape[0] !== this.steps.length)
      throw new Error(
        `scan site '${this.site}': cannot expand ${this.steps.length} stacked steps to batch shape [${batchShape.join(", ")}]`,
      );
    const rest = batchShape.slice(1);
    return new ScanStackedDistribution(
      this.steps.map((d) => d.expand(rest)),
      this.site,
    );
  }
}
