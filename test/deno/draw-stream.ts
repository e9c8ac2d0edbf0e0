// Runs under Deno against the built @scribe/core (packages/core/dist): `npm run test:deno`.
// The same key must give the same draws as under Node, bit for bit: every stream of
// test/core/draw-stream-cases.ts is compared with test/fixtures/draw-stream.json (written
// under Node by test/core/draw-stream-generate.ts), including the tensor beta and dirichlet and
// the LogNormal and Exponential distributions' draws and TransformedDistribution's draws through
// each transform's draw map (drawForward), and @scribe/infer's AutoNormal guide and flow layers
// (packages/infer/dist). Deno's V8 differs from Node's, and its
// Math.exp/Math.log may round differently; no draw path uses them (issue 22, item 6).
import * as core from "../../packages/core/dist/index.js";
import * as dists from "../../packages/distributions/dist/index.js";
import * as infer from "../../packages/infer/dist/index.js";
import {
  type CoreForDraws,
  type DistributionsForDraws,
  drawCases,
  hexOf,
  type InferForDraws,
} from "../core/draw-stream-cases.ts";

const text = await Deno.readTextFile(new URL("../fixtures/draw-stream.json", import.meta.url));
const stored = (JSON.parse(text) as { draws: Record<string, string[]> }).draws;
const draws = drawCases(
  core as unknown as CoreForDraws,
  dists as unknown as DistributionsForDraws,
  infer as unknown as InferForDraws,
);
let failed = 0;
let compared = 0;
for (const [name, want] of Object.entries(stored)) {
  const got = draws[name]?.map(hexOf);
  if (!got || got.length !== want.length) {
    failed++;
    console.error(`FAIL ${name}: ${got?.length ?? 0} draws, the fixture has ${want.length}`);
    continue;
  }
  const bad = got.findIndex((h, i) => h !== want[i]);
  compared += got.length;
  if (bad >= 0) {
    failed++;
    console.error(`FAIL ${name}: draw ${bad} is ${got[bad]}, Node gave ${want[bad]}`);
  }
}
// A Deno whose Math differs from Node's shows here (informational: the samplers avoid Math).
const probe = [0.1, 0.7, 3.3, 123.456].map((x) => hexOf(Math.exp(x)) + hexOf(Math.log(x))).join(",");
console.log(
  `draw-stream: ${compared} draws in ${Object.keys(stored).length} streams compared, ${failed} streams differ (Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; Math probe ${probe.slice(0, 33)}…)`,
);
if (failed > 0) Deno.exit(1);
