/** Timing helpers shared by the benchmarks: warm up, then report the median of several runs. */
export interface Timing {
  readonly medianMs: number;
  readonly runs: number[];
}

export async function timeIt(
  fn: () => unknown | Promise<unknown>,
  opts: { warmup?: number; runs?: number } = {},
): Promise<Timing> {
  for (let i = 0; i < (opts.warmup ?? 1); i++) await fn();
  const runs: number[] = [];
  for (let i = 0; i < (opts.runs ?? 5); i++) {
    const t0 = performance.now();
    await fn();
    runs.push(performance.now() - t0);
  }
  const sorted = [...runs].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor(sorted.length / 2)]!, runs };
}

export function printTable(
  title: string,
  rows: { name: string; ms: number | null; note?: string }[],
  reference: string,
): void {
  const ref = rows.find((r) => r.name === reference)?.ms ?? null;
  console.log(`\n${title}`);
  console.log(`${"implementation".padEnd(58)} ${"ms".padStart(10)} ${"ratio vs ours".padStart(14)}  note`);
  for (const r of rows) {
    const ms = r.ms === null ? "n/a" : r.ms.toFixed(1);
    const ratio = r.ms === null || ref === null ? "" : `${(r.ms / ref).toFixed(2)}x`;
    console.log(`${r.name.padEnd(58)} ${ms.padStart(10)} ${ratio.padStart(14)}  ${r.note ?? ""}`);
  }
}

export function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}
