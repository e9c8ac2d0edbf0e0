/**
 * `scribe fit --config FILE` (YAML or JSON), Hydra-style `key=value` overrides and the
 * `--initialize` template. A config has the sections of {@link FIT_OPTION_SPECS}
 * (`data`, `model`, `guide`, `inference`, `output`, `run`; nested keys such as
 * `inference.early_stopping.patience`) and a `fit` section of camelCase `fit()` options
 * passed through as they are. Top-level camelCase keys (the JSON configs of earlier
 * versions) are `fit()` options too.
 *
 * Node-only.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { coerceValue, FIT_OPTION_SPECS, type OptionGroup, optionSpec, type Settings } from "./fit-options.js";
import { CliError, type CliIO, EXIT_OK, UsageError, writeFileAtomic } from "./util.js";

/** What a config file or override sets: option values by key, and raw `fit()` options. */
export interface ConfigValues {
  /** Option values by config key (`inference.n_steps`). */
  settings: Settings;
  /** `fit()` options passed as they are (the `fit` section). */
  fitExtra: Record<string, unknown>;
}

const SECTIONS: Record<string, OptionGroup> = {
  data: "Data",
  model: "Model",
  guide: "Guide",
  inference: "Inference",
  output: "Output",
  run: "Run control",
};

/** Older JSON configs' top-level keys that are options of the command, not only of fit(). */
const LEGACY_KEYS: Record<string, string> = {
  model: "model.type",
  parameterization: "model.parameterization",
  backend: "run.backend",
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Set `value` at a dotted `path` of a nested object (creating the objects on the way). */
function setPath(obj: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = obj;
  for (const p of path.slice(0, -1)) {
    if (!isPlainObject(o[p])) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[path[path.length - 1]!] = value;
}

/** Store `value` under config `key` (checked), or raise naming `where`. */
function setKey(into: ConfigValues, key: string, value: unknown, where: string): void {
  const parts = key.split(".");
  if (parts[0] === "fit" && parts.length > 1) {
    setPath(into.fitExtra, parts.slice(1), value);
    return;
  }
  const spec = optionSpec(key);
  if (!spec) {
    // a nested block (inference.early_stopping: {...}) is read key by key
    if (isPlainObject(value) && FIT_OPTION_SPECS.some((s) => s.key.startsWith(`${key}.`))) {
      for (const [k, v] of Object.entries(value)) setKey(into, `${key}.${k}`, v, `${where}.${k}`);
      return;
    }
    throw new UsageError(`${where}: unknown config key ${key} (scribe fit --initialize writes every key)`);
  }
  const c = coerceValue(spec, value, where);
  if (c === undefined) delete into.settings[key];
  else into.settings[key] = c;
}

/** Read the sections of a parsed config object into `into`. */
export function readConfigObject(obj: unknown, file: string, into?: ConfigValues): ConfigValues {
  const out = into ?? { settings: {}, fitExtra: {} };
  if (obj === null || obj === undefined) return out;
  if (!isPlainObject(obj)) throw new CliError(`--config ${file}: expected a mapping of sections`);
  for (const [k, v] of Object.entries(obj)) {
    if (k === "fit") {
      if (!isPlainObject(v)) throw new CliError(`--config ${file}: fit must be a mapping of fit() options`);
      Object.assign(out.fitExtra, v);
    } else if (k in SECTIONS && isPlainObject(v)) {
      for (const [kk, vv] of Object.entries(v)) setKey(out, `${k}.${kk}`, vv, `${file}: ${k}.${kk}`);
    } else if (k in LEGACY_KEYS) setKey(out, LEGACY_KEYS[k]!, v, `${file}: ${k}`);
    else if (k in SECTIONS)
      throw new CliError(`--config ${file}: section ${k} must be a mapping, got ${JSON.stringify(v)}`);
    else out.fitExtra[k] = v;
  }
  return out;
}

/** Read a YAML or JSON config file (JSON is YAML; a parse error names the file and line). */
export function readConfigFile(path: string): ConfigValues {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read --config ${path}: ${(err as Error).message}`);
  }
  let obj: unknown;
  try {
    obj = parseYaml(text);
  } catch (err) {
    throw new CliError(`--config ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  return readConfigObject(obj, path);
}

/** Whether a positional argument is a `key=value` override (a dotted key before the first "="). */
export function isOverride(arg: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+=/.test(arg);
}

/** Apply one `section.key=value` override (value parsed as a YAML scalar or flow collection). */
export function applyOverride(into: ConfigValues, arg: string): void {
  const eq = arg.indexOf("=");
  const key = arg.slice(0, eq);
  const raw = arg.slice(eq + 1);
  let value: unknown;
  try {
    value = raw === "" ? null : parseYaml(raw);
  } catch (err) {
    throw new UsageError(`override ${arg}: ${(err as Error).message.split("\n")[0]}`);
  }
  setKey(into, key, value, `override ${key}`);
}

/** The commented YAML template of every option with its default (`--initialize`). */
export function configTemplate(): string {
  const lines = [
    "# scribe fit configuration: every option with its default.",
    "# Use: scribe fit DATA --config FILE [section.key=value ...] [flags]",
    "# Precedence: defaults < this file < key=value overrides < flags. null = unset.",
    "# A `fit:` section passes camelCase fit() options as they are.",
  ];
  for (const [section, group] of Object.entries(SECTIONS)) {
    lines.push("", `${section}:`);
    let sub: string | undefined;
    for (const s of FIT_OPTION_SPECS.filter((x) => x.group === group)) {
      const parts = s.key.split(".").slice(1);
      const indent = parts.length > 1 ? "    " : "  ";
      if (parts.length > 1 && parts[0] !== sub) {
        sub = parts[0];
        lines.push(`  ${sub}:`);
      } else if (parts.length === 1) sub = undefined;
      lines.push(`${indent}# ${s.help}${s.flag ? ` (--${s.flag})` : ""}`);
      const value = stringifyYaml(s.dflt, { collectionStyle: "flow" }).trimEnd();
      lines.push(`${indent}${parts[parts.length - 1]}: ${value}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Where `--initialize` writes when no file follows it. */
export const DEFAULT_TEMPLATE_FILE = "scribe_fit.yaml";

/**
 * `--initialize` takes an optional FILE: give it the default when the next argument is
 * absent, another option, or a `key=value` override.
 */
export function initializeWithDefault(argv: readonly string[]): string[] {
  const out = [...argv];
  const i = out.indexOf("--initialize");
  if (i >= 0) {
    const next = out[i + 1];
    if (next === undefined || next.startsWith("-") || isOverride(next))
      out.splice(i, 1, `--initialize=${DEFAULT_TEMPLATE_FILE}`);
  }
  return out;
}

/** Write the template to `path` (refusing to replace an existing file) and report it. */
export function writeTemplate(path: string, io: CliIO): number {
  if (existsSync(path)) throw new CliError(`--initialize: ${path} exists; remove it or name another file`);
  writeFileAtomic(path, configTemplate());
  io.stdout(`${JSON.stringify({ config: path })}\n`);
  return EXIT_OK;
}
