/**
 * The shard and SLURM options shared by `scribe de --shards` and `scribe sweep`, taken out
 * of the argument list before the command's own parser sees the rest.
 * @module
 */
import { checkSlurmSet, type SlurmOptions } from "../slurm/sbatch-node.js";
import { UsageError } from "./util.js";

/** Shard / SLURM options. */
export interface ShardFlags {
  /** Number of shards (1 when not given). */
  shards: number;
  /** Run only this shard (a SLURM array task). */
  shardIndex?: number;
  /** Run only the merge. */
  merge: boolean;
  /** Folder of the shard files (default `OUT.shards`). */
  shardDir?: string;
  /** Submit to SLURM. */
  slurm: boolean;
  /** With `--slurm`: wait for the jobs and report their outcome. */
  wait: boolean;
  /** sbatch pass-through options. */
  slurmOptions: SlurmOptions;
}

const VALUED = [
  "shards",
  "shard-index",
  "shard-dir",
  "slurm-partition",
  "slurm-time",
  "slurm-mem",
  "slurm-set",
];
const BOOLEAN = ["merge-shards", "slurm", "slurm-wait"];

/**
 * Take the shard and SLURM options out of `argv` (`--name VALUE` or `--name=VALUE`;
 * `--slurm-set` may repeat). Returns them and the remaining arguments; a
 * {@link UsageError} for a missing or bad value.
 */
export function takeShardFlags(argv: readonly string[]): { flags: ShardFlags; rest: string[] } {
  const values = new Map<string, string>();
  const set: string[] = [];
  const bools = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    const name = m?.[1];
    if (name !== undefined && VALUED.includes(name)) {
      let v = m?.[2];
      if (v === undefined) {
        v = argv[++i];
        if (v === undefined) throw new UsageError(`option '--${name}' needs a value`);
      }
      if (name === "slurm-set") set.push(v);
      else values.set(name, v);
    } else if (name !== undefined && BOOLEAN.includes(name) && m?.[2] === undefined) bools.add(name);
    else rest.push(a);
  }
  const int = (name: string, min: number): number | undefined => {
    const raw = values.get(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  try {
    checkSlurmSet(set);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const shardIndex = int("shard-index", 0);
  const flags: ShardFlags = {
    shards: int("shards", 1) ?? 1,
    merge: bools.has("merge-shards"),
    slurm: bools.has("slurm"),
    wait: bools.has("slurm-wait"),
    slurmOptions: {
      ...(values.has("slurm-partition") ? { partition: values.get("slurm-partition") } : {}),
      ...(values.has("slurm-time") ? { time: values.get("slurm-time") } : {}),
      ...(values.has("slurm-mem") ? { mem: values.get("slurm-mem") } : {}),
      set,
    },
    ...(shardIndex !== undefined ? { shardIndex } : {}),
    ...(values.has("shard-dir") ? { shardDir: values.get("shard-dir") } : {}),
  };
  if (flags.slurm && (flags.shardIndex !== undefined || flags.merge))
    throw new UsageError(
      "--slurm submits the shards and the merge; --shard-index and --merge-shards are what they run",
    );
  if (flags.shardIndex !== undefined && flags.merge)
    throw new UsageError("--shard-index and --merge-shards are exclusive");
  return { flags, rest };
}
