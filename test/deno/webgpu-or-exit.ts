// The WebGPU backend for a Deno suite, or an exit: a skip (status 0) on a machine without an
// adapter, but a failure (status 1) under CI=true, where the suites must really run (issue 12).
// Reading CI needs `--allow-env=CI` (package.json's test:deno passes it).
import type { Backend } from "../../packages/core/dist/index.js";
import { useBackend } from "../../packages/core/dist/index.js";

function underCi(): boolean {
  try {
    return Deno.env.get("CI") === "true";
  } catch {
    return false; // run without --allow-env: treated as a developer's machine
  }
}

/** `await useBackend("webgpu")`, or exit naming `suite`, the reason and what to install. */
export async function webgpuOrExit(suite: string): Promise<Backend> {
  try {
    return await useBackend("webgpu");
  } catch (e) {
    const reason = (e as Error).message.split("\n")[0];
    const fix =
      "without a GPU: apt-get install chromium libvulkan1 and VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json";
    if (underCi()) {
      console.error(`FAIL ${suite}: CI=true and no WebGPU adapter: ${reason} (${fix})`);
      Deno.exit(1);
    }
    console.log(`${suite} skipped: ${reason} (${fix})`);
    Deno.exit(0);
  }
}
