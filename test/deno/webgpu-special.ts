// The special functions on WebGPU against the mpmath reference vectors
// (test/fixtures/refvec/special_functions.json) in float32, under Deno (its built-in WebGPU,
// wgpu) on the built @scribe/core: `npx tsc -b packages/core/tsconfig.build.json`, then
// `deno run --quiet --allow-read --unstable-webgpu test/deno/webgpu-special.ts`. Without a GPU
// it runs on SwiftShader (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json). The cases,
// the float32 tolerances (a few ulp of the result plus the change of f under one float32
// rounding of each input) and the report are those of test/webgpu/special-refvec.test.ts,
// shared in test/webgpu/special-refvec-lib.ts.

import * as core from "../../packages/core/dist/index.js";
import { useBackend } from "../../packages/core/dist/index.js";
import { type RefCase, report, runSpecialRefvec, summarize } from "../webgpu/special-refvec-lib.ts";
import { webgpuOrExit } from "./webgpu-or-exit.ts";

let passed = 0;
let failed = 0;
function check(name: string, ok: boolean, detail = ""): void {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAIL ${name} ${detail}`);
  }
}

const gpu = await webgpuOrExit("WebGPU special-function suite");
await useBackend("cpu");

const cases = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/refvec/special_functions.json", import.meta.url)),
) as RefCase[];
const outcomes = await runSpecialRefvec(core, gpu, cases);
const summaries = summarize(outcomes);
for (const s of summaries) {
  const detail = s.failed
    .map((o) => `${o.label}: got ${o.got}, want ${o.want} (err ${o.err}, tol ${o.tol})`)
    .join("; ");
  check(s.fn, s.failed.length === 0 && s.checked >= 5, detail || `only ${s.checked} cases compared`);
}
const compared = outcomes.filter((o) => o.status !== "skip").length;
check("cases compared", compared > 220, `${compared}`);

console.log(`webgpu special functions vs mpmath (${gpu.name}, float32):\n${report(summaries, outcomes)}`);
console.log(`webgpu special: ${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
