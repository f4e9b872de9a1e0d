/**
 * The process environment and operating system, behind a seam so tests can
 * inject their own; and the one rule for where a token, a secret or a
 * trusted document may come from or go to ({@linkcode requireSecureUrl}).
 *
 * @module
 */

/** Read-only view of environment variables. */
export interface Env {
  /** The value of `name`, or undefined when unset. */
  get(name: string): string | undefined;
}

/** The operating systems authctl knows how to behave on. */
export type OsName = typeof Deno.build.os;

/** Facts about the machine the CLI runs on. */
export interface SystemInfo {
  /** Operating system. */
  os: OsName;
  /** Environment variables. */
  env: Env;
}

/** The real environment of this process. */
export const denoEnv: Env = { get: (name) => Deno.env.get(name) };

/** An environment backed by a plain record, for tests and embedding. */
export function envFrom(vars: Record<string, string | undefined>): Env {
  return { get: (name) => vars[name] };
}

/** Whether `host` names a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The environment for a program authctl starts (a browser, `exec`'s
 * program): this process's, less `withheld` (the variables that hold a
 * client secret), plus `extra`.
 */
export function childEnvironment(
  withheld: readonly string[],
  extra: Record<string, string> = {},
): { env: Record<string, string>; clearEnv: true } {
  const env = Deno.env.toObject();
  for (const name of withheld) delete env[name];
  return { env: { ...env, ...extra }, clearEnv: true };
}

/** Whether `url` is https, or http to a loopback address. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === "https:" ||
    (url.protocol === "http:" && isLoopbackHost(url.hostname));
}

/**
 * Returns `url` when it {@linkcode isSecureUrl}; else throws what `refuse`
 * builds (each caller says it in its own words: what was refused, and the
 * fix).
 */
export function requireSecureUrl(url: URL, refuse: (url: URL) => Error): URL {
  if (!isSecureUrl(url)) throw refuse(url);
  return url;
}
