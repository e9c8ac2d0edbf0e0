/**
 * Test-only distributions built from core ops, so the effect runtime can be tested without
 * @scribe/distributions. They satisfy core's structural DistributionLike interface.
 */
import {
  broadcastShapes,
  broadcastTo,
  type DistributionLike,
  type Key,
  random,
  type Shape,
  scalar,
  type Tensor,
  tensor,
  where,
} from "@scribe/core";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

const asTensor = (x: Tensor | number): Tensor => (typeof x === "number" ? scalar(x) : x);

/** Normal(loc, scale) with a reparameterized sampler; no `mask` method. */
export class ToyNormal implements DistributionLike {
  readonly loc: Tensor;
  readonly scale: Tensor;
  readonly batchShape: Shape;
  readonly eventShape: Shape = [];
  readonly reparametrized = true;
  sampleCalls = 0;

  constructor(loc: Tensor | number, scale: Tensor | number) {
    this.loc = asTensor(loc);
    this.scale = asTensor(scale);
    this.batchShape = broadcastShapes(this.loc.shape, this.scale.shape);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    this.sampleCalls++;
    const eps = random.normal(key, [...sampleShape, ...this.batchShape]);
    return eps.mul(this.scale).add(this.loc);
  }

  rsample(key: Key, sampleShape: Shape = []): Tensor {
    return this.sample(key, sampleShape);
  }

  logProb(x: Tensor): Tensor {
    const z = x.sub(this.loc).div(this.scale);
    return z.square().mul(-0.5).sub(this.scale.log()).sub(HALF_LOG_2PI);
  }

  expand(batchShape: Shape): ToyNormal {
    return new ToyNormal(broadcastTo(this.loc, batchShape), broadcastTo(this.scale, batchShape));
  }
}

/** A ToyNormal whose `mask` returns a masked copy (exercises the mask-method path). */
export class MaskableToyNormal extends ToyNormal {
  constructor(
    loc: Tensor | number,
    scale: Tensor | number,
    readonly maskValue: Tensor | boolean = true,
  ) {
    super(loc, scale);
  }

  override logProb(x: Tensor): Tensor {
    const lp = super.logProb(x);
    if (this.maskValue === true) return lp;
    if (this.maskValue === false) return lp.mul(0);
    return where(this.maskValue, lp, 0);
  }

  override expand(batchShape: Shape): MaskableToyNormal {
    return new MaskableToyNormal(
      broadcastTo(this.loc, batchShape),
      broadcastTo(this.scale, batchShape),
      this.maskValue,
    );
  }

  mask(m: Tensor | boolean): MaskableToyNormal {
    return new MaskableToyNormal(this.loc, this.scale, m);
  }
}

/** Independent normals over the last dim (event shape [d]): logProb sums that dim. */
export class ToyMvNormalDiag implements DistributionLike {
  readonly batchShape: Shape;
  readonly eventShape: Shape;
  readonly reparametrized = true;

  constructor(
    readonly loc: Tensor,
    readonly scale: Tensor,
  ) {
    const s = broadcastShapes(loc.shape, scale.shape);
    this.batchShape = s.slice(0, -1);
    this.eventShape = s.slice(-1);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    return random
      .normal(key, [...sampleShape, ...this.batchShape, ...this.eventShape])
      .mul(this.scale)
      .add(this.loc);
  }

  rsample(key: Key, sampleShape: Shape = []): Tensor {
    return this.sample(key, sampleShape);
  }

  logProb(x: Tensor): Tensor {
    return new ToyNormal(this.loc, this.scale).logProb(x).sum(-1);
  }

  expand(batchShape: Shape): ToyMvNormalDiag {
    const full = [...batchShape, ...this.eventShape];
    return new ToyMvNormalDiag(broadcastTo(this.loc, full), broadcastTo(this.scale, full));
  }
}

/** Standard normal, scalar batch. */
export const normal01 = (): ToyNormal => new ToyNormal(0, 1);

/** Plain-JS normal log-density, for reference values. */
export function normalLogPdf(x: number, loc: number, scale: number): number {
  const z = (x - loc) / scale;
  return -0.5 * z * z - Math.log(scale) - HALF_LOG_2PI;
}

/** Numbers of a tensor as a plain array. */
export function arr(t: Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>);
}

export { tensor };
