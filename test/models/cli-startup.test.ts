// Issue 20 item 0: the `scribe` command starts from the built JavaScript (dist/, written by
// `npm run build`, which `npm ci` runs as the root `prepare` script) and answers --help without
// loading a command's module. The launcher's choice between build and sources is checked on a
// stand-in package tree whose dist/ and src/ entries only say which one ran.
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { commands } from "@scribe/models/cli/main.js";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "packages/scribe-models/bin/scribe.js");
const DIST_MAIN = join(ROOT, "packages/scribe-models/dist/cli/main.js");

/** Run the launcher with `env` added; stdout, stderr and the exit status. */
async function scribe(bin: string, argv: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [bin, ...argv], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

describe("scribe from the build", () => {
  it("--help and help COMMAND answer from dist/cli/main.js", async () => {
    expect(existsSync(DIST_MAIN), "dist/cli/main.js is missing: run `npm run build`").toBe(true);
    const r = await scribe(BIN, ["--help"], { SCRIBE_LAUNCH: "build", SCRIBE_DEBUG: "1" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`launching ${DIST_MAIN}`);
    expect(r.stdout).toMatch(/^Usage: scribe COMMAND \[options\]/);
    // every command of the sources' table is listed with its summary (a stale build fails here)
    for (const [name, c] of Object.entries(commands)) {
      expect(r.stdout, `command ${name} (a stale build? run npm run build)`).toContain(`  ${name}`);
      expect(r.stdout).toContain(c.summary);
    }
    const de = await scribe(BIN, ["help", "de"], { SCRIBE_LAUNCH: "build" });
    expect(de.code, de.stderr).toBe(0);
    expect(de.stdout).toMatch(/^Usage: scribe de DATA/);
    const v = await scribe(BIN, ["--version"], { SCRIBE_LAUNCH: "build" });
    expect(v.stdout).toMatch(/^scribe \d+\.\d+\.\d+/);
  }, 180_000);

  it("the package's `prepare` script builds (npm ci / npm install run it)", async () => {
    const pkg = (await import("../../package.json", { with: { type: "json" } })).default as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prepare).toMatch(/^npm run build\b/);
  });
});

describe("the launcher's choice between build and sources", () => {
  /** A stand-in workspace: packages/scribe-models/{bin,dist,src} whose entries print which ran. */
  function fakeTree(): { bin: string; src: string; info: string } {
    const top = mkdtempSync(join(tmpdir(), "scribe-launch-"));
    const pkg = join(top, "packages", "scribe-models");
    mkdirSync(join(pkg, "bin"), { recursive: true });
    mkdirSync(join(pkg, "dist", "cli"), { recursive: true });
    mkdirSync(join(pkg, "src", "cli"), { recursive: true });
    // tsx resolves from the launcher's folder upwards
    symlinkSync(join(ROOT, "node_modules"), join(top, "node_modules"), "dir");
    const bin = join(pkg, "bin", "scribe.js");
    writeFileSync(bin, readFileSync(BIN, "utf8"));
    writeFileSync(join(pkg, "package.json"), '{ "type": "module" }\n');
    const entry = (what: string) =>
      `export async function main(argv) { process.stdout.write("${what} " + argv.join(" ")); return 0; }\n`;
    writeFileSync(join(pkg, "dist", "cli", "main.js"), entry("built"));
    const src = join(pkg, "src", "cli", "main.ts");
    writeFileSync(src, entry("sources").replace("(argv)", "(argv: string[])"));
    const info = join(pkg, "tsconfig.build.tsbuildinfo");
    writeFileSync(info, "{}\n");
    return { bin, src, info };
  }

  it("runs the build when it is newer than every source, the sources when one is newer", async () => {
    const t = fakeTree();
    const old = new Date(Date.now() - 3_600_000);
    const now = new Date();
    utimesSync(t.src, old, old);
    utimesSync(t.info, now, now);
    expect((await scribe(t.bin, ["x"])).stdout).toBe("built x");
    utimesSync(t.src, now, now);
    utimesSync(t.info, old, old);
    expect((await scribe(t.bin, ["x"])).stdout).toBe("sources x");
    // forced either way
    expect((await scribe(t.bin, ["y"], { SCRIBE_LAUNCH: "build" })).stdout).toBe("built y");
    utimesSync(t.src, old, old);
    utimesSync(t.info, now, now);
    expect((await scribe(t.bin, ["y"], { SCRIBE_LAUNCH: "source" })).stdout).toBe("sources y");
    const bad = await scribe(t.bin, [], { SCRIBE_LAUNCH: "typo" });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("SCRIBE_LAUNCH must be 'source' or 'build'");
  }, 180_000);
});
