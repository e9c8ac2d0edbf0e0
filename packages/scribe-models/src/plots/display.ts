/**
 * How results and DE tables display themselves in Deno's Jupyter kernel
 * (`Symbol.for("Jupyter.display")`): a summary table of a fit (model, sizes, inference,
 * loss, fitted parameters) and the top rows of a DE table, as text and HTML.
 * @module
 */
import type { DeTable } from "../de/tests.js";
import type { ScribeResults } from "../results/results.js";
import { JUPYTER_DISPLAY } from "./spec.js";

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function htmlTable(header: readonly string[] | null, rows: readonly (readonly string[])[]): string {
  const head = header ? `<thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>` : "";
  return `<table>${head}<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function textTable(header: readonly string[] | null, rows: readonly (readonly string[])[]): string {
  const all = header ? [header, ...rows] : rows;
  const w = all[0]!.map((_, j) => Math.max(...all.map((r) => r[j]!.length)));
  return all
    .map((r) => r.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join("  "))
    .join("\n");
}

/** Key–value rows summarizing a fit. */
export function resultsSummaryRows(r: ScribeResults): [string, string][] {
  const loss = r.lossHistory;
  const rows: [string, string][] = [
    ["model", r.modelType],
    ["parameterization", String(r.config.parameterization)],
    ["cells × genes", `${r.nCells} × ${r.nGenes}`],
    ["components", String(r.nComponents)],
    ["inference", r.inferenceMethod],
  ];
  if (loss.length)
    rows.push(["steps", String(loss.length)], ["final loss", loss[loss.length - 1]!.toPrecision(6)]);
  const shapes = Object.entries(r.mcmcSamples ?? r.params).map(([k, v]) => `${k} [${v.shape.join(", ")}]`);
  rows.push([r.mcmcSamples ? "draws" : "variational parameters", shapes.join(", ")]);
  return rows;
}

/** Jupyter mime bundle of a fit's summary. */
export function resultsBundle(r: ScribeResults): Record<string, string> {
  const rows = resultsSummaryRows(r);
  return {
    "text/plain": `ScribeResults\n${textTable(null, rows)}`,
    "text/html": `<b>ScribeResults</b>${htmlTable(null, rows)}`,
  };
}

/** Jupyter mime bundle of a DE table: its `topN` genes by p-value (default 20). */
export function deTableBundle(t: DeTable, topN = 20): Record<string, string> {
  const idx = t.gene
    .map((_, i) => i)
    .sort(
      (a, b) => (Number.isNaN(t.pval[a]!) ? 2 : t.pval[a]!) - (Number.isNaN(t.pval[b]!) ? 2 : t.pval[b]!),
    );
  const f = (v: number) =>
    Number.isFinite(v) ? (Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(3)) : String(v);
  const header = ["gene", "log2FC", "statistic", "pval", "padj"];
  const rows = idx
    .slice(0, topN)
    .map((i) => [t.gene[i]!, f(t.log2FC[i]!), f(t.statistic[i]!), f(t.pval[i]!), f(t.padj[i]!)]);
  const called = Array.from(t.padj).filter((p) => p < 0.05).length;
  const title = `DE table (${t.method}): ${t.gene.length} genes, ${called} with padj < 0.05; top ${rows.length} by p-value`;
  return {
    "text/plain": `${title}\n${textTable(header, rows)}`,
    "text/html": `<b>${esc(title)}</b>${htmlTable(header, rows)}`,
  };
}

/** Attach the Jupyter display of a DE table (non-enumerable; the table stays plain data). */
export function withTableDisplay<T extends DeTable>(t: T): T {
  Object.defineProperty(t, JUPYTER_DISPLAY, {
    value: () => deTableBundle(t),
    enumerable: false,
    configurable: true,
  });
  return t;
}
