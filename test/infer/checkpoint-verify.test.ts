// Issue 21: the SVI checkpoint writer (saveCheckpoint) verifies what it wrote before replacing
// the previous checkpoint, through the one atomic-write implementation
// (infer/src/persist/atomic-file-node.ts). Injected failures: a write that lands fewer bytes
// than meant (the read-back check must catch it), and a real write error (EFBIG under a
// file-size limit, in a child process). Either way the previous checkpoint stays byte for byte,
// the error names the path and the cause, and no temporary file is left.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { key, plate, sample, type Tensor, tensor } from "@scribe/core";
import { LogNormal, Normal } from "@scribe/distributions";
import { AutoNormal, adam, SVI, serializeSVIState, TraceELBO } from "@scribe/infer";
import {
  AtomicWriteError,
  type AtomicWriter,
  loadCheckpoint,
  replaceFileAtomic,
  saveCheckpoint,
} from "@scribe/infer/node";
import { checkpointWriter } from "@scribe/infer/svi/checkpoint-node.js";
import { afterAll, describe, expect, it } from "vitest";

const Y = tensor([1.2, 0.8, 1.9, 0.4]);
const model = (y: Tensor) => {
  const z = sample("z", new Normal(0, 1));
  const s = sample("s", new LogNormal(0, 1));
  plate("data", 4, () => sample("y", new Normal(z, s), { obs: y }));
};
const dir = mkdtempSync(join(tmpdir(), "scribe-ckpt-verify-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const leftovers = () => readdirSync(dir).filter((n) => n.endsWith(".tmp"));

/** The states after 5 and after 10 steps (two separate runs). */
async function twoStates() {
  const run = async (n: number) =>
    (
      await new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO()).run(key(1), n, [Y], {
        progressBar: false,
      })
    ).state;
  return [await run(5), await run(10)] as const;
}

describe("SVI checkpoint writes are verified before they replace the previous one", () => {
  it("a write that lands short is caught by the read-back check; the old checkpoint stays", async () => {
    const [s1, s2] = await twoStates();
    const path = join(dir, "short.ckpt");
    await saveCheckpoint(path, s1, { n: 1 });
    const before = readFileSync(path);
    expect(loadCheckpoint(path).state.optimState.step).toBe(5);

    // the checkpoint's own writer, with its write silently dropping the last 100 bytes
    const bytes = await serializeSVIState(s2, { n: 2 });
    const real = checkpointWriter(bytes);
    const dropping: AtomicWriter = {
      ...real,
      write: async (tmp) => {
        await real.write(tmp);
        truncateSync(tmp, bytes.byteLength - 100);
      },
    };
    const err = await replaceFileAtomic(path, dropping).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AtomicWriteError);
    expect((err as Error).message).toMatch(
      new RegExp(
        `cannot write ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: read back \\d+ bytes that differ`,
      ),
    );
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(loadCheckpoint(path).meta).toEqual({ n: 1 });
    expect(leftovers()).toEqual([]);

    // and the unmodified writer replaces it
    await saveCheckpoint(path, s2, { n: 2 });
    expect(loadCheckpoint(path).state.optimState.step).toBe(10);
    expect(leftovers()).toEqual([]);
  }, 180_000);

  it("EFBIG while writing (file-size limit): an error naming the path; the old checkpoint stays", () => {
    const sub = mkdtempSync(join(dir, "efbig-"));
    const script = join(sub, "write.mts");
    const src = (p: string) => JSON.stringify(fileURLToPath(new URL(`../../packages/${p}`, import.meta.url)));
    writeFileSync(
      script,
      `import { readFileSync } from "node:fs";
import { key, plate, sample, tensor } from ${src("core/src/index.ts")};
import { LogNormal, Normal } from ${src("distributions/src/index.ts")};
import { AutoNormal, adam, SVI, TraceELBO } from ${src("infer/src/index.ts")};
import { loadCheckpoint, saveCheckpoint } from ${src("infer/src/node.ts")};
const path = process.argv[2] + "/fit.ckpt";
const Y = tensor([1.2, 0.8]);
const model = (y) => { const z = sample("z", new Normal(0, 1)); const s = sample("s", new LogNormal(0, 1)); plate("d", 2, () => sample("y", new Normal(z, s), { obs: y })); };
const { state } = await new SVI(model, new AutoNormal(model), adam(0.01), new TraceELBO()).run(key(0), 3, [Y], { progressBar: false });
await saveCheckpoint(path, state, { n: 1 });
const before = readFileSync(path).toString("base64");
try { await saveCheckpoint(path, state, { n: 2, pad: "x".repeat(400_000) }); console.log("second ok"); }
catch (e) { console.log(e.name + ": " + e.message); }
console.log(readFileSync(path).toString("base64") === before ? "unchanged" : "changed");
console.log(JSON.stringify(loadCheckpoint(path).meta));
`,
    );
    // a 128 KiB limit: the first checkpoint (a few KB) fits, the padded second does not
    const r = spawnSync(
      "sh",
      ["-c", `ulimit -f 256; exec "${process.execPath}" --import tsx "${script}" "${sub}"`],
      {
        encoding: "utf8",
        cwd: fileURLToPath(new URL("../..", import.meta.url)),
      },
    );
    const [failure, unchanged, meta] = r.stdout.trim().split("\n");
    expect(failure, r.stderr).toMatch(
      /^AtomicWriteError: cannot write .*fit\.ckpt: file too large \(EFBIG\)/,
    );
    expect(unchanged).toBe("unchanged");
    expect(meta).toBe('{"n":1}');
    expect(readdirSync(sub).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  }, 120_000);
});
