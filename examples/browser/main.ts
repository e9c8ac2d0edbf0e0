/**
 * The in-browser fit page: load data (dropped files or the bundled PBMC 3k), fit a SCRIBE
 * model by SVI on WebGPU (the CPU when `navigator.gpu` is absent, or with `?backend=cpu`),
 * draw the loss as it goes, then show a per-gene table and a posterior predictive check and
 * offer the results for download. `?auto=bundled&steps=N` starts a fit on load (the test's way in).
 * State for automation is mirrored on `window.scribePage`.
 * @module
 */
import { type AnnData, fit, type ModelType, ppcPlot, prepareCounts, renderSvg } from "@scribe/models";
import { bundledPbmc, type InputFile, readInput } from "./load-data.js";

/** What the page exposes for a test or a console user. */
interface PageState {
  status: "idle" | "loading" | "fitting" | "done" | "error";
  backend?: "webgpu" | "cpu";
  losses: number[];
  steps: number[];
  /** Milliseconds from pressing fit to the first progress update (its step count in `steps[0]`). */
  firstProgressMs?: number;
  fitMs?: number;
  /** Every step's loss (the fit's history), once the fit has ended. */
  lossHistory?: number[];
  geneRows?: number;
  error?: string;
}
const state: PageState = { status: "idle", losses: [], steps: [] };
(window as unknown as { scribePage: PageState }).scribePage = state;

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page: element #${id} is missing`);
  return el as T;
};
const params = new URLSearchParams(location.search);
let adata: AnnData | undefined;

function setStatus(text: string): void {
  $("status").textContent = text;
}

function fail(err: unknown): void {
  state.status = "error";
  state.error = err instanceof Error ? err.message : String(err);
  setStatus(`error: ${state.error}`);
}

async function setData(load: Promise<AnnData>): Promise<void> {
  state.status = "loading";
  setStatus("reading data…");
  try {
    adata = await load;
    const [cells, genes] = adata.X.shape;
    setStatus(`${cells} cells × ${genes} genes loaded`);
    state.status = "idle";
    $<HTMLButtonElement>("fit").disabled = false;
  } catch (err) {
    fail(err);
  }
}

/** The loss history on the canvas, rescaled to what has been seen so far. */
function drawLoss(): void {
  const canvas = $<HTMLCanvasElement>("loss");
  const ctx = canvas.getContext("2d");
  if (ctx === null || state.losses.length === 0) return;
  const { width: w, height: h } = canvas;
  const lo = Math.min(...state.losses);
  const hi = Math.max(...state.losses);
  const last = state.steps.at(-1) ?? 1;
  ctx.clearRect(0, 0, w, h);
  ctx.beginPath();
  state.losses.forEach((loss, i) => {
    const x = 30 + ((state.steps[i] ?? 0) / last) * (w - 40);
    const y = 10 + (hi === lo ? 0.5 : (hi - loss) / (hi - lo)) * (h - 30);
    if (i === 0) ctx.moveTo(x, h - y);
    else ctx.lineTo(x, h - y);
  });
  ctx.strokeStyle = "#36c";
  ctx.stroke();
  ctx.fillText(`loss ${state.losses.at(-1)?.toPrecision(5)} at step ${last}`, 35, 12);
}

function download(name: string, text: string, type: string): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.textContent = `download ${name}`;
  a.style.marginRight = "1em";
  return a;
}

async function runFit(): Promise<void> {
  if (adata === undefined) return;
  const data = adata;
  const backend = params.get("backend") === "cpu" || !("gpu" in navigator) ? "cpu" : "webgpu";
  state.backend = backend;
  state.status = "fitting";
  state.losses = [];
  state.steps = [];
  $("backend").textContent =
    `backend: ${backend}${"gpu" in navigator ? "" : " (this browser has no WebGPU)"}`;
  $<HTMLButtonElement>("fit").disabled = true;
  const nSteps = Number($<HTMLInputElement>("steps").value);
  const batchSize = Number($<HTMLInputElement>("batch").value);
  const model = $<HTMLSelectElement>("model").value as ModelType;
  const t0 = performance.now();
  try {
    setStatus(`fitting ${model} on ${backend}…`);
    const { results } = await fit(data, {
      model,
      nSteps,
      batchSize,
      learningRate: 0.01,
      backend,
      progressEvery: 10,
      onProgress: (step, total, loss) => {
        state.firstProgressMs ??= performance.now() - t0;
        state.steps.push(step);
        state.losses.push(loss);
        setStatus(`fitting ${model} on ${backend}: step ${step} of ${total}`);
        drawLoss();
      },
    });
    state.fitMs = performance.now() - t0;
    state.lossHistory = Array.from(results.lossHistory);
    setStatus(`summarizing (${(state.fitMs / 1000).toFixed(1)} s of fitting)…`);
    await showResults(data, results);
    state.status = "done";
    setStatus(`done: ${nSteps} steps in ${((state.fitMs ?? 0) / 1000).toFixed(1)} s on ${backend}`);
  } catch (err) {
    fail(err);
  } finally {
    $<HTMLButtonElement>("fit").disabled = false;
  }
}

type Results = Awaited<ReturnType<typeof fit>>["results"];

/** Per-gene table (every MAP parameter with one value per gene), PPC plot and downloads. */
async function showResults(data: AnnData, results: Results): Promise<void> {
  const G = results.nGenes;
  const map = results.getMap();
  const perGene: [string, Float64Array][] = [];
  const params: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(map)) {
    const values = Float64Array.from(await t.data());
    params[name] = Array.from(values);
    if (t.shape.length === 1 && t.shape[0] === G) perGene.push([name, values]);
  }
  const { counts } = prepareCounts(data);
  const means = Float64Array.from(await counts.mean(0).data());
  const header = ["gene", "mean count", ...perGene.map(([n]) => `${n} (MAP)`)];
  const rows = results.varNames.map((gene, g) => [
    gene,
    (means[g] ?? Number.NaN).toPrecision(4),
    ...perGene.map(([, v]) => (v[g] ?? Number.NaN).toPrecision(4)),
  ]);
  const table = $<HTMLTableElement>("genes");
  table.innerHTML = "";
  const head = table.createTHead().insertRow();
  for (const h of header) head.appendChild(document.createElement("th")).textContent = h;
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    for (const c of r) tr.insertCell().textContent = c;
  }
  state.geneRows = body.rows.length;
  const spec = await ppcPlot(results, counts, { nGenes: 6, nSamples: 50 });
  $("ppc").innerHTML = await renderSvg(spec);
  const csv = [header, ...rows].map((r) => r.join(",")).join("\n");
  const links = $("downloads");
  links.innerHTML = "";
  links.append(
    download("genes.csv", `${csv}\n`, "text/csv"),
    download(
      "map-params.json",
      JSON.stringify({ model: results.modelType, params, losses: results.lossHistory }),
      "application/json",
    ),
  );
}

async function filesFrom(list: FileList | File[]): Promise<InputFile[]> {
  return Promise.all(
    Array.from(list, async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
}

const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const files = e.dataTransfer?.files;
  if (files && files.length > 0) void setData(filesFrom(files).then(readInput));
});
$("bundled").addEventListener("click", () => void setData(bundledPbmc()));
$("fit").addEventListener("click", () => void runFit());

if (params.get("auto") === "bundled") {
  const steps = params.get("steps");
  if (steps !== null) $<HTMLInputElement>("steps").value = steps;
  const model = params.get("model");
  if (model !== null) $<HTMLSelectElement>("model").value = model;
  void setData(bundledPbmc()).then(() => (state.status === "idle" ? runFit() : undefined));
}
