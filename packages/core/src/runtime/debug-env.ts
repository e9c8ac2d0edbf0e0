/**
 * The value of a debugging environment variable (`SCRIBE_DEBUG_*`), or undefined where it is
 * unset or the environment cannot be read: a browser has no `process`, and Deno without
 * `--allow-env` throws on the read, which must not stop the library there.
 * @example
 * debugEnv("SCRIBE_DEBUG_SVI_COMPILE"); // undefined unless set
 */
export function debugEnv(name: string): string | undefined {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    return env?.[name] || undefined;
  } catch {
    return undefined;
  }
}
