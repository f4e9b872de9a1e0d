/**
 * End to end: network discipline (timeouts, size caps, redirects, proxies,
 * a private CA, clock skew) and secrets hygiene (a redacted --debug trace,
 * no secret in any process's argv or environment).
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { AUTH_URL, cliEnv, runCli, spawnCli } from "../support/cli.ts";
import { startHostileProvider } from "../support/hostile_provider.ts";
import { startRawServer } from "../support/raw_http.ts";
import { sampleProcesses } from "../support/proc.ts";
import { makeTestCertificates } from "../support/tls.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Logs in with the loopback flow, the test acting as the browser. */
async function login(env: Record<string, string>, args: string[] = []) {
  const cli = await spawnCli(["login", "--flow", "loopback", ...args], env);
  const [, url] = await cli.waitFor(AUTH_URL);
  await fetch(url).then((r) => r.body?.cancel(), () => {});
  return await cli.finish();
}

/** Runs `fn` with the fixture's private directory (no provider started). */
async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  await using e2e = await startE2e({ provider: false });
  return await fn(e2e.dir);
}

Deno.test({
  name: "network: --http-timeout bounds a provider that never answers",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      const hung = startRawServer(() => ({ kind: "hang" }));
      try {
        const started = Date.now();
        const r = await runCli(
          ["login", "--flow", "device", "--http-timeout", "1s"],
          cliEnv(dir, { AUTHCTL_ISSUER: hung.url, AUTHCTL_CLIENT_ID: "c" }),
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /did not answer/);
        assert(Date.now() - started < 8000);
      } finally {
        hung.close();
      }
    }),
});

Deno.test({
  name: "network: an oversized answer is not read",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      const big = startRawServer(() => ({
        kind: "respond",
        status: 200,
        body: `{"x":"${"a".repeat(2 * 1024 * 1024)}"}`,
      }));
      try {
        const r = await runCli(["status"], cliEnv(dir, {})); // sanity: runs offline
        assertEquals(r.code, 4);
        const l = await runCli(
          ["login", "--flow", "device"],
          cliEnv(dir, { AUTHCTL_ISSUER: big.url, AUTHCTL_CLIENT_ID: "c" }),
        );
        assertEquals(l.code, 3, l.stderr);
        assertMatch(l.stderr, /larger than 1048576 bytes/);
      } finally {
        big.close();
      }
    }),
});

Deno.test({
  name:
    "network: redirects from discovery and the device endpoint are not followed",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      const h = await startHostileProvider();
      try {
        h.hostile.device = () =>
          new Response(null, {
            status: 302,
            headers: { location: `${h.issuer}/elsewhere` },
          });
        const env = cliEnv(dir, {
          AUTHCTL_ISSUER: h.issuer,
          AUTHCTL_CLIENT_ID: h.clientId,
          AUTHCTL_STORAGE: "file",
        });
        const r = await runCli(["login", "--flow", "device"], env);
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /redirect \(HTTP 302/);
        assertEquals(h.hits.get("/elsewhere"), undefined);
      } finally {
        await h.close();
      }
    }),
});

Deno.test({
  name: "network: HTTPS_PROXY is used; loopback never goes through a proxy",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      const seen: string[] = [];
      const proxy = startRawServer((req) => {
        seen.push(`${req.method} ${req.path}`);
        return { kind: "respond", status: 502, body: "no" };
      });
      const h = await startHostileProvider();
      try {
        const viaProxy = await runCli(
          ["login", "--flow", "device", "--http-timeout", "5s"],
          cliEnv(dir, {
            AUTHCTL_ISSUER: "https://login.proxied.test",
            AUTHCTL_CLIENT_ID: "c",
            HTTPS_PROXY: proxy.url,
          }),
        );
        assertEquals(viaProxy.code, 3, viaProxy.stderr);
        assert(
          seen.some((line) =>
            line.startsWith("CONNECT login.proxied.test:443")
          ),
          String(seen),
        );
        // A local provider with every proxy variable pointing at the proxy.
        seen.length = 0;
        const local = await login(cliEnv(dir, {
          AUTHCTL_ISSUER: h.issuer,
          AUTHCTL_CLIENT_ID: h.clientId,
          AUTHCTL_STORAGE: "file",
          HTTP_PROXY: proxy.url,
          HTTPS_PROXY: proxy.url,
          ALL_PROXY: proxy.url,
        }));
        assertEquals(local.code, 0, local.stderr);
        assertEquals(seen, []);
      } finally {
        proxy.close();
        await h.close();
      }
    }),
});

Deno.test({
  name: "network: a private CA is trusted only when given with --ca-file",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      const certificates = await makeTestCertificates(dir);
      const h = await startHostileProvider({
        tls: { cert: certificates.cert, key: certificates.key },
      });
      try {
        const env = cliEnv(`${dir}/cfg`, {
          AUTHCTL_ISSUER: h.issuer,
          AUTHCTL_CLIENT_ID: h.clientId,
          AUTHCTL_STORAGE: "file",
        });
        const untrusted = await runCli(["login", "--flow", "device"], env);
        assertEquals(untrusted.code, 3, untrusted.stderr);
        assertMatch(untrusted.stderr, /certificate|UnknownIssuer|tls/i);
        assertMatch(untrusted.stderr, /--ca-file/);
        const trusted = await runCli(["login", "--flow", "device"], {
          ...env,
          AUTHCTL_CA_FILE: `${dir}/ca.pem`,
        });
        assertEquals(trusted.code, 0, trusted.stderr);
      } finally {
        await h.close();
      }
    }),
});

