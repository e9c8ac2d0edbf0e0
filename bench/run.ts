/**
 * Benchmark runner: `npm run bench -- <workload> [options]`. Each workload prints our
 * figures and the peers' from the same run, as ratios.
 */
const [workload, ...rest] = process.argv.slice(2);
const table: Record<string, () => Promise<(args: string[]) => Promise<void>>> = {
  w1: async () => (await import("./w1/run-w1.js")).runW1,
  w2: async () => (await import("./w2.js")).runW2,
  w3: async () => (await import("./w3.js")).runW3,
  w4: async () => (await import("./w4.js")).runW4,
  w5: async () => (await import("./w5.js")).runW5,
  pb: async () => (await import("./poisson-beta.js")).runPb,
  io: async () => (await import("./io.js")).runIo,
  w6: async () => (await import("./w6.js")).runW6,
  "backed-fit": async () => (await import("./backed-fit.js")).runBackedFit,
};
if (!workload || !table[workload]) {
  console.error(`usage: npm run bench -- <${Object.keys(table).join("|")}> [options]`);
  process.exit(2);
}
await (await table[workload]!())(rest);
