/**
 * From a trace run under `enumerate` to log-factors: each sample site's log-prob (masked,
 * not yet scaled by its plates, whose subsampling scale the contraction applies when it
 * multiplies a plate out), padded to one common rank, with the plates it lives in; the
 * enumeration dims in use; and the sites of enumerated `scan`s, grouped per time dim.
 * @module
 */
import {
  enumDimOf,
  type PlateMessage,
  reshape,
  type SampleMessage,
  type ScaleValue,
  type ScanInfo,
  type Tensor,
  type Trace,
} from "@scribe/core";
import { sampleSites, siteLogProb } from "../util/log-density.js";
import type { ContractionPlate, Factor } from "./contract.js";

/** A factor with the site it came from. */
export interface SiteFactor extends Factor {
  readonly site: SampleMessage;
}

/** The factors of a trace, ready for contraction. */
export interface TraceFactors {
  /** Common rank of every factor's tensor. */
  readonly rank: number;
  /** Factors of the sites outside enumerated scans' vectorized steps. */
  readonly factors: SiteFactor[];
  /** Per time dim: the factors of an enumerated scan's steps 1..T−1. */
  readonly scans: Map<number, SiteFactor[]>;
  readonly plates: Map<string, ContractionPlate>;
  /** Enumeration dim → its site. */
  readonly enumSites: Map<number, SampleMessage>;
}

/** True when some sample site of the trace was enumerated. */
export function hasEnumeratedSites(tr: Trace): boolean {
  for (const s of tr.values()) if (s.type === "sample" && enumDimOf(s) !== undefined) return true;
  return false;
}

/** The deepest plate nesting among the trace's sample sites (NumPyro's `max_plate_nesting` guess). */
export function maxPlateNestingOf(tr: Trace): number {
  let n = 0;
  for (const s of tr.values())
    if (s.type === "sample") for (const f of s.condIndepStack) n = Math.max(n, -f.dim);
  return n;
}

function divideScale(scale: ScaleValue | null, by: number): ScaleValue | null {
  if (scale === null) return null;
  if (typeof scale === "number") return scale / by;
  return scale.div(by);
}

/** Log-factors of every sample site of `tr`. */
export function traceFactors(tr: Trace): TraceFactors {
  const sites = sampleSites(tr);
  const plates = new Map<string, ContractionPlate>();
  const enumSites = new Map<number, SampleMessage>();
  const raw: { site: SampleMessage; logp: Tensor; names: Set<string> }[] = [];
  let rank = 0;
  for (const s of sites) {
    let plateScale = 1;
    for (const f of s.condIndepStack) {
      const pm = tr.get(f.name);
      const scale = pm?.type === "plate" ? (pm as PlateMessage).args[0] / Math.max(f.size, 1) : 1;
      plates.set(f.name, { dim: f.dim, size: f.size, scale });
      plateScale *= scale;
    }
    const d = enumDimOf(s);
    if (d !== undefined) enumSites.set(d, s);
    let logp = siteLogProb(s, { scaled: false });
    const rest = plateScale === 1 ? s.scale : divideScale(s.scale, plateScale);
    if (rest !== null && rest !== 1) logp = logp.mul(rest);
    rank = Math.max(rank, logp.rank);
    raw.push({ site: s, logp, names: new Set(s.condIndepStack.map((f) => f.name)) });
  }
  for (const dim of enumSites.keys()) rank = Math.max(rank, -dim);
  const factors: SiteFactor[] = [];
  const scans = new Map<number, SiteFactor[]>();
  for (const r of raw) {
    const logp =
      r.logp.rank === rank
        ? r.logp
        : reshape(r.logp, [...new Array<number>(rank - r.logp.rank).fill(1), ...r.logp.shape]);
    const f: SiteFactor = { site: r.site, logp, plates: r.names };
    const timeDim = (r.site.infer as Partial<ScanInfo>)._scanTimeDim;
    if (typeof timeDim === "number") {
      const group = scans.get(timeDim) ?? [];
      group.push(f);
      scans.set(timeDim, group);
    } else factors.push(f);
  }
  return { rank, factors, scans, plates, enumSites };
}
