// The draw streams compared across runtimes (issue 22, item 6): each case draws from one
// sampler of `random` with a fixed key, in float64 on the cpu backend. Shared by the
// generator (draw-stream-generate.ts), the vitest test and the Deno test (test/deno), which
// pass in their own build of @scribe/core and @scribe/distributions. The samplers' exp/log/cos
// are portable-math's, and the tensor transforms that turn gammas, normals and uniforms into
// Beta, Dirichlet, LogNormal, Exponential draws and the inverse-cdf samplers (Laplace, Gumbel,
// Logistic, Cauchy, HalfCauchy, Pareto, LogUniform, Weibull) and TransformedDistribution's
// transforms (drawForward) run core's portable ops (random/portable-ops.ts, portable-math in
// the cpu loop), so every engine gives the same bits; Math.sqrt and +, −, ×, ÷
// are correctly rounded. Before those ops, Deno 2.9's V8 gave beta and dirichlet draws 1 ulp
// from Node 20's (their Math.exp/Math.log differ in the last bit). The last cases draw through
// @scribe/infer: an AutoNormal guide (its sites' draw maps), flow layers (their draw passes:
// network activations, spline softmax/softplus/log, exp of the log-scales) and BernoulliLogits
// and BinomialLogits (the portable logistic function), NegativeBinomialLogits (the portable exp).

/** The part of @scribe/core the cases need (the source or the built dist). */
export interface CoreForDraws {
  key(seed: number): unknown;
  random: {
    // biome-ignore lint/suspicious/noExplicitAny: the source and dist typings differ nominally
    [name: string]: (...args: any[]) => { dataSync(): ArrayLike<number> };
  };
  tensor(values: number[], opts?: { dtype: "float64" }): unknown;
  sample(name: string, fn: unknown): unknown;
  plate(name: string, size: number, fn: () => void): void;
  seed(fn: () => unknown, k: unknown): () => unknown;
  trace(fn: () => unknown): {
    getTrace(): Map<string, { value: { dataSync(): ArrayLike<number> } | null }>;
  };
}

/** A distribution class of @scribe/distributions, as far as the cases use it. */
type SamplerClass = new (
  a: unknown,
  b?: unknown,
) => { sample(k: unknown, shape: number[]): { dataSync(): ArrayLike<number> } };

/** The part of @scribe/distributions the cases need (the source or the built dist). */
export interface DistributionsForDraws {
  LogNormal: SamplerClass;
  Exponential: SamplerClass;
  Laplace: SamplerClass;
  Gumbel: SamplerClass;
  Logistic: SamplerClass;
  Cauchy: SamplerClass;
  HalfCauchy: SamplerClass;
  Pareto: SamplerClass;
  LogUniform: SamplerClass;
  Weibull: SamplerClass;
  GeometricProbs: SamplerClass;
  GeometricLogits: SamplerClass;
  Normal: SamplerClass;
  Beta: SamplerClass;
  HalfNormal: SamplerClass;
  Dirichlet: SamplerClass;
  BernoulliLogits: SamplerClass;
  BinomialLogits: SamplerClass;
  NegativeBinomialLogits: SamplerClass;
  TransformedDistribution: SamplerClass;
  ExpTransform: TransformClass;
  SigmoidTransform: TransformClass;
  SoftplusTransform: TransformClass;
  PowerTransform: TransformClass;
  StickBreakingTransform: TransformClass;
  LowerCholeskyTransform: TransformClass;
  CorrCholeskyTransform: TransformClass;
  OrderedTransform: TransformClass;
  AffineTransform: TransformClass;
  ComposeTransform: TransformClass;
}

/** A transform class of @scribe/distributions, as far as the cases use it. */
type TransformClass = new (a?: unknown, b?: unknown) => { readonly inv: unknown };

/** A flow layer class of @scribe/infer, as far as the cases use it. */
type FlowLayerClass = new (
  dim: number,
  opts: Record<string, unknown>,
) => {
  readonly paramNames: readonly string[];
  init(k: unknown): Record<string, { shape: number[] }>;
  bind(params: Record<string, unknown>): unknown;
};

/** The part of @scribe/infer the cases need (the source or the built dist). */
export interface InferForDraws {
  AutoNormal: new (model: () => void) => { call(): unknown };
  SplineCoupling: FlowLayerClass;
  InverseAutoregressiveFlow: FlowLayerClass;
  AffineCoupling: FlowLayerClass;
}

const N = 64;

