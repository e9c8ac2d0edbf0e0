import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

/** Unit suites that need a process of their own (WebGPU device, deep stacks, child processes, --expose-gc). */
const SEPARATE_PROCESS = [
  "test/core/import-isolation.test.ts",
  "test/core/lazy-depth.test.ts",
  "test/core/special-negative-zeros-webgpu.test.ts",
  "test/distributions/numeric-edges-webgpu.test.ts",
  "test/distributions/poisson-beta-kernel.test.ts",
  "test/infer/svi-memory.test.ts",
];

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@scribe\/core$/, replacement: src("core/src/index.ts") },
      { find: /^@scribe\/core\/node$/, replacement: src("core/src/node/index.ts") },
      { find: /^@scribe\/core\/(.*)$/, replacement: src("core/src/$1") },
      { find: /^@scribe\/distributions$/, replacement: src("distributions/src/index.ts") },
      { find: /^@scribe\/distributions\/(.*)$/, replacement: src("distributions/src/$1") },
      { find: /^@scribe\/infer\/node$/, replacement: src("infer/src/node.ts") },
      { find: /^@scribe\/infer$/, replacement: src("infer/src/index.ts") },
      { find: /^@scribe\/infer\/(.*)$/, replacement: src("infer/src/$1") },
      { find: /^@scribe\/models$/, replacement: src("scribe-models/src/index.ts") },
      { find: /^@scribe\/models\/(.*)$/, replacement: src("scribe-models/src/$1") },
    ],
  },
  test: {
    // generous: no test may fail because the machine is three times slower than a quiet one
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // --expose-gc: the memory tests (svi-memory) collect garbage before reading heapUsed
    poolOptions: {
      // vitest's default is one worker fewer than the cores: a single worker on a 2-core
      // machine, which leaves a core idle while the main process mostly waits. One per core.
      forks: { maxForks: Math.max(2, availableParallelism()), execArgv: ["--expose-gc"] },
      threads: { maxThreads: Math.max(2, availableParallelism()), isolate: false },
    },
    projects: [
      {
        // Pure CPU unit suites (core, distributions, infer) share each worker thread's modules
        // across files (isolate off): loading the packages costs ~1.2 s of CPU per file, as much
        // as most of these tests (infer alone: 89 s wall isolated, 49 s shared, same results).
        // They set no process-wide state that outlives a file (checked by running them this
        // way and isolated with the same results). Run first, so the two pools never overlap.
        extends: true,
        test: {
          name: "unit",
          include: ["test/core/**/*.test.ts", "test/distributions/**/*.test.ts", "test/infer/**/*.test.ts"],
          exclude: [...SEPARATE_PROCESS],
          pool: "threads",
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Everything else keeps a process per file: fits whose seeded results must not depend
        // on the files run before them (docs/TODO.md, issue 12), the WebGPU device, child
        // processes, spies on process-wide objects and heap measurements.
        extends: true,
        test: {
          name: "isolated",
          include: ["test/*.test.ts", "test/{browser,models,pack,webgpu}/**/*.test.ts", ...SEPARATE_PROCESS],
          pool: "forks",
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
