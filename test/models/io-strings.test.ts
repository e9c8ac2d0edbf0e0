// Issue 20 item 0: string arrays cross the wasm boundary in bulk (h5-strings.ts). Checked
// against h5wasm's own element-by-element encoder and decoder (an independent peer), for
// variable- and fixed-length strings, UTF-8 beyond ASCII, empty strings and an empty array.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findMarkers, MARKER_BYTES } from "@scribe/models/io/h5-boolattr.js";
import { h5, withH5 } from "@scribe/models/io/h5-runtime.js";
import { readStrings, writeStrings } from "@scribe/models/io/h5-strings.js";
import type { Dataset } from "h5wasm";
import { describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "scribe-strings-"));
const SAMPLES: string[][] = [
  [],
  [""],
  ["gene0", "", "ACTB", "a somewhat longer name than sixteen bytes", ""],
  ["é", "日本語の遺伝子", "🧬 helix", "Ω-3", "tab\there", "x".repeat(300)],
  Array.from({ length: 5000 }, (_, i) => `ENSG${String(i).padStart(11, "0")}`),
];

describe("bulk string datasets", () => {
  it("our writer's strings read back by h5wasm, h5wasm's read back by ours", async () => {
    await withH5((lib) => {
      const path = join(dir, "vlen.h5");
      const f = new lib.File(path, "w");
      SAMPLES.forEach((vals, k) => {
        writeStrings(f, `ours${k}`, vals);
        if (vals.length > 0)
          f.create_dataset({ name: `theirs${k}`, data: vals, shape: [vals.length], dtype: "S" });
      });
      f.close();
      const r = new lib.File(path, "r");
      SAMPLES.forEach((vals, k) => {
        const ours = r.get(`ours${k}`) as Dataset;
        // h5wasm's metadata: a variable-length UTF-8 string array of the right length
        const md = ours.metadata as { vlen: boolean; cset: number; shape: number[] };
        expect(md.vlen).toBe(true);
        expect(md.cset).toBe(1);
        expect(md.shape).toEqual([vals.length]);
        if (vals.length > 0) expect(ours.value).toEqual(vals);
        expect(readStrings(ours)).toEqual(vals);
        if (vals.length > 0) expect(readStrings(r.get(`theirs${k}`) as Dataset)).toEqual(vals);
      });
      r.close();
    });
  });

  it("fixed-length strings end at their first NUL, as h5wasm decodes them", async () => {
    await withH5((lib) => {
      const path = join(dir, "fixed.h5");
      const f = new lib.File(path, "w");
      const vals = ["ab", "", "abcdefgh", "ü"];
      f.create_dataset({ name: "s", data: vals, shape: [vals.length], dtype: "S8" });
      f.close();
      const r = new lib.File(path, "r");
      const ds = r.get("s") as Dataset;
      expect(readStrings(ds)).toEqual(ds.value);
      expect(readStrings(ds)).toEqual(vals);
      expect(readStrings(r.get("s") as Dataset)?.length).toBe(4);
      r.close();
    });
  });

  it("a numeric dataset is not strings; a NUL inside a string is refused with its position", async () => {
    await withH5((lib) => {
      const f = new lib.File(join(dir, "bad.h5"), "w");
      f.create_dataset({ name: "x", data: new Float32Array([1, 2]), shape: [2], dtype: "<f" });
      expect(readStrings(f.get("x") as Dataset)).toBeNull();
      expect(() => writeStrings(f, "s", ["ok", "bad\0name"])).toThrow(/string 1 contains a NUL/);
      f.close();
    });
  });
});

describe("boolean placeholder markers", () => {
  it("are found among float32 data full of '@' bytes, exactly where planted", async () => {
    await h5();
    const floats = new Float32Array(50_000);
    for (let i = 0; i < floats.length; i++) floats[i] = 2 + (i % 97) / 97; // high byte 0x40
    const buf = new Uint8Array(floats.buffer.slice(0));
    const planted = [17, 40_001, 123_457, buf.length - MARKER_BYTES.length];
    for (const p of planted) buf.set(MARKER_BYTES, p);
    // a naive search as the reference
    const naive: number[] = [];
    for (let p = 0; p + MARKER_BYTES.length <= buf.length; p++)
      if (MARKER_BYTES.every((b, k) => buf[p + k] === b)) naive.push(p);
    expect(naive).toEqual(planted);
    expect(findMarkers(buf)).toEqual(planted);
  });
});
