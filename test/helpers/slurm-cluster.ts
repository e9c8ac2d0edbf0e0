/**
 * A real single-node SLURM cluster for tests (issue 20 item 4): Debian's `slurm-wlm` and
 * `munge`. Writes a minimal slurm.conf for localhost into a temporary folder (state, spool,
 * logs and the munge socket there too), starts `munged`, `slurmctld` and `slurmd` on the
 * loopback interface with free ports, waits until `sinfo` shows the node idle, and stops
 * everything again (also when starting fails half-way).
 *
 * Clients find the cluster through `SLURM_CONF` ({@link SlurmCluster.env}); jobs inherit the
 * submitter's environment (sbatch's default `--export=ALL`).
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

/** The programs the cluster needs. */
export const SLURM_PROGRAMS = [
  "munged",
  "munge",
  "slurmctld",
  "slurmd",
  "sbatch",
  "squeue",
  "sinfo",
  "scontrol",
  "scancel",
];

/** A started cluster. */
export interface SlurmCluster {
  /** Its temporary folder (config, state, logs). */
  dir: string;
  /** Environment for clients: `SLURM_CONF`. */
  env: { SLURM_CONF: string };
  /** Stop the daemons and remove the folder (keep it with `keep`). */
  stop(keep?: boolean): Promise<void>;
}

/** Run a program; resolves with stdout, rejects with an error naming the call and its stderr. */
function call(
  program: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  timeout = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { env: { ...process.env, ...env }, timeout }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`${program} ${args.join(" ")} failed: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** Programs of {@link SLURM_PROGRAMS} not on PATH (empty when SLURM and munge are installed). */
export async function missingSlurmPrograms(): Promise<string[]> {
  const missing: string[] = [];
  for (const p of SLURM_PROGRAMS) {
    try {
      await call("sh", ["-c", `command -v ${p}`]);
    } catch {
      missing.push(p);
    }
  }
  return missing;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function slurmConf(dir: string, ctldPort: number, slurmdPort: number, cpus: number, memMb: number): string {
  return `# minimal single-node cluster written by test/helpers/slurm-cluster.ts
ClusterName=scribe${randomBytes(3).toString("hex")}
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${ctldPort}
SlurmdPort=${slurmdPort}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.sock
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
InactiveLimit=0
KillWait=5
MinJobAge=300
NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memMb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`;
}

function pidOf(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

async function stopDaemons(dir: string, env: { SLURM_CONF: string }): Promise<void> {
  await call("scontrol", ["shutdown"], env, 10_000).catch(() => undefined);
  await call("munged", ["-s", `--socket=${dir}/munge/munge.sock`], undefined, 10_000).catch(() => undefined);
  // whatever did not stop by itself: only the daemons this helper started (their pid files)
  for (const f of ["slurmctld.pid", "slurmd.pid", "munge/munged.pid"]) {
    const pid = pidOf(join(dir, f));
    if (pid === null) continue;
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      if (i === 20) process.kill(pid, "SIGKILL");
      else if (i === 0) process.kill(pid, "SIGTERM");
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Start a single-node cluster. Throws, naming the call that failed and the end of its log,
 * when a daemon does not start or the node does not become idle within `timeoutMs`.
 */
export async function startSlurmCluster(timeoutMs = 45_000): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), "scribe-slurm-"));
  chmodSync(dir, 0o755);
  for (const d of ["munge", "state", "spool", "log"]) mkdirSync(join(dir, d));
  chmodSync(join(dir, "munge"), 0o755); // munged wants the socket folder traversable
  writeFileSync(join(dir, "munge", "munge.key"), randomBytes(1024), { mode: 0o600 });
  const conf = join(dir, "slurm.conf");
  const env = { SLURM_CONF: conf };
  const cpus = availableParallelism();
  const memMb = Math.floor((totalmem() / 2 ** 20) * 0.8);
  writeFileSync(conf, slurmConf(dir, await freePort(), await freePort(), cpus, memMb));
  const logTail = (name: string) => {
    const p = join(dir, "log", name);
    return existsSync(p) ? readFileSync(p, "utf8").trimEnd().split("\n").slice(-4).join(" | ") : "(no log)";
  };
  try {
    await call("munged", [
      `--socket=${dir}/munge/munge.sock`,
      `--key-file=${dir}/munge/munge.key`,
      `--log-file=${dir}/log/munged.log`,
      `--pid-file=${dir}/munge/munged.pid`,
      `--seed-file=${dir}/munge/munged.seed`,
    ]).catch((e: Error) => {
      throw new Error(`${e.message}; munged log: ${logTail("munged.log")}`);
    });
    await call("slurmctld", ["-f", conf, "-i"], env).catch((e: Error) => {
      throw new Error(`${e.message}; slurmctld log: ${logTail("slurmctld.log")}`);
    });
    await call("slurmd", ["-f", conf, "-N", "localhost"], env).catch((e: Error) => {
      throw new Error(`${e.message}; slurmd log: ${logTail("slurmd.log")}`);
    });
    const t0 = Date.now();
    let state = "";
    while (Date.now() - t0 < timeoutMs) {
      state = (await call("sinfo", ["-h", "-n", "localhost", "-o", "%T"], env).catch(() => "")).trim();
      if (state === "idle") break;
      await new Promise((r) => setTimeout(r, 300));
    }
    if (state !== "idle")
      throw new Error(
        `sinfo shows node localhost ${JSON.stringify(state)}, not idle, after ${timeoutMs} ms; ` +
          `slurmctld log: ${logTail("slurmctld.log")}; slurmd log: ${logTail("slurmd.log")}`,
      );
  } catch (err) {
    await stopDaemons(dir, env);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    env,
    async stop(keep = false) {
      await stopDaemons(dir, env);
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
