/**
 * Proxies: Deno's fetch honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY from
 * the environment, but would send loopback traffic (a local provider, the
 * loopback flow's own checks) through a proxy too.
 *
 * @module
 */

/** Makes sure no proxy from the environment ever sees loopback traffic. */
export function keepLoopbackOffProxies(
  env: {
    get(name: string): string | undefined;
    set(name: string, value: string): void;
  },
): void {
  const loopback = ["127.0.0.1", "localhost", "::1", "[::1]"];
  for (const name of ["NO_PROXY", "no_proxy"]) {
    const current = (env.get(name) ?? "").split(",").map((s) => s.trim())
      .filter(Boolean);
    const missing = loopback.filter((h) => !current.includes(h));
    if (missing.length || env.get(name) === undefined) {
      env.set(name, [...current, ...missing].join(","));
    }
  }
}
