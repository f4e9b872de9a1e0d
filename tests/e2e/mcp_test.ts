/**
 * End to end: logging in to a protected resource by its URL alone, as MCP
 * clients do, through the real CLI and Chromium. The authorization server
 * is oidc-provider with its `registration` and `resourceIndicators`
 * features; the resources are scripts/demo_resource.ts, which answers 401
 * with the RFC 9728 challenge and accepts only tokens whose audience
 * (introspected at the provider) is itself.
 */

import { approveLogin } from "../../scripts/headless_browser.ts";
import {
  type DemoResource,
  startDemoResource,
} from "../../scripts/demo_resource.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { browserLogin } from "../support/browser_login.ts";
import { AUTH_URL, cliEnv, runCli, spawnCli } from "../support/cli.ts";
import { type ProviderProcess, startProvider } from "../support/provider.ts";
import { makeTestCertificates } from "../support/tls.ts";
import { startE2e } from "../support/e2e.ts";

async function stats(issuer: string) {
  return await (await fetch(`${issuer}/__test/stats`)).json();
}

/** The same server, restarted: its registrations were in memory. */
async function restart(provider: ProviderProcess): Promise<ProviderProcess> {
  const port = new URL(provider.issuer).port;
  await provider.stop();
  return await startProvider(["--resources", "--port", port]);
}

async function registrations(configDir: string) {
  return JSON.parse(
    await Deno.readTextFile(`${configDir}/registrations.json`),
  ).servers;
}

