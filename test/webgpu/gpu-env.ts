// Shared setup of the WebGPU suites: Dawn (the `webgpu` package) on the machine's adapter, or on
// SwiftShader when Chromium's Vulkan ICD and the Vulkan loader are installed (Debian's
// `chromium` and `libvulkan1`, as in CI). Without an adapter every suite is skipped with the
// printed reason, except under CI=true, where a missing adapter fails every WebGPU suite: CI
// must not pass with no GPU coverage (issue 12).
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Tensor } from "@scribe/core";

const SWIFTSHADER_ICD = "/usr/lib/chromium/vk_swiftshader_icd.json";
/** Where Debian's libvulkan1 puts the Vulkan loader (Chromium does not pull it in). */
const VULKAN_LOADERS = [
  "/usr/lib/x86_64-linux-gnu/libvulkan.so.1",
  "/usr/lib/aarch64-linux-gnu/libvulkan.so.1",
  "/usr/lib/libvulkan.so.1",
  "/usr/lib64/libvulkan.so.1",
];

/** What a machine without a GPU lacks for SwiftShader, named by its Debian package. */
function missingPieces(): string {
  const missing: string[] = [];
  const icd = process.env.VK_ICD_FILENAMES;
  if (icd && !existsSync(icd))
    return `VK_ICD_FILENAMES=${icd} does not exist (SwiftShader's is ${SWIFTSHADER_ICD}, from chromium)`;
  if (!existsSync(SWIFTSHADER_ICD)) missing.push(`chromium (for ${SWIFTSHADER_ICD})`);
  if (!VULKAN_LOADERS.some((p) => existsSync(p))) missing.push("libvulkan1 (for libvulkan.so.1)");
  return missing.length > 0
    ? `Without a GPU, install ${missing.join(" and ")}: apt-get install chromium libvulkan1`
    : "The SwiftShader ICD and libvulkan.so.1 are installed: see the reason above";
}
if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD))
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
if (!process.env.XDG_RUNTIME_DIR || !existsSync(process.env.XDG_RUNTIME_DIR))
  process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), "scribe-xdg-"));

// Probe Dawn in a child process first: a machine whose driver crashes then skips the suites
// instead of killing the test worker. (The crashes seen earlier on SwiftShader were Dawn
// freeing its instance once the `GPU` object was garbage collected; the backend now holds it.)
import { spawnSync } from "node:child_process";

const PROBE = `import { create, globals } from "webgpu"; Object.assign(globalThis, globals);
const g = create([]); globalThis.keep = g; const ad = await g.requestAdapter(); if (!ad) { console.log("no adapter"); process.exit(3); }
const dev = await ad.requestDevice();
const pipe = dev.createComputePipeline({ layout: "auto", compute: { module: dev.createShaderModule({ code: "@group(0) @binding(0) var<storage, read_write> a: array<f32>; @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { a[g.x] = a[g.x] * 2.0; }" }), entryPoint: "main" } });
const buf = dev.createBuffer({ size: 256, usage: 0x8c });
for (let i = 0; i < 40; i++) {
  const st = dev.createBuffer({ size: 256, usage: 0x9 });
  const enc = dev.createCommandEncoder(); const p = enc.beginComputePass(); p.setPipeline(pipe);
  p.setBindGroup(0, dev.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] }));
  p.dispatchWorkgroups(1); p.end(); enc.copyBufferToBuffer(buf, 0, st, 0, 256); dev.queue.submit([enc.finish()]);
  await st.mapAsync(1); st.unmap(); st.destroy();
}
process.exit(0);`;
// The suites run wherever an adapter exists (SwiftShader in CI); SCRIBE_WEBGPU=0 turns them off.
const enabled = process.env.SCRIBE_WEBGPU !== "0";
const probe = enabled
  ? spawnSync(process.execPath, ["--input-type=module", "-e", PROBE], {
      encoding: "utf8",
      timeout: 180_000,
      env: process.env,
    })
  : null;
const probeReason = !probe
  ? "SCRIBE_WEBGPU=0"
  : probe.status === 0
    ? ""
    : probe.status === 3
      ? "no WebGPU adapter"
      : `the Dawn probe process failed (status ${probe.status}, signal ${probe.signal}): ${(probe.stderr || probe.stdout || "").trim().slice(0, 200)}`;

const { createDawnBackend } = await import("@scribe/core/node");
type Gpu = Awaited<ReturnType<typeof createDawnBackend>>;

let gpu: Gpu | null = null;
let reason = probeReason;
if (!reason)
  try {
    gpu = await createDawnBackend();
  } catch (e) {
    reason = (e as Error).message;
  }
if (!gpu) {
  if (enabled && process.env.CI === "true")
    throw new Error(`CI=true and the WebGPU suites cannot run: ${reason}. ${missingPieces()}`);
  console.warn(`WebGPU suites skipped: ${reason}. ${missingPieces()}`);
}

/** The WebGPU backend, or null when no adapter exists (suites skip). */
export const webgpu = gpu;
export const skipReason = reason;

/** Read any tensor (either backend) as float64 values. */
export async function values(t: Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}

/** Worst |a − b| / (atol/rtol + |b|) style error: returns max of |a−b| − rtol·|b| over atol scale. */
export function compare(gpuV: ArrayLike<number>, cpuV: ArrayLike<number>): { abs: number; rel: number } {
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < cpuV.length; i++) {
    const a = gpuV[i]!;
    const b = cpuV[i]!;
    if (Number.isNaN(a) && Number.isNaN(b)) continue;
    if (a === b) continue;
    const d = Math.abs(a - b);
    if (!(d <= abs)) abs = Number.isNaN(d) ? Infinity : d;
    const r = d / Math.max(Math.abs(b), 1e-30);
    if (!(Math.min(r, d) <= rel)) rel = Number.isNaN(r) ? Infinity : Math.min(r, d);
  }
  return { abs, rel };
}
