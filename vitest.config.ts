import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

/** A module of a workspace package's sources: packages/<package>/src/<module>.ts (or .js, as imported). */
const SOURCE_MODULE = /^(.*\/packages\/(?:core|distributions|infer|scribe-models))\/src\/(.+)\.[jt]s$/;

/**
 * Runs the tests against the packages' build instead of their sources: every import that lands
 * on packages/<p>/src/<m>.ts (the aliases below, or a relative path from a test) loads
 * packages/<p>/dist/<m>.js, which `server.deps.external` hands to Node's own loader. The build's
 * modules import each other and `@scribe/*` natively (through node_modules), so there is one
 * copy of each module. Loading the packages through vite-node's module runner cost ~0.8 s of
 * CPU per test file for @scribe/core and ~2.5 s for @scribe/models, natively a fraction of that.
 * The global setup brings the build up to date first (test/setup/build-packages.ts).
 */
function builtPackages(): Plugin {
  return {
    name: "scribe-built-packages",
    enforce: "pre",
    resolveId(source, importer) {
      if (!source.includes("packages/")) return null;
      const path = source.startsWith(".") && importer ? resolve(dirname(importer), source) : source;
      const m = SOURCE_MODULE.exec(path);
      return m ? `${m[1]}/dist/${m[2]}.js` : null;
    },
  };
}

/** Unit suites that need a process of their own (WebGPU device, deep stacks, child processes, --expose-gc). */
const SEPARATE_PROCESS = [
  "test/core/lazy-depth.test.ts",
  "test/core/special-negative-zeros-webgpu.test.ts",
  "test/distributions/numeric-edges-webgpu.test.ts",
  "test/distributions/poisson-beta-kernel.test.ts",
  "test/infer/svi-memory.test.ts",
  // counts live buffers around each run: in a shared thread, work a previous file left pending
  // (an unawaited promise) can allocate during the count
  "test/infer/svi-compiled.test.ts",
];

/** Model suites that use the WebGPU device: a process each, as test/webgpu. */
const WEBGPU_FILES = ["test/models/**/*webgpu*.test.ts"];

/** Suites that load the TypeScript sources through vite-node (not the build): see the "source" project. */
const SOURCE_GRAPH = ["test/core/import-isolation.test.ts"];

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
    globalSetup: ["test/setup/build-packages.ts"],
    // the build's modules (see builtPackages) are imported by Node, not vite-node
    server: { deps: { external: [/\/packages\/(?:core|distributions|infer|scribe-models)\/dist\//] } },
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
        plugins: [builtPackages()],
        test: {
          name: "unit",
          include: ["test/core/**/*.test.ts", "test/distributions/**/*.test.ts", "test/infer/**/*.test.ts"],
          exclude: [...SEPARATE_PROCESS, ...SOURCE_GRAPH],
          pool: "threads",
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The model, CLI and top-level suites in worker threads, isolate off as "unit": the
        // build, loaded by Node's own loader once per worker thread, and the test helpers are
        // shared by the files a thread runs: 125 → 46 s of loading over the suite.
        // A fit's bits therefore must not depend on the files run before it in the thread; the
        // one process-wide change a suite made (an @example replacing the "positive"
        // bijection) is gone, and all these files pass in one thread in any order tried
        // (docs/TODO.md, session 11). They spawn child processes and set environment variables
        // freely (a worker thread has its own process.env) but use no WebGPU device.
        extends: true,
        plugins: [builtPackages()],
        test: {
          name: "models",
          include: ["test/*.test.ts", "test/models/**/*.test.ts"],
          exclude: WEBGPU_FILES,
          pool: "threads",
          sequence: { groupOrder: 1 },
        },
      },
      {
        // A process per file: the WebGPU device (Dawn's addon), the browser page, the packed
        // packages, and the suites of SEPARATE_PROCESS.
        extends: true,
        plugins: [builtPackages()],
        test: {
          name: "isolated",
          include: ["test/{browser,pack,webgpu}/**/*.test.ts", ...WEBGPU_FILES, ...SEPARATE_PROCESS],
          pool: "forks",
          sequence: { groupOrder: 2 },
        },
      },
      {
        // Suites about the module graph of the sources themselves: they clear vite-node's
        // registry (vi.resetModules) and import one source module at a time, which Node's own
        // loader (the build, above) cannot do.
        extends: true,
        test: {
          name: "source",
          include: [...SOURCE_GRAPH],
          pool: "forks",
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