Deno.test({
  name: "e2e: login --resource URL discovers, registers and binds tokens",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // Nothing configured but the storage: no issuer, no client ID.
    await using e2e = await startE2e({
      provider: false,
      browser: true,
      env: { AUTHCTL_STORAGE: "file" },
    });
    const { browser, configDir } = e2e;
    const env = { ...e2e.env };
    delete env.AUTHCTL_PROMPT;
    // Restarted in the middle: the fixture stops the one running then.
    let provider: ProviderProcess = await startProvider(["--resources"]);
    e2e.defer(() => provider.stop());
    const resource: DemoResource = await startDemoResource({
      issuer: provider.issuer,
    });
    e2e.defer(() => resource.close());
    const origin = resource.origin;
    const port = new URL(origin).port;
    const mcp = `${origin}/mcp`;
    const files = `${origin}/files`;
    const config = () => Deno.readTextFile(`${configDir}/config.toml`);
    await t.step(
      "login --resource: challenge, metadata, registration, login, profile",
      async () => {
        const r = await browserLogin(browser, ["--resource", mcp], env);
        // The anonymous request that found the challenge.
        assert(
          resource.seen.some((s) =>
            s.path === "/mcp" && s.status === 401 && !s.authorized
          ),
          JSON.stringify(resource.seen),
        );
        assertMatch(
          r.stderr,
          new RegExp(
            `names the authorization server ${provider.issuer} \\(metadata at ${origin}/\\.well-known/oauth-protected-resource/mcp\\)`,
          ),
        );
        assertMatch(r.stderr, /Registered with ".*" as client "[^"]+"/);
        // RFC 8707: the resource in the authorization request; the scope
        // from the challenge.
        assertMatch(
          r.stderr,
          new RegExp(`resource=${encodeURIComponent(mcp)}(\\s|&)`),
        );
        assertMatch(r.stderr, /scope=openid\+offline_access\+mcp%3Aread/);
        assertMatch(r.stderr, new RegExp(`as profile "127.0.0.1-${port}"`));
        assertEquals((await stats(provider.issuer)).registrations, 1);
        const saved = await config();
        assertMatch(saved, new RegExp(`\\[profiles."127.0.0.1-${port}"\\]`));
        assertMatch(saved, new RegExp(`resource = \\[ "${mcp}" \\]`));
        assertMatch(saved, /scopes = \[ "mcp:read" \]/);
        // Neither an issuer nor a client ID is written into the profile:
        // both are found again at the next login.
        assertNotMatch(saved, /issuer|client_id/);
        const kept = await registrations(configDir);
        assertEquals(Object.keys(kept), [provider.issuer]);
        const { mode } = await Deno.stat(`${configDir}/registrations.json`);
        assertEquals(mode! & 0o777, 0o600);
      },
    );

    await t.step("api URL: the resource accepts the token", async () => {
      const r = await runCli(["api", mcp], env);
      assertEquals(r.code, 0, r.stderr);
      const body = JSON.parse(r.stdout);
      assertEquals(body.resource, mcp);
      assertEquals(body.sub, "alice");
      const status = await runCli(
        ["status", "--json", "--profile", `127.0.0.1-${port}`],
        env,
      );
      assertEquals(JSON.parse(status.stdout).resources, [mcp]);
    });

    await t.step(
      "a refresh asks for the same resource: the new token is accepted",
      async () => {
        const old = (await runCli(["token", "--resource", mcp], env)).stdout;
        const r = await runCli(
          ["token", "--force-refresh", "--resource", mcp],
          env,
        );
        assertEquals(r.code, 0, r.stderr);
        assert(r.stdout !== old, "no new token");
        assertEquals((await stats(provider.issuer)).refreshSuccess, 1);
        const api = await runCli(["api", mcp], env);
        assertEquals(api.code, 0, api.stderr);
      },
    );

    await t.step(
      "a second resource: its own profile and token, the same registration",
      async () => {
        const r = await browserLogin(browser, ["--resource", files], env);
        assertNotMatch(r.stderr, /Registered with/);
        assertMatch(r.stderr, /scope=openid\+offline_access\+files%3Aread/);
        assertMatch(
          r.stderr,
          new RegExp(`as profile "127.0.0.1-${port}-files"`),
        );
        assertEquals((await stats(provider.issuer)).registrations, 1);
        const api = await runCli(["api", files], env);
        assertEquals(api.code, 0, api.stderr);
        assertEquals(JSON.parse(api.stdout).resource, files);
        const a = await runCli(["token", "--resource", mcp], env);
        const b = await runCli(["token", "--resource", files], env);
        assertEquals(a.code, 0, a.stderr);
        assertEquals(b.code, 0, b.stderr);
        assert(a.stdout.trim() !== b.stdout.trim(), "one token for both");
        const list = await runCli(["profiles", "list"], env);
        assertMatch(
          list.stdout,
          new RegExp(`127\\.0\\.0\\.1-${port} +resource ${mcp} +logged in`),
        );
        assertMatch(
          list.stdout,
          new RegExp(`127\\.0\\.0\\.1-${port}-files +resource ${files}`),
        );
      },
    );

    await t.step("resource A's token is refused by resource B", async () => {
      const a = (await runCli(["token", "--resource", mcp], env)).stdout
        .trim();
      // By the resource itself (its audience check)…
      const direct = await fetch(files, {
        headers: { authorization: `Bearer ${a}` },
      });
      assertEquals(direct.status, 401);
      assertMatch(
        direct.headers.get("www-authenticate") ?? "",
        /invalid_token/,
      );
      await direct.body?.cancel();
      // …and authctl never sends it there.
      const before = resource.seen.length;
      const r = await runCli(
        ["api", "--profile", `127.0.0.1-${port}`, files],
        env,
      );
      assertEquals(r.code, 2, r.stderr);
      assertMatch(r.stderr, /was obtained for ".*\/mcp", so it is not sent/);
      assertEquals(resource.seen.length, before);
      // A token asked for by another resource than its own: exit 4.
      const wrong = await runCli(
        ["token", "--profile", `127.0.0.1-${port}`, "--resource", files],
        env,
      );
      assertEquals(wrong.code, 4, wrong.stderr);
      assertMatch(wrong.stderr, /obtained for the resource ".*\/mcp"/);
      const none = await runCli(
        ["token", "--resource", `${origin}/quiet`],
        env,
      );
      assertEquals(none.code, 4, none.stderr);
      assertMatch(
        none.stderr,
        /No profile is logged in to the resource .*Run: authctl login --resource/,
      );
    });

    await t.step(
      "metadata for another resource is refused (RFC 9728 §3.3)",
      async () => {
        const r = await runCli(
          ["login", "--resource", `${origin}/liar`],
          env,
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(
          r.stderr,
          /is for the resource ".*\/somewhere-else", not ".*\/liar"/,
        );
        assertNotMatch(await config(), /liar/);
      },
    );

    await t.step(
      "an authorization server without S256 in its metadata is refused",
      async () => {
        const r = await runCli(
          ["login", "--resource", `${origin}/nos256`],
          env,
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /does not list S256/);
        // Its metadata was read (RFC 8414, path inserted); nothing else.
        assert(
          resource.seen.some((s) =>
            s.path === "/.well-known/oauth-authorization-server/fake-as"
          ),
        );
        assert(!resource.seen.some((s) => s.path.startsWith("/fake-as")));
      },
    );

    await t.step(
      "insufficient_scope without a terminal: exit 4 and the command",
      async () => {
        const r = await runCli(["api", `${mcp}/admin`], env);
        assertEquals(r.code, 4, r.stderr);
        assertMatch(
          r.stderr,
          new RegExp(
            `run: authctl login --profile 127.0.0.1-${port} --scope "mcp:read mcp:admin"`,
          ),
        );
      },
    );

    await t.step(
      "insufficient_scope on a terminal: one login with the union, then the answer",
      async () => {
        const cli = await spawnCli(["api", `${mcp}/admin`], env, {
          pty: true,
        });
        await cli.waitFor(/needs the scope "mcp:read mcp:admin"/);
        const [, url] = await cli.waitFor(AUTH_URL);
        assertMatch(
          url,
          /scope=openid\+offline_access\+mcp%3Aread\+mcp%3Aadmin/,
        );
        const page = await approveLogin(await browser.newPage(), url);
        await page.close();
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /"path":"\/mcp\/admin"/);
        assertMatch(await config(), /scopes = \[ "mcp:read", "mcp:admin" \]/);
        // The profile and the new token agree: no login needed now.
        const again = await runCli(["api", `${mcp}/admin`], env);
        assertEquals(again.code, 0, again.stderr);
        assertEquals((await stats(provider.issuer)).registrations, 1);
      },
    );

    await t.step(
      "a refresh the server refuses for a forgotten registration: exit 4, and the next login registers anew",
      async () => {
        const before = (await registrations(configDir))[provider.issuer]
          .client_id;
        provider = await restart(provider);
        const r = await runCli(
          ["token", "--force-refresh", "--resource", mcp],
          env,
        );
        assertEquals(r.code, 4, r.stderr);
        assertMatch(
          r.stderr,
          new RegExp(
            `no longer accepts client "${before}" \\(invalid_client\\).*log in again to register anew`,
          ),
        );
        // Forgotten here too, so the next login does not even ask.
        assertEquals(
          (await registrations(configDir))[provider.issuer],
          undefined,
        );
        const login = await browserLogin(browser, ["--resource", mcp], env);
        assertNotMatch(login.stderr, /no longer knows/);
        assertMatch(login.stderr, /Registered with/);
        assertEquals((await stats(provider.issuer)).registrations, 1);
        const api = await runCli(["api", mcp], env);
        assertEquals(api.code, 0, api.stderr);
      },
    );

    await t.step(
      "a kept registration the server forgot is found out before the browser opens",
      async () => {
        const before = (await registrations(configDir))[provider.issuer]
          .client_id;
        provider = await restart(provider);
        const r = await browserLogin(
          browser,
          ["--resource", mcp, "--force"],
          env,
        );
        assertMatch(
          r.stderr,
          /no longer knows client "[^"]+" \(registered [^)]+\); registering again/,
        );
        assertMatch(r.stderr, /Registered with/);
        const after = (await registrations(configDir))[provider.issuer]
          .client_id;
        assert(after !== before, "the same client ID");
        assertEquals((await stats(provider.issuer)).registrations, 1);
        const api = await runCli(["api", mcp], env);
        assertEquals(api.code, 0, api.stderr);
      },
    );
  },
});

