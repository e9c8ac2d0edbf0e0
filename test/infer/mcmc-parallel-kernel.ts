// A kernel module for the parallel-chains test: worker threads import it and call `makeKernel`.
import { NUTS, type PotentialGradFn } from "@scribe/infer";

/** A 2-D Gaussian with sds (1, 3) as a plain-JS potential. */
export function makeKernel(scale2: number): NUTS {
  const pot: PotentialGradFn = (x, g) => {
    g[0] = x[0]!;
    g[1] = x[1]! / (scale2 * scale2);
    return 0.5 * (x[0]! ** 2 + (x[1]! / scale2) ** 2);
  };
  return new NUTS({ potentialFnGrad: pot, dim: 2 });
}
