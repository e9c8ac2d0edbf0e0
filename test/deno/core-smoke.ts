// Runs under Deno against the built @scribe/core (packages/core/dist): `npm run test:deno`.
// Values are checked against closed forms computed here in plain JS.
import { key, lgamma, random, type Tensor, tensor, valueAndGrad } from "../../packages/core/dist/index.js";
import { nb2LogProb } from "../../packages/distributions/dist/index.js";

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ""): void {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAIL ${name} ${detail}`);
  }
}

const x = tensor(
  [
    [1, 2],
    [3, 4],
  ],
  { dtype: "float64" },
);
check("sum", x.sum().item() === 10);
check(
  "matmul",
  JSON.stringify(x.matmul(x).toArray()) ===
    JSON.stringify([
      [7, 10],
      [15, 22],
    ]),
);
const [v, g] = valueAndGrad((p: Tensor) => p.mul(p).sum())(tensor([1, 2, 3], { dtype: "float64" }));
check("valueAndGrad", v.item() === 14 && JSON.stringify(g.toArray()) === "[2,4,6]");
// lgamma(0.5) = log(sqrt(pi))
check(
  "lgamma",
  Math.abs(lgamma(tensor([0.5], { dtype: "float64" })).item() - Math.log(Math.sqrt(Math.PI))) < 1e-14,
);
// NB2 at y = 0: θ log(θ/(θ+μ))
const nb = nb2LogProb(
  tensor([0], { dtype: "float64" }),
  tensor([2], { dtype: "float64" }),
  tensor([3], { dtype: "float64" }),
).item();
check("nb2", Math.abs(nb - 3 * Math.log(3 / 5)) < 1e-14);
const u = random.uniform(key(0), [1000]).dataSync();
check(
  "uniform",
  u.every((t) => t > 0 && t < 1),
);
const n = random.normal(key(1), [20000]).dataSync();
const mean = n.reduce((a, b) => a + b, 0) / n.length;
check("normal mean", Math.abs(mean) < 5 / Math.sqrt(n.length));

console.log(`deno: ${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
