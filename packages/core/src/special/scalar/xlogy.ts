/** x·log(y) and x·log1p(y) with the 0·log 0 = 0 convention. */

/** x·log(y); exactly 0 when x = 0 and y is not NaN (even y = 0 or y = +Infinity). */
export function xlogy(x: number, y: number): number {
  if (x === 0 && !Number.isNaN(y)) return 0;
  return x * Math.log(y);
}

/** x·log1p(y); exactly 0 when x = 0 and y is not NaN (even y = -1). */
export function xlog1py(x: number, y: number): number {
  if (x === 0 && !Number.isNaN(y)) return 0;
  return x * Math.log1p(y);
}
