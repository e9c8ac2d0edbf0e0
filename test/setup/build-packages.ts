/**
 * Vitest global setup: brings the packages' build (packages/<p>/dist) up to date before any
 * test file loads it (vitest.config.ts runs the tests against the build, so a stale dist
 * would test old code). `npm run build` is tsc's incremental build: about a second when
 * nothing changed.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const run = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, encoding: "utf8" });
  if (run.error)
    throw new Error(`test setup: could not run 'npm run build' in ${root}: ${run.error.message}`);
  if (run.status !== 0) {
    // tsc still writes the build when it reports type errors (no noEmitOnError), so the tests
    // run the current sources; the errors are shown here and fail `npm run typecheck`.
    process.stderr.write(
      `test setup: 'npm run build' reported errors (exit ${run.status}); the tests run what it wrote:\n${run.stdout}${run.stderr}\n`,
    );
  }
}
