/**
 * A package-lock.json for a fresh project that depends on the four packed tarballs, so that
 * `npm ci --offline` installs it from the npm cache alone: third-party entries (version and
 * integrity) are copied from the workspace's own lockfile, which already put those tarballs
 * in the cache. A plain `npm install --offline ./*.tgz` would need the registry's package
 * documents (the version lists), which `npm ci` in the workspace never caches.
 */
import { readFileSync } from "node:fs";

/** One entry of a lockfile v3 `packages` map (the fields we read or write). */
interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [field: string]: unknown;
}

/** A workspace package and the tarball `npm pack` made of it. */
export interface PackedPackage {
  /** Its name, e.g. `@scribe/core`. */
  name: string;
  /** Its folder in the workspace, e.g. `packages/core`. */
  folder: string;
  /** The tarball's file name, next to the project folder (`../<tarball>`). */
  tarball: string;
}

/** The lock path a dependency `name` resolves to from `from`, by Node's upward lookup. */
function resolveLockPath(
  packages: Record<string, LockEntry>,
  from: string,
  name: string,
): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut < 0 ? "" : base.slice(0, cut);
  }
}

/**
 * The package.json and package-lock.json of a project depending on `packed` by `file:`
 * tarballs, from the workspace lockfile at `workspaceLockPath`.
 * @throws when a dependency of a packed package is absent from the workspace lockfile.
 */
export function offlineProject(
  workspaceLockPath: string,
  packed: readonly PackedPackage[],
): { packageJson: object; packageLock: object } {
  const lock = JSON.parse(readFileSync(workspaceLockPath, "utf8")) as { packages: Record<string, LockEntry> };
  const all = lock.packages;
  const ours = new Map(packed.map((p) => [p.name, p]));
  const entries: Record<string, LockEntry> = {};
  const queue: Array<[string, Record<string, string>]> = [];
  for (const p of packed) {
    const meta = all[p.folder];
    if (meta === undefined)
      throw new Error(`${workspaceLockPath}: no entry for workspace folder ${p.folder}`);
    const at = `node_modules/${p.name}`;
    entries[at] = {
      version: meta.version,
      resolved: `file:../${p.tarball}`,
      license: meta.license,
      dependencies: meta.dependencies,
      optionalDependencies: meta.optionalDependencies,
    };
    queue.push([at, { ...meta.dependencies, ...meta.optionalDependencies }]);
  }
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const [from, deps] = item;
    for (const dep of Object.keys(deps)) {
      if (ours.has(dep)) continue;
      const at = resolveLockPath(all, from, dep);
      if (at === undefined) throw new Error(`${workspaceLockPath}: ${dep} (needed by ${from}) is not locked`);
      if (entries[at] !== undefined) continue;
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = all[at] as LockEntry;
      entries[at] = entry;
      queue.push([at, { ...entry.dependencies, ...entry.optionalDependencies }]);
    }
  }
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:../${p.tarball}`]));
  const root = { name: "scribe-pack-check", version: "1.0.0", private: true, type: "module", dependencies };
  return {
    packageJson: root,
    packageLock: {
      name: root.name,
      version: root.version,
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: root.name, version: root.version, dependencies }, ...entries },
    },
  };
}
