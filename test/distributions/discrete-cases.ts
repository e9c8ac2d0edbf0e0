// The case table driving the generic discrete-family tests (shapes, moments, goodness of fit,
// gradients, masking). Not a test file itself.
import type { Tensor } from "@scribe/core";
import {
  BernoulliLogits,
  BernoulliProbs,
  BetaBinomial,
  BinomialLogits,
  BinomialProbs,
  CategoricalLogits,
  CategoricalProbs,
  DirichletMultinomial,
  type Distribution,
  GammaPoisson,
  GeometricLogits,
  GeometricProbs,
  MixtureGeneral,
  MixtureSameFamily,
  MultinomialLogits,
  MultinomialProbs,
  NegativeBinomial2,
  NegativeBinomialLogits,
  NegativeBinomialProbs,
  Poisson,
  PoissonBeta,
  ZeroInflatedLogits,
  ZeroInflatedNegativeBinomial2,
  ZeroInflatedPoisson,
  ZeroInflatedProbs,
} from "@scribe/distributions";

type Nested = number | number[] | number[][] | number[][][];

export interface DiscreteCase {
  name: string;
  /** Build from float64 parameter tensors (keys of `batched` / `scalar`). */
  make: (p: Record<string, Tensor>) => Distribution;
  /** Batch-shaped parameters (broadcasting against each other) for shape/gradient/mask tests. */
  batched: Record<string, Nested>;
  /** Expected batch and event shapes for `batched`. */
  batchShape: number[];
  eventShape: number[];
  /** Valid values (broadcast against the batch) for the gradient and mask tests. */
  values: Nested;
  /** Continuous parameters to finite-difference. */
  grad: string[];
  /** Scalar-batch parameters for the moment and goodness-of-fit tests. */
  scalar: Record<string, Nested>;
  /** moments.json entry matching `scalar` (dist name and params), when there is one. */
  momentRef?: { dist: string; params: Record<string, number> };
  /** Goodness of fit: range of values (scalar events) or the explicit outcome list (vector events). */
  gof: { lo: number; hi: number } | { outcomes: number[][] };
}

/** All count vectors of length K summing to n. */
export function compositions(n: number, K: number): number[][] {
  if (K === 1) return [[n]];
  const out: number[][] = [];
  for (let i = 0; i <= n; i++) for (const rest of compositions(n - i, K - 1)) out.push([i, ...rest]);
  return out;
}

const logit = (p: number) => Math.log(p / (1 - p));

