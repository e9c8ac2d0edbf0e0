import { lgamma } from "./lgamma.js";

/** Entries below this come from a table. */
export const LFACTORIAL_TABLE_SIZE = 1024;
/**
 * log(y!) for the integers y below LFACTORIAL_TABLE_SIZE, for hot loops that know their count
 * is such an integer (lfactorial checks it again). Each entry from lgamma (≤ 2.2 ulp vs
 * Python's math.lgamma), not a running sum of logs, whose rounding errors add up to 8 ulp by
 * 1000. Read it, never write it.
 */
export const LFACTORIAL_TABLE: Readonly<Float64Array> = Float64Array.from(
  { length: LFACTORIAL_TABLE_SIZE },
  (_, i) => (i < 2 ? 0 : lgamma(i + 1)),
);

/** log(y!) for integer y ≥ 0 (table below 1024, lgamma above); lgamma(y + 1) otherwise. */
export function lfactorial(y: number): number {
  if (y >= 0 && y < LFACTORIAL_TABLE_SIZE && y === Math.floor(y)) return LFACTORIAL_TABLE[y]!;
  return lgamma(y + 1);
}
