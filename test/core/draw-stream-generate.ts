// Writes test/fixtures/draw-stream.json: the draws of draw-stream-cases.ts as exact float64
// bits. Run once (`npx tsx test/core/draw-stream-generate.ts`) when a sampler's algorithm
// changes on purpose; the vitest and Deno tests then compare every runtime against it.
import { writeFileSync } from "node:fs";
import * as core from "@scribe/core";
import * as dists from "@scribe/distributions";
import * as infer from "@scribe/infer";
import {
  type CoreForDraws,
  type DistributionsForDraws,
  drawCases,
  hexOf,
  type InferForDraws,
} from "./draw-stream-cases.js";

const draws = drawCases(
  core as unknown as CoreForDraws,
  dists as unknown as DistributionsForDraws,
  infer as unknown as InferForDraws,
);
const out = Object.fromEntries(Object.entries(draws).map(([k, v]) => [k, v.map(hexOf)]));
const path = new URL("../fixtures/draw-stream.json", import.meta.url);
const lines = Object.entries(out).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
writeFileSync(
  path,
  `{\n "generator": "test/core/draw-stream-generate.ts",\n "draws": {\n${lines.join(",\n")}\n }\n}\n`,
);
console.log(`wrote ${Object.keys(out).length} streams to ${path.pathname}`);
