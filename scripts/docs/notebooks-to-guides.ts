/**
 * Renders the Deno notebooks (examples/notebooks/*.ipynb) as markdown guides for the typedoc
 * site (`npm run docs`; typedoc.json's `projectDocuments` reads out/guides/*.md). The executed
 * copies that `npm run notebooks` leaves in out/notebooks/ are preferred, so the guides show
 * outputs (text, tables, plots); without them the source notebooks are rendered, code only.
 * Images are written next to the pages (typedoc copies files that pages link relatively).
 *
 * Usage: `tsx scripts/docs/notebooks-to-guides.ts` (from the repository root).
 * @module
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const SOURCE_DIR = "examples/notebooks";
const EXECUTED_DIR = "out/notebooks";
const OUT_DIR = "out/guides";

/** The parts of the nbformat 4 schema this script reads. */
interface NotebookOutput {
  output_type: "stream" | "execute_result" | "display_data" | "error";
  text?: string | string[];
  data?: Record<string, string | string[] | object>;
  ename?: string;
  evalue?: string;
}
interface NotebookCell {
  cell_type: "markdown" | "code" | "raw";
  source: string | string[];
  outputs?: NotebookOutput[];
}
interface Notebook {
  cells: NotebookCell[];
  nbformat: number;
}

const joinText = (t: string | string[] | object | undefined): string =>
  typeof t === "string" ? t : Array.isArray(t) ? t.join("") : "";

/** Deno's kernel colours its text output with ANSI escapes; a web page shows them raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
const stripAnsi = (t: string): string => t.replace(/\u001b\[[0-9;]*m/g, "");

/** Reads and checks one notebook file (nbformat 4), naming the file on bad input. */
function readNotebook(path: string): Notebook {
  let nb: unknown;
  try {
    nb = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: not a JSON notebook (${err instanceof Error ? err.message : String(err)})`);
  }
  const cells = (nb as { cells?: unknown }).cells;
  if (!Array.isArray(cells)) throw new Error(`${path}: no "cells" array (is it an nbformat 4 notebook?)`);
  return nb as Notebook;
}

/** A fenced block whose fence is longer than any backtick run inside it. */
function fence(text: string, lang = ""): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const f = "`".repeat(longest + 1);
  return `${f}${lang}\n${text.replace(/\n$/, "")}\n${f}`;
}

/** Markdown for one output; images become files in `mediaDir` named after `stem`. */
function renderOutput(out: NotebookOutput, stem: string, mediaDir: string): string | undefined {
  if (out.output_type === "stream") return fence(stripAnsi(joinText(out.text)));
  if (out.output_type === "error") return fence(stripAnsi(`${out.ename ?? "Error"}: ${out.evalue ?? ""}`));
  const data = out.data ?? {};
  if ("image/svg+xml" in data) {
    writeFileSync(join(mediaDir, `${stem}.svg`), joinText(data["image/svg+xml"]));
    return `![output](media/${stem}.svg)`;
  }
  if ("image/png" in data) {
    writeFileSync(join(mediaDir, `${stem}.png`), Buffer.from(joinText(data["image/png"]), "base64"));
    return `![output](media/${stem}.png)`;
  }
  if ("text/html" in data) return joinText(data["text/html"]);
  if ("text/markdown" in data) return joinText(data["text/markdown"]);
  if ("text/plain" in data) return fence(stripAnsi(joinText(data["text/plain"])));
  return undefined;
}

/** The guide page of one notebook: its first heading is the page title. */
function renderNotebook(nb: Notebook, name: string, executed: boolean, mediaDir: string): string {
  const parts: string[] = [];
  let title = name;
  nb.cells.forEach((cell, i) => {
    const source = joinText(cell.source);
    if (cell.cell_type === "markdown") {
      const heading = /^#\s+(.+)$/m.exec(source);
      if (title === name && heading?.[1] !== undefined) title = heading[1].trim();
      parts.push(source);
    } else if (cell.cell_type === "code") {
      parts.push(fence(source, "ts"));
      (cell.outputs ?? []).forEach((out, j) => {
        const md = renderOutput(out, `${name}-${i}-${j}`, mediaDir);
        if (md !== undefined) parts.push(md);
      });
    }
  });
  const origin = executed
    ? `Rendered from \`${SOURCE_DIR}/${name}.ipynb\` as executed by \`npm run notebooks\`.`
    : `Rendered from \`${SOURCE_DIR}/${name}.ipynb\` (not executed here: run \`npm run notebooks\` first to include outputs).`;
  const safeTitle = title.replace(/"/g, "'");
  return `---\ntitle: "${safeTitle}"\ngroup: Guides\n---\n\n> ${origin}\n\n${parts.join("\n\n")}\n`;
}

function main(): void {
  if (!existsSync(SOURCE_DIR)) throw new Error(`${SOURCE_DIR}: missing (run from the repository root)`);
  rmSync(OUT_DIR, { recursive: true, force: true });
  const mediaDir = join(OUT_DIR, "media");
  mkdirSync(mediaDir, { recursive: true });
  const names = readdirSync(SOURCE_DIR)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
  if (names.length === 0) throw new Error(`${SOURCE_DIR}: no .ipynb notebooks`);
  for (const file of names) {
    const executedPath = join(EXECUTED_DIR, file);
    const executed = existsSync(executedPath);
    const nb = readNotebook(executed ? executedPath : join(SOURCE_DIR, file));
    const name = basename(file, ".ipynb");
    writeFileSync(join(OUT_DIR, `${name}.md`), renderNotebook(nb, name, executed, mediaDir));
    console.log(`guides: ${name}.md${executed ? "" : " (source only: no executed copy in out/notebooks)"}`);
  }
}

main();
