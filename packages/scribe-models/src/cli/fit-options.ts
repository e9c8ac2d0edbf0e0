/**
 * Reading the options of `scribe fit` (the table in fit-option-specs.ts): flags to settings,
 * value checks with messages naming the origin, defaults, and the grouped `--help` text.
 * The `--initialize` template and config files are in config-file.ts.
 *
 * Node-only.
 * @module
 */
import type { ParseArgsConfig } from "node:util";
import { FIT_OPTION_SPECS, type OptionGroup, type OptionSpec } from "./fit-option-specs.js";
import { UsageError } from "./util.js";

export {
  FIT_OPTION_SPECS,
  type OptionGroup,
  type OptionKind,
  type OptionSpec,
} from "./fit-option-specs.js";

const BY_KEY = new Map(FIT_OPTION_SPECS.map((s) => [s.key, s]));
const BY_FLAG = new Map(FIT_OPTION_SPECS.filter((s) => s.flag).map((s) => [s.flag!, s]));

/** Option values by config key (only the ones given). */
export type Settings = Record<string, unknown>;

/** The option spec of a config key, or undefined. */
export function optionSpec(key: string): OptionSpec | undefined {
  return BY_KEY.get(key);
}

/** `parseArgs` options of every flag, plus the command's own (`--config`, `--initialize`, `--help`). */
export function parseArgsOptions(): NonNullable<ParseArgsConfig["options"]> {
  const o: NonNullable<ParseArgsConfig["options"]> = {
    config: { type: "string" },
    initialize: { type: "string" },
    help: { type: "boolean", short: "h" },
  };
  for (const s of FIT_OPTION_SPECS) {
    if (!s.flag) continue;
    o[s.flag] = {
      type: s.kind === "bool" ? "boolean" : "string",
      ...(s.kind === "strings" ? { multiple: true } : {}),
      ...(s.short ? { short: s.short } : {}),
    };
  }
  return o;
}

/**
 * Check and convert one value for `spec`; `where` names its origin in errors (`--n-steps`,
 * `config.yaml: inference.n_steps`, `override inference.n_steps=…`). Null means unset.
 */
export function coerceValue(spec: OptionSpec, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  const bad = (what: string): never => {
    throw new UsageError(`${where} must be ${what}, got ${JSON.stringify(value)}`);
  };
  const num = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  switch (spec.kind) {
    case "int":
    case "int0": {
      const min = spec.kind === "int" ? 1 : 0;
      if (typeof num !== "number" || !Number.isInteger(num) || num < min)
        bad(min === 1 ? "a positive integer" : "a positive integer or 0");
      return num;
    }
    case "num":
      if (typeof num !== "number" || !Number.isFinite(num) || num <= 0) bad("a positive number");
      return num;
    case "bool":
      if (value === "true" || value === true) return true;
      if (value === "false" || value === false) return false;
      return bad("true or false");
    case "string": {
      const s = typeof value === "number" ? String(value) : value;
      if (typeof s !== "string" || s === "") bad("a non-empty string");
      if (spec.choices && !spec.choices.includes(s as string))
        throw new UsageError(
          `invalid value ${JSON.stringify(s)} for ${where}; expected one of ${spec.choices.join(", ")}`,
        );
      return s;
    }
    case "strings": {
      const list = Array.isArray(value) ? value : [value];
      if (!list.every((v) => typeof v === "string" && v !== "")) bad("a string or a list of strings");
      return list;
    }
    default:
      return value;
  }
}

/** The settings given as flags (only the flags present), keyed by config key. */
export function settingsFromFlags(values: Record<string, unknown>): Settings {
  const out: Settings = {};
  for (const [flag, v] of Object.entries(values)) {
    const spec = BY_FLAG.get(flag);
    if (!spec || v === undefined) continue;
    const c = coerceValue(spec, v, `--${flag}`);
    if (c !== undefined) out[spec.key] = c;
  }
  return out;
}

/** A setting's value, else its default. */
export function setting<T>(s: Settings, key: string): T {
  if (key in s) return s[key] as T;
  const spec = BY_KEY.get(key);
  if (!spec) throw new Error(`internal: unknown option key ${key}`);
  return spec.dflt as T;
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(" ");
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

/** The flag lines of one help group. */
function groupHelp(group: OptionGroup): string {
  const pad = 28;
  return FIT_OPTION_SPECS.filter((s) => s.group === group && s.flag)
    .map((s) => {
      const name = `${s.short ? `-${s.short}, ` : ""}--${s.flag}${s.arg ? ` ${s.arg}` : ""}`;
      const dflt =
        s.dflt === null || s.dflt === false || (Array.isArray(s.dflt) && s.dflt.length === 0)
          ? ""
          : ` (default ${String(s.dflt)})`;
      const text = wrap(`${s.help}${dflt}`, 92 - pad, " ".repeat(pad));
      return name.length < pad - 2
        ? `  ${name.padEnd(pad - 2)}${text}`
        : `  ${name}\n${" ".repeat(pad)}${text}`;
    })
    .join("\n");
}

/** The text of `scribe fit --help`, grouped. */
export function fitHelpText(): string {
  const groups: OptionGroup[] = ["Data", "Model", "Guide", "Inference", "Output", "Run control"];
  return `Usage: scribe fit DATA [options] [key=value ...]

Fit a SCRIBE model to a cells × genes count matrix.

Arguments:
  DATA                      an .h5ad file, or a 10x folder (matrix.mtx, features.tsv or
                            genes.tsv, barcodes.tsv; obs columns from obs.tsv)
  key=value                 set any config key (section.key, e.g. guide.rank=4
                            model.n_components=2 inference.early_stopping.patience=200
                            fit.priors.organism=human); values are YAML scalars

Config:
  --config FILE             YAML or JSON: sections data, model, guide, inference, output, run
                            (keys as written by --initialize) and fit (any fit() option,
                            camelCase, passed as is); top-level camelCase fit() options of
                            older JSON configs are read as fit options too
  --initialize [FILE]       write a commented YAML template of every option with its default
                            (default FILE scribe_fit.yaml) and exit
  Precedence: defaults < --config < key=value < flags.

${groups.map((g) => `${g}:\n${groupHelp(g)}`).join("\n\n")}
  -h, --help                show this help

Ctrl-C (and SIGTERM, SIGHUP) writes a checkpoint and exits with status 130 (143, 129); run
again with --resume to continue (the result equals an uninterrupted run; --n-steps may be
raised). --resume refuses data other than the run's (OUT/run.json holds a hash of the counts
and names). A folder in use by another run is refused (OUT/.scribe.lock). Outputs are
written, verified and only then put in place: a failure leaves earlier files intact. Exit status: 0 ok, 1 runtime error, 2 usage error.
`;
}
