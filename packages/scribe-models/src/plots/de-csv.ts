/**
 * DE tables from CSV text: `scribe de`'s (gene, log2FC, statistic, pval, padj, dispersion)
 * and `scribe compare`'s (gene, mean, sd, lfsr, ...). Plain text in, columns out; numbers
 * that do not parse are NaN ("NA", empty), which the plots leave out.
 * @module
 */
import type { DeTable } from "../de/tests.js";
import type { BayesianDeTableLike, DePlotTable } from "./de-table.js";

/** Split one CSV line (RFC 4180 quotes). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Parse a DE table CSV; `source` names the file in errors. */
export function parseDeCsv(text: string, source: string): DePlotTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new Error(`${source}: a DE table needs a header and at least one row`);
  const header = splitCsvLine(lines[0]!).map((h) => h.trim());
  const col = (name: string) => header.indexOf(name);
  const bayes = col("lfsr") >= 0 && col("mean") >= 0;
  const need = bayes ? ["gene", "mean", "lfsr"] : ["gene", "log2FC", "pval", "padj"];
  const missing = need.filter((n) => col(n) < 0);
  if (missing.length)
    throw new Error(
      `${source}: not a DE table: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (expected scribe de's gene,log2FC,pval,padj or scribe compare's gene,mean,lfsr; header: ${header.join(",")})`,
    );
  const rows = lines.slice(1).map((l, i) => {
    const r = splitCsvLine(l);
    if (r.length !== header.length)
      throw new Error(`${source}, line ${i + 2}: ${r.length} fields, the header has ${header.length}`);
    return r;
  });
  const num = (name: string) =>
    Float64Array.from(rows, (r) => (r[col(name)]!.trim() === "" ? Number.NaN : Number(r[col(name)])));
  const gene = rows.map((r) => r[col("gene")]!);
  if (bayes) return { gene, mean: num("mean"), lfsr: num("lfsr") } satisfies BayesianDeTableLike;
  const n = rows.length;
  const opt = (name: string) => (col(name) >= 0 ? num(name) : new Float64Array(n).fill(Number.NaN));
  return {
    gene,
    log2FC: num("log2FC"),
    statistic: opt("statistic"),
    pval: num("pval"),
    padj: num("padj"),
    dispersion: opt("dispersion"),
    df1: 1,
    df2: Number.NaN,
    method: "ql",
  } satisfies DeTable;
}