export const CASES: DiscreteCase[] = [
  {
    name: "BernoulliProbs",
    make: (p) => new BernoulliProbs(p.probs!),
    batched: {
      probs: [
        [0.2, 0.5, 0.9],
        [0.1, 0.3, 0.6],
      ],
    },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 0, 1],
      [0, 1, 1],
    ],
    grad: ["probs"],
    scalar: { probs: 0.3 },
    gof: { lo: 0, hi: 1 },
  },
  {
    name: "BernoulliLogits",
    make: (p) => new BernoulliLogits(p.logits!),
    batched: {
      logits: [
        [-2, 0, 3],
        [1, -1, 0.5],
      ],
    },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 0, 1],
      [0, 1, 1],
    ],
    grad: ["logits"],
    scalar: { logits: -0.7 },
    gof: { lo: 0, hi: 1 },
  },
  {
    name: "CategoricalProbs",
    make: (p) => new CategoricalProbs(p.probs!),
    batched: {
      probs: [
        [0.2, 0.3, 0.5],
        [0.6, 0.1, 0.3],
      ],
    },
    batchShape: [2],
    eventShape: [],
    values: [2, 0],
    grad: ["probs"],
    scalar: { probs: [0.1, 0.2, 0.3, 0.4] },
    gof: { lo: 0, hi: 3 },
  },
  {
    name: "CategoricalLogits",
    make: (p) => new CategoricalLogits(p.logits!),
    batched: {
      logits: [
        [0, 1, -1],
        [2, 0.5, 0],
      ],
    },
    batchShape: [2],
    eventShape: [],
    values: [1, 2],
    grad: ["logits"],
    scalar: { logits: [0, 1, -1, 0.5] },
    gof: { lo: 0, hi: 3 },
  },
  {
    name: "BinomialProbs",
    make: (p) => new BinomialProbs(p.totalCount!, p.probs!),
    batched: { totalCount: [5, 10, 20], probs: [[0.3], [0.6]] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 4, 7],
      [3, 6, 12],
    ],
    grad: ["probs"],
    scalar: { totalCount: 20, probs: 0.3 },
    momentRef: { dist: "Binomial", params: { total_count: 20, probs: 0.3 } },
    gof: { lo: 0, hi: 20 },
  },
  {
    name: "BinomialLogits",
    make: (p) => new BinomialLogits(p.totalCount!, p.logits!),
    batched: { totalCount: [5, 10, 20], logits: [[-1], [0.5]] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 4, 7],
      [3, 6, 12],
    ],
    grad: ["logits"],
    scalar: { totalCount: 20, logits: logit(0.3) },
    gof: { lo: 0, hi: 20 },
  },
  {
    name: "MultinomialProbs",
    make: (p) => new MultinomialProbs(p.totalCount!, p.probs!),
    batched: {
      totalCount: 4,
      probs: [
        [0.2, 0.3, 0.5],
        [0.6, 0.1, 0.3],
      ],
    },
    batchShape: [2],
    eventShape: [3],
    values: [
      [1, 1, 2],
      [4, 0, 0],
    ],
    grad: ["probs"],
    scalar: { totalCount: 4, probs: [0.2, 0.3, 0.5] },
    gof: { outcomes: compositions(4, 3) },
  },
  {
    name: "MultinomialLogits",
    make: (p) => new MultinomialLogits(p.totalCount!, p.logits!),
    batched: {
      totalCount: [3, 5],
      logits: [
        [0, 1, -1],
        [2, 0.5, 0],
      ],
    },
    batchShape: [2],
    eventShape: [3],
    values: [
      [1, 1, 1],
      [2, 1, 2],
    ],
    grad: ["logits"],
    scalar: { totalCount: 4, logits: [0, 1, -1] },
    gof: { outcomes: compositions(4, 3) },
  },
  {
    name: "Poisson",
    make: (p) => new Poisson(p.rate!),
    batched: {
      rate: [
        [1.5, 4, 0.3],
        [10, 2, 7],
      ],
    },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [0, 3, 1],
      [12, 0, 5],
    ],
    grad: ["rate"],
    scalar: { rate: 3.5 },
    momentRef: { dist: "Poisson", params: { rate: 3.5 } },
    gof: { lo: 0, hi: 30 },
  },
  {
    name: "GeometricProbs",
    make: (p) => new GeometricProbs(p.probs!),
    batched: {
      probs: [
        [0.2, 0.5, 0.9],
        [0.1, 0.3, 0.6],
      ],
    },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 0, 3],
      [10, 2, 0],
    ],
    grad: ["probs"],
    scalar: { probs: 0.2 },
    momentRef: { dist: "Geometric", params: { probs: 0.2 } },
    gof: { lo: 0, hi: 60 },
  },
  {
    name: "GeometricLogits",
    make: (p) => new GeometricLogits(p.logits!),
    batched: {
      logits: [
        [-1, 0, 2],
        [1, -2, 0.5],
      ],
    },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 0, 3],
      [10, 2, 0],
    ],
    grad: ["logits"],
    scalar: { logits: logit(0.5) },
    momentRef: { dist: "Geometric", params: { probs: 0.5 } },
    gof: { lo: 0, hi: 30 },
  },
  {
    name: "BetaBinomial",
    make: (p) => new BetaBinomial(p.concentration1!, p.concentration0!, p.totalCount!),
    batched: { concentration1: [[2], [0.5]], concentration0: [3, 1, 0.7], totalCount: 10 },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [1, 4, 10],
      [0, 6, 9],
    ],
    grad: ["concentration1", "concentration0"],
    scalar: { concentration1: 2, concentration0: 3, totalCount: 10 },
    momentRef: { dist: "BetaBinomial", params: { concentration1: 2, concentration0: 3, total_count: 10 } },
    gof: { lo: 0, hi: 10 },
  },
  {
    name: "DirichletMultinomial",
    make: (p) => new DirichletMultinomial(p.concentration!, p.totalCount!),
    batched: {
      concentration: [
        [1, 2, 3],
        [0.5, 0.5, 4],
      ],
      totalCount: [4, 6],
    },
    batchShape: [2],
    eventShape: [3],
    values: [
      [1, 1, 2],
      [0, 1, 5],
    ],
    grad: ["concentration"],
    scalar: { concentration: [1, 2, 3], totalCount: 4 },
    gof: { outcomes: compositions(4, 3) },
  },
  {
    name: "GammaPoisson",
    make: (p) => new GammaPoisson(p.concentration!, p.rate!),
    batched: { concentration: [[2], [0.5]], rate: [0.5, 1, 3] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [3, 0, 1],
      [0, 2, 7],
    ],
    grad: ["concentration", "rate"],
    scalar: { concentration: 2, rate: 0.5 },
    gof: { lo: 0, hi: 60 },
  },
  {
    name: "NegativeBinomialProbs",
    make: (p) => new NegativeBinomialProbs(p.totalCount!, p.probs!),
    batched: { totalCount: [[5], [0.5]], probs: [0.3, 0.7, 0.9] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [4, 0, 12],
      [0, 1, 20],
    ],
    grad: ["totalCount", "probs"],
    scalar: { totalCount: 5, probs: 0.3 },
    momentRef: { dist: "NegativeBinomialProbs", params: { total_count: 5, probs: 0.3 } },
    gof: { lo: 0, hi: 40 },
  },
  {
    name: "NegativeBinomialLogits",
    make: (p) => new NegativeBinomialLogits(p.totalCount!, p.logits!),
    batched: { totalCount: [[5], [1]], logits: [-1, 0, 2] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [4, 0, 12],
      [0, 1, 20],
    ],
    grad: ["totalCount", "logits"],
    scalar: { totalCount: 5, logits: -1 },
    momentRef: { dist: "NegativeBinomialLogits", params: { total_count: 5, logits: -1 } },
    gof: { lo: 0, hi: 30 },
  },
  {
    name: "NegativeBinomial2",
    make: (p) => new NegativeBinomial2(p.mean!, p.concentration!),
    batched: { mean: [[10], [0.5]], concentration: [2, 0.3, 50] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [5, 0, 12],
      [0, 1, 2],
    ],
    grad: ["mean", "concentration"],
    scalar: { mean: 10, concentration: 2 },
    momentRef: { dist: "NegativeBinomial2", params: { mean: 10, concentration: 2 } },
    gof: { lo: 0, hi: 120 },
  },
  {
    name: "ZeroInflatedPoisson",
    make: (p) => new ZeroInflatedPoisson(p.gate!, p.rate!),
    batched: { gate: [[0.3], [0.05]], rate: [1, 4, 10] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [0, 3, 9],
      [1, 0, 12],
    ],
    grad: ["gate", "rate"],
    scalar: { gate: 0.3, rate: 4 },
    gof: { lo: 0, hi: 25 },
  },
  {
    name: "ZINB2Probs",
    make: (p) => ZeroInflatedNegativeBinomial2(p.mean!, p.concentration!, { gate: p.gate! }),
    batched: { mean: [[10], [0.5]], concentration: [2, 0.3, 5], gate: 0.3 },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [0, 3, 9],
      [1, 0, 2],
    ],
    grad: ["mean", "concentration", "gate"],
    scalar: { mean: 10, concentration: 2, gate: 0.3 },
    momentRef: { dist: "ZeroInflatedNegativeBinomial2", params: { mean: 10, concentration: 2, gate: 0.3 } },
    gof: { lo: 0, hi: 120 },
  },
  {
    name: "ZINB2Logits",
    make: (p) => ZeroInflatedNegativeBinomial2(p.mean!, p.concentration!, { gateLogits: p.gateLogits! }),
    batched: { mean: [[10], [0.5]], concentration: [2, 0.3, 5], gateLogits: [-1, 0, 1] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [0, 3, 9],
      [1, 0, 2],
    ],
    grad: ["mean", "concentration", "gateLogits"],
    scalar: { mean: 10, concentration: 2, gateLogits: logit(0.3) },
    momentRef: { dist: "ZeroInflatedNegativeBinomial2", params: { mean: 10, concentration: 2, gate: 0.3 } },
    gof: { lo: 0, hi: 120 },
  },
  {
    name: "ZeroInflatedProbs(NBProbs)",
    make: (p) => new ZeroInflatedProbs(new NegativeBinomialProbs(p.totalCount!, p.probs!), p.gate!),
    batched: { totalCount: [[5], [0.5]], probs: [0.3, 0.7, 0.9], gate: [0.2, 0.5, 0.05] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [0, 3, 9],
      [1, 0, 2],
    ],
    grad: ["totalCount", "probs", "gate"],
    scalar: { totalCount: 5, probs: 0.3, gate: 0.25 },
    gof: { lo: 0, hi: 40 },
  },
  {
    name: "ZeroInflatedLogits(Poisson)",
    make: (p) => new ZeroInflatedLogits(new Poisson(p.rate!), p.gateLogits!),
    batched: {
      rate: [
        [1.5, 4, 0.3],
        [10, 2, 7],
      ],
      gateLogits: [[-1], [2]],
    },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [0, 3, 1],
      [12, 0, 5],
    ],
    grad: ["rate", "gateLogits"],
    scalar: { rate: 4, gateLogits: -0.5 },
    gof: { lo: 0, hi: 25 },
  },
  {
    name: "PoissonBeta",
    make: (p) => new PoissonBeta(p.alpha!, p.beta!, p.rate!, p.capture!),
    batched: { alpha: [[2], [5]], beta: [3, 10, 1.5], rate: 20, capture: [[0.5], [0.9]] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [3, 0, 10],
      [7, 2, 30],
    ],
    grad: ["alpha", "beta", "rate", "capture"],
    scalar: { alpha: 5, beta: 5, rate: 30, capture: 1 },
    momentRef: { dist: "PoissonBeta", params: { alpha: 5, beta: 5, rate: 30, capture: 1 } },
    gof: { lo: 0, hi: 40 },
  },
  {
    name: "MixtureSameFamily(Poisson)",
    make: (p) => new MixtureSameFamily(new CategoricalProbs(p.weights!), new Poisson(p.rates!)),
    batched: { weights: [0.3, 0.7], rates: [[[1, 8]], [[3, 15]]] },
    batchShape: [2, 1],
    eventShape: [],
    values: [[2], [10]],
    grad: ["weights", "rates"],
    scalar: { weights: [0.3, 0.7], rates: [1, 8] },
    gof: { lo: 0, hi: 30 },
  },
  {
    name: "MixtureGeneral(Poisson, Geometric)",
    make: (p) =>
      new MixtureGeneral(new CategoricalLogits(p.logits!), [
        new Poisson(p.rate!),
        new GeometricProbs(p.probs!),
      ]),
    batched: { logits: [0.2, -0.4], rate: [2, 9, 4], probs: [[0.3], [0.1]] },
    batchShape: [2, 3],
    eventShape: [],
    values: [
      [2, 0, 7],
      [1, 11, 4],
    ],
    grad: ["logits", "rate", "probs"],
    scalar: { logits: [0.2, -0.4], rate: 6, probs: 0.3 },
    gof: { lo: 0, hi: 40 },
  },
];
