/**
 * Column tables for per-cell (`obs`) and per-gene (`var`) annotations.
 *
 * Browser-safe: no `node:` imports.
 * @module
 */

/**
 * A categorical column: `codes[i]` indexes `categories`; `-1` marks a missing value.
 * `ordered` records whether the categories have a meaningful order.
 */
export interface Categorical {
  readonly kind: "categorical";
  readonly codes: Int32Array;
  readonly categories: string[];
  readonly ordered?: boolean;
}

/** One column of a {@link ColumnTable}. */
export type Column = number[] | string[] | boolean[] | Categorical;

/** A named-row, named-column table (a minimal data frame). */
export interface ColumnTable {
  /** Row names (cell barcodes for `obs`, gene names for `var`). */
  readonly index: string[];
  /** Columns in insertion order; every column has `index.length` entries. */
  readonly columns: Record<string, Column>;
}

/** Build a categorical column from values (categories sorted, or in the order given). */
export function categorical(
  values: readonly (string | null | undefined)[],
  categories?: string[],
): Categorical {
  const cats = categories ?? [...new Set(values.filter((v): v is string => v != null))].sort();
  const lookup = new Map(cats.map((c, i) => [c, i] as const));
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (v == null) {
      codes[i] = -1;
      return;
    }
    const code = lookup.get(v);
    if (code === undefined)
      throw new Error(`categorical: value ${JSON.stringify(v)} is not among the categories`);
    codes[i] = code;
  });
  return { kind: "categorical", codes, categories: cats };
}

/** True when the column is categorical. */
export function isCategorical(col: Column): col is Categorical {
  return !Array.isArray(col) && (col as Categorical).kind === "categorical";
}

/** Number of entries in a column. */
export function columnLength(col: Column): number {
  return isCategorical(col) ? col.codes.length : col.length;
}

/** Decode a categorical column to its values (`null` for missing codes). */
export function decodeCategorical(col: Categorical): (string | null)[] {
  return Array.from(col.codes, (c, i) => {
    if (c < 0) return null;
    const v = col.categories[c];
    if (v === undefined)
      throw new Error(`categorical code ${c} at row ${i} is out of range [0, ${col.categories.length})`);
    return v;
  });
}

/** An empty table with the given row names. */
export function emptyTable(index: string[]): ColumnTable {
  return { index, columns: {} };
}

/**
 * Get a column by name, throwing an error that lists the available columns when absent.
 * @param what label for messages, e.g. `"obs"`.
 */
export function getColumn(table: ColumnTable, name: string, what = "table"): Column {
  if (!Object.hasOwn(table.columns, name)) {
    const have = Object.keys(table.columns);
    throw new Error(
      `${what} has no column ${JSON.stringify(name)}; available: ${have.length ? have.map((h) => JSON.stringify(h)).join(", ") : "(none)"}`,
    );
  }
  return table.columns[name]!; // present: checked by hasOwn above
}

/** Get a column as numbers (booleans become 0/1); throws for string or categorical columns. */
export function getNumericColumn(table: ColumnTable, name: string, what = "table"): number[] {
  const col = getColumn(table, name, what);
  if (isCategorical(col) || (col.length > 0 && typeof col[0] === "string")) {
    throw new Error(`${what} column ${JSON.stringify(name)} is not numeric`);
  }
  return (col as (number | boolean)[]).map(Number);
}

/** Get a column as strings (categoricals decoded, missing values as `""`). */
export function getStringColumn(table: ColumnTable, name: string, what = "table"): string[] {
  const col = getColumn(table, name, what);
  if (isCategorical(col)) return decodeCategorical(col).map((v) => v ?? "");
  return (col as (string | number | boolean)[]).map(String);
}

/** Check that every column has one entry per row; throws naming the first bad column. */
export function checkTable(table: ColumnTable, what = "table"): void {
  const n = table.index.length;
  for (const [name, col] of Object.entries(table.columns)) {
    const len = columnLength(col);
    if (len !== n)
      throw new Error(`${what} column ${JSON.stringify(name)} has ${len} entries, index has ${n}`);
    if (isCategorical(col)) {
      for (let i = 0; i < len; i++) {
        const c = col.codes[i]!; // i < len = codes.length
        if (c < -1 || c >= col.categories.length) {
          throw new Error(`${what} column ${JSON.stringify(name)}: code ${c} at row ${i} is out of range`);
        }
      }
    }
  }
}

/** Select rows (in the given order) of every column. */
export function subsetTable(table: ColumnTable, rows: ArrayLike<number>): ColumnTable {
  const n = table.index.length;
  for (let t = 0; t < rows.length; t++) {
    const i = rows[t];
    if (i === undefined || !Number.isInteger(i) || i < 0 || i >= n)
      throw new Error(`subsetTable: row index ${i} at position ${t} is out of range [0, ${n})`);
  }
  // Every rows[t] is a valid row (checked above) and columns have one entry per row.
  const pick = <T>(arr: readonly T[]): T[] => Array.from({ length: rows.length }, (_, t) => arr[rows[t]!]!);
  const columns: Record<string, Column> = {};
  for (const [name, col] of Object.entries(table.columns)) {
    if (isCategorical(col)) {
      const codes = new Int32Array(rows.length);
      for (let t = 0; t < rows.length; t++) codes[t] = col.codes[rows[t]!]!;
      columns[name] = { ...col, codes, categories: col.categories.slice() };
    } else {
      columns[name] = pick(col as unknown[]) as Column;
    }
  }
  return { index: pick(table.index), columns };
}