/** Case name → the draws, as numbers. */
export function drawCases(
  core: CoreForDraws,
  dists: DistributionsForDraws,
  infer: InferForDraws,
): Record<string, number[]> {
  const { key, random, tensor } = core;
  const f64 = { dtype: "float64" as const };
  const t = (v: number[]) => tensor(v, f64);
  const normal = (loc: number, scale: number) => new dists.Normal(t([loc]), t([scale]));
  // a vector Normal: n independent coordinates as one event
  const normalVector = (n: number, scale: number) =>
    (
      new dists.Normal(t(new Array<number>(n).fill(0)), t([scale])) as unknown as {
        toEvent(k: number): unknown;
      }
    ).toEvent(1);
  const transformed = (base: unknown, ts: unknown) => new dists.TransformedDistribution(base, ts);
  // A flow layer with params from init, its zero output layer replaced by a normal draw × 0.3
  // (a fresh layer is the identity), float64.
  const flowDraw = (layer: InstanceType<FlowLayerClass>, seed: number, n: number, dim: number) => {
    const params: Record<string, unknown> = { ...layer.init(key(seed)) };
    for (const name of ["out.weight", "out.bias"])
      params[name] = (
        random.normal!(key(seed + 1000), (params[name] as { shape: number[] }).shape, f64) as unknown as {
          mul(c: number): unknown;
        }
      ).mul(0.3);
    return transformed(normalVector(dim, 1.5), layer.bind(params)).sample(key(seed), [n]);
  };
  // An AutoNormal guide's draws of a positive (exp), unit-interval (sigmoid) and simplex
  // (stick-breaking) site, with its initial params (initToUniform: portable too).
  const autoNormalDraws = (site: string) => {
    const model = () => {
      core.plate("N", N / 4, () => {
        core.sample("scale", new dists.HalfNormal(t([2])));
        core.sample("p", new dists.Beta(t([2]), t([3])));
        core.sample("w", new dists.Dirichlet(t([1, 2, 3])));
      });
    };
    const guide = new infer.AutoNormal(model);
    const tr = core.trace(core.seed(() => guide.call(), key(46))).getTrace();
    return tr.get(site)!.value!;
  };
  const cases: Record<string, () => { dataSync(): ArrayLike<number> }> = {
    uniform: () => random.uniform!(key(1), [N], 0, 1, f64),
    normal: () => random.normal!(key(2), [N], f64),
    "gamma a=0.3": () => random.gamma!(key(3), t([0.3]), [N], f64),
    "gamma a=4.5": () => random.gamma!(key(4), t([4.5]), [N], f64),
    "poisson small": () => random.poisson!(key(7), t([3.5]), [N], f64),
    "poisson large": () => random.poisson!(key(8), t([250]), [N], f64),
    "binomial small": () => random.binomial!(key(9), t([20]), t([0.3]), [N], f64),
    "binomial large": () => random.binomial!(key(10), t([5000]), t([0.4]), [N], f64),
    "truncated normal": () => random.truncatedNormal!(key(11), t([1.5]), t([4]), [N], f64),
    "truncated normal tail": () => random.truncatedNormal!(key(12), t([-1]), t([0.5]), [N], f64),
    "truncated normal deep": () => random.truncatedNormal!(key(14), t([6]), t([20]), [N], f64),
    categorical: () => random.categorical!(key(13), t([0, 1.2, -0.7, 2]), [N]),
    // tensor beta: both boosts (a, b < 1), one boost, none; and float32 (rounded from float64)
    "beta a=0.4 b=0.05": () => random.beta!(key(15), t([0.4]), t([0.05]), [N], f64),
    "beta a=0.4 b=2.5": () => random.beta!(key(16), t([0.4]), t([2.5]), [N], f64),
    "beta a=3 b=7.5": () => random.beta!(key(17), t([3]), t([7.5]), [N], f64),
    "beta float32": () => random.beta!(key(18), tensor([0.7]), tensor([1.3]), [N]),
    dirichlet: () => random.dirichlet!(key(19), t([0.2, 1, 4.5]), [N]),
    "dirichlet float32": () => random.dirichlet!(key(20), tensor([0.5, 2]), [N]),
    LogNormal: () => new dists.LogNormal(t([0.3]), t([1.7])).sample(key(21), [N]),
    Exponential: () => new dists.Exponential(t([2.5])).sample(key(22), [N]),
    // the other inverse-cdf samplers: portable log, log1p, exp and tan(πt)
    Laplace: () => new dists.Laplace(t([0.5]), t([2])).sample(key(23), [N]),
    Gumbel: () => new dists.Gumbel(t([-1]), t([0.7])).sample(key(24), [N]),
    Logistic: () => new dists.Logistic(t([2]), t([1.5])).sample(key(25), [N]),
    Cauchy: () => new dists.Cauchy(t([0.1]), t([3])).sample(key(26), [N]),
    HalfCauchy: () => new dists.HalfCauchy(t([1.2])).sample(key(27), [N]),
    Pareto: () => new dists.Pareto(t([1.5]), t([2.2])).sample(key(28), [N]),
    LogUniform: () => new dists.LogUniform(t([0.01]), t([50])).sample(key(29), [N]),
    Weibull: () => new dists.Weibull(t([2]), t([0.8])).sample(key(30), [N]),
    GeometricProbs: () => new dists.GeometricProbs(t([0.15])).sample(key(31), [N]),
    GeometricLogits: () => new dists.GeometricLogits(t([-1.3, 2.2])).sample(key(32), [N / 2]),
    // TransformedDistribution: each transform's draw map (drawForward) with portable exp, log,
    // log1p, expm1, sigmoid, softplus, tanh and pow, over draws of the portable samplers above
    "transformed exp": () => transformed(normal(0.3, 1.7), new dists.ExpTransform()).sample(key(33), [N]),
    "transformed sigmoid": () =>
      transformed(normal(0.5, 2), new dists.SigmoidTransform()).sample(key(34), [N]),
    "transformed softplus": () =>
      transformed(normal(-1, 3), new dists.SoftplusTransform()).sample(key(35), [N]),
    "transformed power 1.7": () =>
      transformed(new dists.Exponential(t([1.3])), new dists.PowerTransform(1.7)).sample(key(36), [N]),
    "transformed power -2": () =>
      transformed(new dists.Exponential(t([1.3])), new dists.PowerTransform(-2)).sample(key(37), [N]),
    "transformed power tensor": () =>
      transformed(new dists.Exponential(t([1.3, 0.4])), new dists.PowerTransform(t([0.6, 3]))).sample(
        key(38),
        [N / 2],
      ),
    "transformed logit (sigmoid inverse)": () =>
      transformed(new dists.Beta(t([2]), t([3])), new dists.SigmoidTransform().inv).sample(key(39), [N]),
    "transformed softplus inverse": () =>
      transformed(new dists.Exponential(t([0.8])), new dists.SoftplusTransform().inv).sample(key(40), [N]),
    "transformed stick-breaking": () =>
      transformed(normalVector(3, 1.5), new dists.StickBreakingTransform()).sample(key(41), [N / 4]),
    "transformed lower-cholesky": () =>
      transformed(normalVector(6, 1), new dists.LowerCholeskyTransform()).sample(key(42), [N / 8]),
    "transformed corr-cholesky": () =>
      transformed(normalVector(3, 1.2), new dists.CorrCholeskyTransform()).sample(key(43), [N / 8]),
    "transformed ordered": () =>
      transformed(normalVector(4, 2), new dists.OrderedTransform()).sample(key(44), [N / 4]),
    "transformed compose exp-affine": () =>
      transformed(normal(0, 1), [new dists.ExpTransform(), new dists.AffineTransform(1, 2)]).sample(key(45), [
        N,
      ]),
    "AutoNormal positive site": () => autoNormalDraws("scale"),
    "AutoNormal unit-interval site": () => autoNormalDraws("p"),
    "AutoNormal simplex site": () => autoNormalDraws("w"),
    "flow spline coupling (tanh)": () =>
      flowDraw(
        new infer.SplineCoupling(3, { hiddenDims: [8], activation: "tanh", numBins: 4, dtype: "float64" }),
        47,
        N / 4,
        3,
      ),
    "flow inverse autoregressive (softplus)": () =>
      flowDraw(
        new infer.InverseAutoregressiveFlow(3, { hiddenDims: [8], activation: "softplus", dtype: "float64" }),
        48,
        N / 4,
        3,
      ),
    "flow affine coupling (relu)": () =>
      flowDraw(new infer.AffineCoupling(2, { hiddenDims: [8], dtype: "float64" }), 49, N / 2, 2),
    BernoulliLogits: () => new dists.BernoulliLogits(t([-2.5, 0.3, 1.7, 4])).sample(key(50), [N / 4]),
    BinomialLogits: () => new dists.BinomialLogits(t([25]), t([-0.8, 2.1])).sample(key(51), [N / 2]),
    NegativeBinomialLogits: () =>
      new dists.NegativeBinomialLogits(t([0.7, 12]), t([-1.3, 2.2])).sample(key(52), [N / 2]),
  };
  return Object.fromEntries(Object.entries(cases).map(([name, f]) => [name, Array.from(f().dataSync())]));
}

/** A float64's bits as 16 hex digits (big-endian), the fixture's exact encoding. */
export function hexOf(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getUint32(0).toString(16).padStart(8, "0") + v.getUint32(4).toString(16).padStart(8, "0");
}
