// Shared helpers for the discrete / NB / PoissonBeta reference-value tests (not a test file).
import { readFileSync } from "node:fs";
import { type Tensor, tensor } from "@scribe/core";

export interface RefCase {
  dist: string;
  params: Record<string, number | number[] | string>;
  x: number | number[] | string | null;
  expected: number | string;
  tag: string;
}

/** Load a reference-vector file from test/fixtures/refvec (copies of shared/data/refvec). */
export function loadRef(name: string): RefCase[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/refvec/${name}`, import.meta.url), "utf8"));
}

/** JSON number or "inf"/"-inf"/"nan" string → number. */
export function num(v: number | string): number {
  if (typeof v === "number") return v;
  return v === "inf" ? Infinity : v === "-inf" ? -Infinity : Number.NaN;
}

/** A float64 tensor from a number or nested array. */
export function f64(v: number | number[] | number[][]): Tensor {
  if (typeof v === "number") return tensor(new Float64Array([v]), { shape: [] });
  const flat = (v as unknown[]).flat(2) as number[];
  const shape = Array.isArray(v[0]) ? [v.length, (v[0] as number[]).length] : [v.length];
  return tensor(new Float64Array(flat), { shape });
}

/** |got − want| / |want| (absolute when want is 0; 0 when both are the same non-finite). */
export function relErr(got: number, want: number): number {
  if (!Number.isFinite(want) || !Number.isFinite(got))
    return Object.is(got, want) || got === want ? 0 : Infinity;
  if (want === 0) return Math.abs(got);
  return Math.abs(got - want) / Math.abs(want);
}
