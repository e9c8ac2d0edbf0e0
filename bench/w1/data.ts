import { fromTypedArray, type Key, key, random, splitKey } from "@scribe/core";

/**
 * W1 data (BENCHMARKS.md): Y (N × G) ~ GammaPoisson with mean exp(logLib_c + logMu_g) and
 * concentration θ_g = exp(logTheta_g); logMu ~ N(0, 1.5), logLib ~ N(0, 0.25),
 * logTheta ~ N(0, 1) (second argument read as the standard deviation), drawn with the
 * library's own seeded keys: λ ~ Gamma(θ, rate θ/μ), y ~ Poisson(λ).
 */
export interface W1Data {
  readonly N: number;
  readonly G: number;
  readonly y: Float32Array;
  readonly logMu: Float32Array;
  readonly logTheta: Float32Array;
  readonly logLib: Float32Array;
}

export function makeW1Data(N = 2000, G = 5000, seed = 0): W1Data {
  const [k1, k2, k3, k4, k5] = splitKey(key(seed), 5) as Key[];
  const logMu = random.normal(k1!, [G]).mul(1.5).dataSync() as Float32Array;
  const logLib = random.normal(k2!, [N]).mul(0.25).dataSync() as Float32Array;
  const logTheta = random.normal(k3!, [G]).dataSync() as Float32Array;
  const conc = new Float64Array(N * G);
  for (let c = 0; c < N; c++) for (let g = 0; g < G; g++) conc[c * G + g] = Math.exp(logTheta[g]!);
  const gam = random.gamma(k4!, fromTypedArray(conc, [N, G])).dataSync();
  const rate = new Float64Array(N * G);
  for (let c = 0; c < N; c++)
    for (let g = 0; g < G; g++) {
      const i = c * G + g;
      rate[i] = (gam[i]! * Math.exp(logLib[c]! + logMu[g]!)) / conc[i]!;
    }
  const y = random.poisson(k5!, fromTypedArray(rate, [N, G])).dataSync();
  return { N, G, y: Float32Array.from(y), logMu, logTheta, logLib };
}
