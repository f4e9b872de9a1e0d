/**
 * A fault proxy for a provider that runs here (oidc-provider): it passes
 * every request through, and per path can answer late, or pass the request
 * through and withhold the answer (the provider acted on it; the client
 * never hears), or stand for a gateway that is down. Loopback only.
 */

/** What the proxy does to one path's requests. */
export type Fault =
  | { kind: "delay"; ms: number }
  | { kind: "withhold" }
  | { kind: "down"; status: number };

/** A running fault proxy. */
export interface FaultProxy {
  /** Its address: the issuer the provider is configured with. */
  url: string;
  /** Where requests go (set once the provider listens). */
  target: string;
  /** Faults by request path; an absent path passes through. */
  faults: Map<string, Fault>;
  /** Request paths seen, in order ("POST /token"). */
  log: string[];
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1; set `target` before the first request. */
export function startFaultProxy(): FaultProxy {
  const held = new Set<() => void>();
  const proxy: FaultProxy = {
    url: "",
    target: "",
    faults: new Map(),
    log: [],
    async close() {
      for (const release of held) release();
      await server.shutdown();
    },
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      proxy.log.push(`${req.method} ${url.pathname}`);
      const fault = proxy.faults.get(url.pathname);
      if (fault?.kind === "down") {
        // A gateway that is down: an HTML page, nothing passed through.
        await req.body?.cancel();
        return new Response("<html><body>Service Unavailable</body></html>", {
          status: fault.status,
          headers: { "content-type": "text/html" },
        });
      }
      const headers = new Headers(req.headers);
      // fetch sends the target's Host; the provider (trusting its proxy)
      // names its endpoints after these instead.
      headers.set("x-forwarded-host", url.host);
      headers.set("x-forwarded-proto", url.protocol.replace(":", ""));
      const upstream = await fetch(
        `${proxy.target}${url.pathname}${url.search}`,
        {
          method: req.method,
          headers,
          body: req.body,
          redirect: "manual",
        },
      );
      const body = new Uint8Array(await upstream.arrayBuffer());
      if (fault?.kind === "delay") {
        await new Promise((r) => setTimeout(r, fault.ms));
      }
      if (fault?.kind === "withhold") {
        // The provider has acted on it; the answer never leaves here.
        await new Promise<void>((resolve) => held.add(resolve));
        return new Response(null, { status: 502 });
      }
      return new Response(body, {
        status: upstream.status,
        statusText: upstream.statusText,
        headers: upstream.headers,
      });
    },
  );
  proxy.url = `http://127.0.0.1:${server.addr.port}`;
  return proxy;
}
