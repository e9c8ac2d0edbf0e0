import {
  add,
  broadcastTo,
  cholesky,
  choleskySolve,
  concat,
  cumsum,
  eye,
  gather,
  logsumexp,
  matmul,
  max,
  mean,
  min,
  mT,
  pad,
  prod,
  reshape,
  scatterAdd,
  slice,
  split,
  squeeze,
  stack,
  std,
  sum,
  type Tensor,
  tensor,
  transpose,
  triangularSolve,
  unsqueeze,
  variance,
} from "@scribe/core";
import { nbLogitsLogProb, nbProbsLogProb, zinb2LogitsLogProb, zinb2LogProb } from "@scribe/distributions";

/** One generic-test case for an op that is not a plain elementwise scalar op. */
export interface OpCase {
  readonly name: string;
  /** Shape and sampling range of each input (integer inputs are not differentiated). */
  readonly inputs: readonly { shape: number[]; lo: number; hi: number; integer?: boolean }[];
  readonly fn: (xs: Tensor[]) => Tensor;
}

const idx = () => tensor([2, 0, 2, 1], { dtype: "int32" });
const spd = (x: Tensor) => add(matmul(x, mT(x)), eye(x.shape[x.rank - 1]!, undefined, "float64").mul(3));

export const OP_CASES: readonly OpCase[] = [
  { name: "sum all", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => sum(x!) },
  { name: "sum axis 0 keepdims", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => sum(x!, 0, true) },
  { name: "sum axes [0,2]", inputs: [{ shape: [2, 3, 4], lo: -2, hi: 2 }], fn: ([x]) => sum(x!, [0, 2]) },
  { name: "mean axis -1", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => mean(x!, -1) },
  { name: "prod axis 1", inputs: [{ shape: [3, 4], lo: 0.5, hi: 2 }], fn: ([x]) => prod(x!, 1) },
  { name: "max axis 1", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => max(x!, 1) },
  { name: "min all", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => min(x!) },
  { name: "logsumexp axis 0", inputs: [{ shape: [3, 4], lo: -5, hi: 5 }], fn: ([x]) => logsumexp(x!, 0) },
  {
    name: "variance ddof 1",
    inputs: [{ shape: [3, 4], lo: -2, hi: 2 }],
    fn: ([x]) => variance(x!, 1, { ddof: 1 }),
  },
  { name: "std all", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => std(x!) },
  {
    name: "reshape",
    inputs: [{ shape: [3, 4], lo: -2, hi: 2 }],
    fn: ([x]) => reshape(x!, [2, 6]).mul(tensor([1, 2, 3, 4, 5, 6], { dtype: "float64" })),
  },
  {
    name: "transpose 3d",
    inputs: [{ shape: [2, 3, 4], lo: -2, hi: 2 }],
    fn: ([x]) => transpose(x!, [2, 0, 1]).mul(tensor([1, 2, 3], { dtype: "float64" }).reshape([1, 1, 3])),
  },
  {
    name: "squeeze/unsqueeze",
    inputs: [{ shape: [3, 1, 4], lo: -2, hi: 2 }],
    fn: ([x]) => unsqueeze(squeeze(x!, 1), 0).exp(),
  },
  {
    name: "broadcastTo",
    inputs: [{ shape: [3, 1], lo: -2, hi: 2 }],
    fn: ([x]) => broadcastTo(x!, [2, 3, 4]).mul(tensor([1, -2, 3, 0.5], { dtype: "float64" })),
  },
  {
    name: "slice",
    inputs: [{ shape: [4, 5], lo: -2, hi: 2 }],
    fn: ([x]) => slice(x!, [1, 1], [3, -1]).exp(),
  },
  { name: "pad", inputs: [{ shape: [2, 3], lo: -2, hi: 2 }], fn: ([x]) => pad(x!, [4, 5], [1, 2]).exp() },
  {
    name: "concat axis 1",
    inputs: [
      { shape: [2, 3], lo: -2, hi: 2 },
      { shape: [2, 2], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => concat([a!, b!], 1).exp(),
  },
  {
    name: "stack axis 1",
    inputs: [
      { shape: [2, 3], lo: -2, hi: 2 },
      { shape: [2, 3], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => stack([a!, b!], 1).sin(),
  },
  {
    name: "split",
    inputs: [{ shape: [4, 3], lo: -2, hi: 2 }],
    fn: ([x]) => {
      const [p, q] = split(x!, [1, 3], 0);
      return add(p!.exp().sum(), q!.sin().sum());
    },
  },
  {
    name: "gather axis 0",
    inputs: [{ shape: [3, 4], lo: -2, hi: 2 }],
    fn: ([x]) => gather(x!, idx(), 0).exp(),
  },
  {
    name: "gather axis 1",
    inputs: [{ shape: [4, 3], lo: -2, hi: 2 }],
    fn: ([x]) => gather(x!, idx(), 1).exp(),
  },
  {
    name: "scatterAdd",
    inputs: [
      { shape: [3, 2], lo: -2, hi: 2 },
      { shape: [4, 2], lo: -2, hi: 2 },
    ],
    fn: ([t, u]) => scatterAdd(t!, idx(), u!, 0).exp(),
  },
  { name: "cumsum axis 1", inputs: [{ shape: [3, 4], lo: -2, hi: 2 }], fn: ([x]) => cumsum(x!, 1).sin() },
  { name: "cumsum reverse", inputs: [{ shape: [5], lo: -2, hi: 2 }], fn: ([x]) => cumsum(x!, 0, true).sin() },
  {
    name: "matmul",
    inputs: [
      { shape: [3, 4], lo: -2, hi: 2 },
      { shape: [4, 2], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => matmul(a!, b!),
  },
  {
    name: "matmul batched broadcast",
    inputs: [
      { shape: [2, 3, 4], lo: -2, hi: 2 },
      { shape: [4, 2], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => matmul(a!, b!).sin(),
  },
  {
    name: "matmul vector",
    inputs: [
      { shape: [4], lo: -2, hi: 2 },
      { shape: [4, 3], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => matmul(a!, b!).exp(),
  },
  { name: "cholesky", inputs: [{ shape: [3, 3], lo: -1, hi: 1 }], fn: ([x]) => cholesky(spd(x!)).sin() },
  {
    name: "triangularSolve lower",
    inputs: [
      { shape: [3, 3], lo: -1, hi: 1 },
      { shape: [3, 2], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => triangularSolve(cholesky(spd(a!)), b!, { lower: true }),
  },
  {
    name: "triangularSolve transposed",
    inputs: [
      { shape: [3, 3], lo: -1, hi: 1 },
      { shape: [3, 2], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => triangularSolve(cholesky(spd(a!)), b!, { lower: true, transposeA: true }),
  },
  {
    name: "choleskySolve",
    inputs: [
      { shape: [3, 3], lo: -1, hi: 1 },
      { shape: [3, 2], lo: -2, hi: 2 },
    ],
    fn: ([a, b]) => choleskySolve(cholesky(spd(a!)), b!),
  },
  {
    name: "nbProbsLogProb",
    inputs: [
      { shape: [3, 4], lo: 0, hi: 30, integer: true },
      { shape: [4], lo: 0.1, hi: 20 },
      { shape: [3, 1], lo: 0.05, hi: 0.95 },
    ],
    fn: ([y, r, p]) => nbProbsLogProb(y!, r!, p!),
  },
  {
    name: "nbLogitsLogProb",
    inputs: [
      { shape: [3, 4], lo: 0, hi: 30, integer: true },
      { shape: [4], lo: 0.1, hi: 20 },
      { shape: [3, 1], lo: -3, hi: 3 },
    ],
    fn: ([y, r, l]) => nbLogitsLogProb(y!, r!, l!),
  },
  {
    name: "zinb2LogProb",
    inputs: [
      { shape: [3, 4], lo: 0, hi: 3, integer: true },
      { shape: [4], lo: 0.1, hi: 5 },
      { shape: [3, 1], lo: 0.2, hi: 10 },
      { shape: [4], lo: 0.05, hi: 0.9 },
    ],
    fn: ([y, m, t, g]) => zinb2LogProb(y!, m!, t!, g!),
  },
  {
    name: "zinb2LogitsLogProb",
    inputs: [
      { shape: [3, 4], lo: 0, hi: 3, integer: true },
      { shape: [4], lo: 0.1, hi: 5 },
      { shape: [3, 1], lo: 0.2, hi: 10 },
      { shape: [4], lo: -3, hi: 3 },
    ],
    fn: ([y, m, t, g]) => zinb2LogitsLogProb(y!, m!, t!, g!),
  },
];
