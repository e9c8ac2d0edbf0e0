/**
 * One shard of a sharded `scribe de`: the gene-wise stage of `nbFit` (β of fit #1, m̄ and
 * the Cox–Reid θ̂; see de/fit.ts `NbGenewise`) for a gene range, stored as one JSON file.
 *
 * The float64 arrays are stored as base64 of their bytes (little-endian, bit-exact), the
 * payload carries a SHA-256, and the file names the run it belongs to by a fingerprint, so a
 * merge can tell a complete shard of this run from a stale, foreign or damaged one. Writing
 * goes through a temporary file and a rename (cli/util.ts `writeFileAtomic`), so a reader
 * never sees half a shard.
 *
 * Node-only.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { NbGenewise } from "../de/fit.js";
import type { GeneRange } from "./gene-ranges.js";

/** Format tag of a shard file. */
export const SHARD_FORMAT = "scribe-de-shard/1";

/** What a shard file holds besides its arrays. */
export interface ShardHeader {
  /** {@link SHARD_FORMAT}. */
  format: string;
  /** Fingerprint of the run (data, options, number of shards). */
  fingerprint: string;
  /** Shard number. */
  index: number;
  /** Number of shards of the run. */
  nShards: number;
  /** First gene. */
  start: number;
  /** One past the last gene. */
  end: number;
  /** Coefficients per gene. */
  nCoef: number;
  /** SHA-256 (hex) of the JSON text of `payload`. */
  sha256: string;
}

interface ShardPayload {
  beta: string;
  meanMu: string;
  overdispersions: string;
}

/** Path of shard `index` of `nShards` in `dir`. */
export function shardPath(dir: string, index: number, nShards: number): string {
  return join(dir, `shard-${index}-of-${nShards}.json`);
}

function encode(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

function decode(s: string, expected: number, what: string, path: string): Float64Array {
  const bytes = Buffer.from(s, "base64");
  if (bytes.byteLength !== expected * 8)
    throw new Error(`${path}: ${what} has ${bytes.byteLength / 8} values, expected ${expected}`);
  // copy into a fresh, aligned buffer
  const out = new Float64Array(expected);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The JSON text of a shard file (written by the caller, atomically). */
export function shardFileText(
  fingerprint: string,
  range: GeneRange,
  nShards: number,
  nCoef: number,
  part: NbGenewise,
): string {
  const payload: ShardPayload = {
    beta: encode(part.beta),
    meanMu: encode(part.meanMu),
    overdispersions: encode(part.overdispersions),
  };
  const payloadText = JSON.stringify(payload);
  const header: ShardHeader = {
    format: SHARD_FORMAT,
    fingerprint,
    index: range.index,
    nShards,
    start: range.start,
    end: range.end,
    nCoef,
    sha256: sha256(payloadText),
  };
  return `{"header":${JSON.stringify(header)},"payload":${payloadText}}\n`;
}

/** A shard read back: complete and of this run, or why not. */
export type ShardState =
  | { ok: true; part: NbGenewise; path: string }
  | { ok: false; path: string; reason: string };

/**
 * Read shard `range.index` of `nShards` from `dir` and check it: format, fingerprint, gene
 * range, coefficient count, lengths and checksum. Never throws for a bad file; the state
 * says why it cannot be used ("missing", "from another run", "checksum mismatch", …).
 */
export function readShard(
  dir: string,
  range: GeneRange,
  nShards: number,
  nCoef: number,
  fingerprint: string,
): ShardState {
  const path = shardPath(dir, range.index, nShards);
  if (!existsSync(path)) return { ok: false, path, reason: "missing" };
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    return { ok: false, path, reason: `unreadable (${(err as Error).message})` };
  }
  // The payload is the exact text after `"payload":`, so the checksum is over the bytes written.
  const marker = ',"payload":';
  const at = text.indexOf(marker);
  if (!text.startsWith('{"header":') || at < 0) return { ok: false, path, reason: "not a shard file" };
  let header: ShardHeader;
  let payload: ShardPayload;
  const payloadText = text
    .slice(at + marker.length)
    .trimEnd()
    .replace(/\}$/, "");
  try {
    header = JSON.parse(text.slice('{"header":'.length, at)) as ShardHeader;
    payload = JSON.parse(payloadText) as ShardPayload;
  } catch {
    return { ok: false, path, reason: "damaged (not valid JSON)" };
  }
  if (header.format !== SHARD_FORMAT) return { ok: false, path, reason: `format ${header.format}` };
  if (header.fingerprint !== fingerprint)
    return { ok: false, path, reason: "from another run (different data or options)" };
  if (header.index !== range.index || header.start !== range.start || header.end !== range.end)
    return { ok: false, path, reason: `gene range [${header.start}, ${header.end}) differs` };
  if (header.nShards !== nShards || header.nCoef !== nCoef)
    return { ok: false, path, reason: "shard count or design differs" };
  if (sha256(payloadText) !== header.sha256) return { ok: false, path, reason: "checksum mismatch" };
  const G = range.end - range.start;
  try {
    const part: NbGenewise = {
      beta: decode(payload.beta, G * nCoef, "beta", path),
      meanMu: decode(payload.meanMu, G, "meanMu", path),
      overdispersions: decode(payload.overdispersions, G, "overdispersions", path),
    };
    return { ok: true, part, path };
  } catch (err) {
    return { ok: false, path, reason: (err as Error).message };
  }
}

/** Concatenate shard parts (in gene order) into the gene-wise stage of the whole matrix. */
export function concatGenewise(parts: readonly NbGenewise[]): NbGenewise {
  const cat = (pick: (p: NbGenewise) => Float64Array): Float64Array => {
    const total = parts.reduce((s, p) => s + pick(p).length, 0);
    const out = new Float64Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(pick(p), at);
      at += pick(p).length;
    }
    return out;
  };
  return {
    beta: cat((p) => p.beta),
    meanMu: cat((p) => p.meanMu),
    overdispersions: cat((p) => p.overdispersions),
  };
}

/**
 * Fingerprint of a sharded run: SHA-256 over the counts, gene and sample names, and the
 * options that change the gene-wise stage or the table. Shards with another fingerprint
 * are not reused.
 */
export function runFingerprint(
  counts: { data: Float64Array; genes?: readonly string[]; samples?: readonly string[] },
  options: Record<string, unknown>,
): string {
  const h = createHash("sha256");
  h.update(Buffer.from(counts.data.buffer, counts.data.byteOffset, counts.data.byteLength));
  h.update(JSON.stringify({ genes: counts.genes ?? null, samples: counts.samples ?? null, options }));
  return h.digest("hex");
}