Deno.test({
  name: "e2e: a registration the server refuses is a clear error",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using e2e = await startE2e({
      provider: ["--resources", "--closed-registration"],
    });
    const { provider, configDir } = e2e;
    const resource = await startDemoResource({ issuer: provider.issuer });
    e2e.defer(() => resource.close());
    const env = cliEnv(configDir, { AUTHCTL_STORAGE: "file" });
    const r = await runCli(
      ["login", "--resource", `${resource.origin}/mcp`],
      env,
    );
    assertEquals(r.code, 3, r.stderr);
    assertMatch(r.stderr, /refused to register authctl as a client/);
    assertMatch(r.stderr, /initial access token/);
    assertMatch(
      r.stderr,
      /Ask the server's admin to allow dynamic client registration/,
    );
    assertMatch(r.stderr, /give its ID with --client-id/);
    assertNotMatch(r.stderr, /http:\/\/127\.0\.0\.1:\d+\/auth\?/);
  },
});

Deno.test({
  name:
    "e2e: a Client ID Metadata Document is the client ID where the server accepts one",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using e2e = await startE2e({ provider: false, browser: true });
    const dir = e2e.dir;
    const certificates = await makeTestCertificates(dir);
    // The document, at an https URL (the client ID) the provider fetches.
    let documentUrl = "";
    let fetched = 0;
    const host = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: certificates.cert,
      key: certificates.key,
      onListen() {},
    }, () => {
      fetched++;
      return Response.json({
        client_id: documentUrl,
        client_name: "authctl",
        application_type: "native",
        token_endpoint_auth_method: "none",
        redirect_uris: ["http://127.0.0.1/callback"],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      });
    });
    documentUrl = `https://127.0.0.1:${host.addr.port}/authctl.json`;
    e2e.defer(() => host.shutdown());
    const provider = await startProvider([
      "--resources",
      "--client-id-metadata-documents",
      "--ca-file",
      certificates.caFile,
    ]);
    e2e.defer(() => provider.stop());
    const resource = await startDemoResource({ issuer: provider.issuer });
    e2e.defer(() => resource.close());
    const browser = e2e.browser;
    const env = cliEnv(`${dir}/config`, {
      AUTHCTL_STORAGE: "file",
      AUTHCTL_CLIENT_ID_METADATA_DOCUMENT: documentUrl,
    });
    delete env.AUTHCTL_PROMPT;
    const mcp = `${resource.origin}/mcp`;
    const r = await browserLogin(browser, ["--resource", mcp], env);
    assertMatch(
      r.stderr,
      new RegExp(`client_id=${encodeURIComponent(documentUrl)}&`),
    );
    assertNotMatch(r.stderr, /Registered with/);
    assertEquals((await stats(provider.issuer)).registrations, 0);
    assert(fetched > 0, "the provider never fetched the document");
    const api = await runCli(["api", mcp], env);
    assertEquals(api.code, 0, api.stderr);
    const token = await runCli(["token", "--json", "--resource", mcp], env);
    assertEquals(token.code, 0, token.stderr);
  },
});