Deno.test({
  name:
    "network: a clock off by hours is corrected from the provider's Date header and said; beyond a day it is named as the cause",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      // Within a day: the provider's time is used for the checks, and said.
      const h = await startHostileProvider({ skewSeconds: 2 * 3600 });
      try {
        const r = await login(
          cliEnv(dir, {
            AUTHCTL_ISSUER: h.issuer,
            AUTHCTL_CLIENT_ID: h.clientId,
            AUTHCTL_STORAGE: "file",
          }),
        );
        assertEquals(r.code, 0, r.stderr);
        assertMatch(
          r.stderr,
          /clock is 7(199|200) s behind the provider's; its tokens were checked against the provider's time/,
        );
      } finally {
        await h.close();
      }
      // Beyond a day the Date header is not believed: the skew is the error.
      const far = await startHostileProvider({ skewSeconds: 48 * 3600 });
      try {
        const r = await login(
          cliEnv(dir, {
            AUTHCTL_ISSUER: far.issuer,
            AUTHCTL_CLIENT_ID: far.clientId,
            AUTHCTL_STORAGE: "file",
          }),
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /clock is 172(799|800) s behind the provider's/);
      } finally {
        await far.close();
      }
    }),
});

Deno.test({
  name:
    "secrets: none in any argv or environment during login and refresh; --debug redacts",
  ...opts,
  fn: () =>
    withDir(async (dir) => {
      const h = await startHostileProvider();
      const secrets: string[] = [];
      const defaultToken = h.hostile.token;
      h.hostile.token = async (ctx, correct) => {
        for (
          const name of [
            "code",
            "code_verifier",
            "refresh_token",
            "device_code",
          ]
        ) {
          const v = ctx.form.get(name);
          if (v) secrets.push(v);
        }
        const response = await defaultToken(ctx, correct);
        const body = await response.clone().json();
        secrets.push(body.access_token, body.refresh_token, body.id_token);
        return response;
      };
      // A "browser" that lingers, so it is sampled while the login runs.
      const browser = `${dir}/browser.sh`;
      await Deno.writeTextFile(browser, "#!/bin/sh\nsleep 2\n", {
        mode: 0o755,
      });
      // An installed-app secret, given the way the README says.
      const clientSecret = "installed-app-secret-3c1d9a";
      const env = cliEnv(`${dir}/cfg`, {
        AUTHCTL_ISSUER: h.issuer,
        AUTHCTL_CLIENT_ID: h.clientId,
        AUTHCTL_STORAGE: "file",
        AUTHCTL_CLIENT_SECRET: clientSecret,
        AUTHCTL_CLIENT_AUTH: "client_secret_post",
        BROWSER: browser,
      });
      let samples = "";
      let others = "";
      const watch = (pid: number) => {
        const timer = setInterval(() => {
          samples += sampleProcesses(pid);
          others += sampleProcesses(pid, false);
        }, 15);
        return () => clearInterval(timer);
      };
      try {
        const cli = await spawnCli(
          ["login", "--flow", "loopback", "--debug"],
          env,
        );
        const stop = watch(cli.child.pid);
        const [, url] = await cli.waitFor(AUTH_URL);
        await new Promise((r) => setTimeout(r, 300)); // let the browser process appear
        await fetch(url).then((r) => r.body?.cancel(), () => {});
        const r = await cli.finish();
        stop();
        assertEquals(r.code, 0, r.stderr);
        assertMatch(samples, /browser\.sh/); // the sampler did see the children
        assertMatch(r.stderr, /\[debug\] > POST .*\/token/);
        assertMatch(r.stderr, /\[redacted/);
        // A refresh, sampled too.
        const store = new FileStore({ configDir: `${dir}/cfg` });
        await store.set("default", {
          ...(await store.get("default"))!,
          expiresAt: Date.now() - 1000,
        });
        const refresh = await spawnCli(["token", "--debug"], env);
        const stop2 = watch(refresh.child.pid);
        const t = await refresh.finish();
        stop2();
        assertEquals(t.code, 0, t.stderr);
        assert(secrets.length >= 7, `captured ${secrets.length} secrets`);
        for (const secret of secrets.filter(Boolean)) {
          assertEquals(
            samples.includes(secret),
            false,
            "a secret in a process's argv or environment",
          );
          assertEquals(
            r.stderr.includes(secret),
            false,
            "a secret in the --debug trace of login",
          );
          assertEquals(
            t.stderr.includes(secret),
            false,
            "a secret in the --debug trace of refresh",
          );
        }
        // The client secret: in the environment the user gave authctl, and
        // nowhere else: no argv, no child's environment, no trace.
        assertMatch(others, /browser\.sh/);
        assertEquals(
          others.includes(clientSecret),
          false,
          "secret in argv or a child",
        );
        assertEquals(r.stderr.includes(clientSecret), false);
        assertEquals(t.stderr.includes(clientSecret), false);
        assertMatch(r.stderr, /client_secret=\[redacted\]/);
        // token's job is to print the access token: on stdout, and only there.
        assertEquals(t.stdout.trim(), secrets.at(-3));
      } finally {
        await h.close();
      }
    }),
});
