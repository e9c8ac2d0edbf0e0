// Small .h5ad files for the backed-IO and pseudobulk tests: the same counts stored dense,
// CSR (float32), CSC (float64) and CSR with int64 data and indices (written by hand with
// h5wasm, as h5py writes integer counts).
import { join } from "node:path";
import { withH5 } from "@scribe/models/io/h5-runtime.js";
import { writeFrame } from "@scribe/models/io/h5ad-write.js";
import { type AnnData, categorical, createAnnData, toCsc, toCsr } from "@scribe/models/io/index.js";
import { writeH5ad } from "@scribe/models/io/node.js";

/** Seeded counts, ~30 % non-zero, with obs columns sample (categorical) and cell_type (strings). */
export function countsAnnData(C: number, G: number, seed = 7): AnnData {
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const X = new Float32Array(C * G);
  for (let i = 0; i < X.length; i++) X[i] = rand() < 0.3 ? 1 + Math.floor(rand() * 50) : 0;
  return createAnnData({
    X: { format: "dense", data: X, shape: [C, G] },
    obs: {
      index: Array.from({ length: C }, (_, c) => `cell${c}`),
      columns: {
        sample: categorical(Array.from({ length: C }, () => `s${Math.floor(rand() * 6)}`)),
        cell_type: Array.from({ length: C }, () => ["T", "B", "NK"][Math.floor(rand() * 3)]!),
      },
    },
    var: Array.from({ length: G }, (_, g) => `g${g}`),
  });
}

/** The data written four ways; paths by storage name. */
export async function writeVariants(
  dir: string,
  ad: AnnData,
): Promise<{ dense: string; csr: string; csc: string; csrInt64: string }> {
  const paths = {
    dense: join(dir, "dense.h5ad"),
    csr: join(dir, "csr.h5ad"),
    csc: join(dir, "csc.h5ad"),
    csrInt64: join(dir, "csr-int64.h5ad"),
  };
  await writeH5ad(paths.dense, ad);
  await writeH5ad(paths.csr, createAnnData({ X: toCsr(ad.X), obs: ad.obs, var: ad.var }));
  const csc = toCsc(ad.X);
  await writeH5ad(
    paths.csc,
    createAnnData({ X: { ...csc, data: Float64Array.from(csc.data) }, obs: ad.obs, var: ad.var }),
  );
  const csr = toCsr(ad.X);
  await withH5((lib) => {
    const f = new lib.File(paths.csrInt64, "w");
    f.create_attribute("encoding-type", "anndata");
    f.create_attribute("encoding-version", "0.1.0");
    writeFrame(f, "obs", ad.obs, {});
    writeFrame(f, "var", ad.var, {});
    const g = f.create_group("X");
    g.create_attribute("encoding-type", "csr_matrix");
    g.create_attribute("encoding-version", "0.1.0");
    g.create_attribute(
      "shape",
      BigInt64Array.from(ad.X.shape, (v) => BigInt(v)),
    );
    const big = (a: ArrayLike<number>) => BigInt64Array.from(Array.from(a), (v) => BigInt(v));
    const nnz = csr.indptr[csr.indptr.length - 1]!;
    g.create_dataset({ name: "data", data: big(csr.data.subarray(0, nnz)), shape: [nnz], dtype: "<q" });
    g.create_dataset({ name: "indices", data: big(csr.indices.subarray(0, nnz)), shape: [nnz], dtype: "<q" });
    g.create_dataset({ name: "indptr", data: big(csr.indptr), shape: [csr.indptr.length], dtype: "<q" });
    f.close();
  });
  return paths;
}
