/**
 * End to end: pushed authorization requests (RFC 9126) against
 * oidc-provider, whose `par-cli` client is accepted only with them. The
 * browser's URL then carries `client_id` and `request_uri` alone.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";
import {
  NO_DEVICE_CLIENT_ID,
  PAR_CLIENT_ID,
} from "../../scripts/demo_provider.ts";
import { browserLogin } from "../support/browser_login.ts";
import { AUTH_URL, runCli, spawnCli } from "../support/cli.ts";
import { startE2e } from "../support/e2e.ts";

Deno.test({
  name: "e2e: pushed authorization requests (PAR)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({
      browser: true,
      env: { AUTHCTL_CLIENT_ID: PAR_CLIENT_ID, AUTHCTL_STORAGE: "file" },
    });
    const { provider, browser, env } = e2e;
    await t.step(
      "par = true: the browser's URL carries only client_id and request_uri",
      async () => {
        const par = { ...env, AUTHCTL_PAR: "true" };
        const cli = await spawnCli(["login", "--flow", "loopback"], par);
        const [, url] = await cli.waitFor(
          /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)\s/,
        );
        cli.child.kill("SIGTERM");
        await cli.finish();
        const q = new URL(url).searchParams;
        assertEquals([...q.keys()].sort(), ["client_id", "request_uri"]);
        assertMatch(
          q.get("request_uri")!,
          /^urn:ietf:params:oauth:request_uri:/,
        );
        // And a whole login that way, refresh included.
        const r = await browserLogin(browser, [
          "--flow",
          "loopback",
          "--force",
        ], par);
        assertMatch(r.stderr, /Logged in as alice/);
        assertEquals(
          (await runCli(["token", "--force-refresh"], par)).code,
          0,
        );
      },
    );

    await t.step(
      "a pushed request that lapses before the browser came back is said",
      async () => {
        // oidc-provider keeps a pushed request 60 s (its fixed maximum for
        // unsigned requests), so this step waits that long, mostly idle.
        const par = { ...env, AUTHCTL_PAR: "true" };
        const cli = await spawnCli(
          ["login", "--flow", "loopback", "--no-browser", "--force"],
          par,
        );
        try {
          const [, url] = await cli.waitFor(
            /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)\s/,
          );
          const [said] = await cli.waitFor(/login URL has expired.*/, 75_000);
          assertMatch(said, /60 s only.*invalid_request_uri.*authctl login/);
          // And the provider does refuse the URL now: the notice is true.
          const res = await fetch(url, { redirect: "manual" });
          await res.body?.cancel();
          assertMatch(
            res.headers.get("location") ?? "",
            /error=invalid_request_uri/,
          );
        } finally {
          cli.child.kill("SIGTERM");
          await cli.finish();
        }
      },
    );

    await t.step(
      "negative control: this client without PAR is refused by the provider",
      async () => {
        const cli = await spawnCli(
          ["login", "--flow", "loopback", "--force"],
          env,
        );
        const [, url] = await cli.waitFor(AUTH_URL);
        const res = await fetch(url, { redirect: "manual" });
        const body = await res.text();
        const location = res.headers.get("location") ?? "";
        assertMatch(
          `${res.status} ${location} ${body}`,
          /pushed authorization request|invalid_request/i,
        );
        // The browser comes back with the refusal: the CLI names the fix.
        await fetch(location).then((r) => r.body?.cancel(), () => {});
        const r = await cli.finish();
        assertEquals(r.code, 5, r.stderr);
        assertMatch(r.stderr, /log in again with --par added/);
        // And with --par added, the login gets further: a pushed request.
        const again = await spawnCli(
          ["login", "--flow", "loopback", "--force", "--par"],
          env,
        );
        const [, pushed] = await again.waitFor(AUTH_URL);
        again.child.kill("SIGTERM");
        await again.finish();
        assertMatch(pushed, /request_uri=/);
      },
    );

    await t.step(
      "a client the provider refuses the device flow: the fix is named, and auto falls back to paste",
      async () => {
        const noDevice = { ...env, AUTHCTL_CLIENT_ID: NO_DEVICE_CLIENT_ID };
        const r = await runCli(
          ["login", "--flow", "device", "--no-qr"],
          noDevice,
        );
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /is not allowed for this client/);
        assertMatch(
          r.stderr,
          /Log in with --flow loopback \(a browser on this machine\) or --flow paste/,
        );
        // The named flow gets further: its URL is printed.
        const paste = await spawnCli(
          ["login", "--flow", "paste"],
          noDevice,
          { stdin: true },
        );
        await paste.waitFor(AUTH_URL);
        paste.child.kill("SIGTERM");
        await paste.finish();
        // Over SSH on a terminal, auto picks the device flow, is refused,
        // and falls back to pasting back.
        const auto = await spawnCli(["login", "--no-qr"], {
          ...noDevice,
          SSH_CONNECTION: "10.0.0.1 50000 10.0.0.2 22",
          BROWSER: "",
        }, { pty: true });
        try {
          await auto.waitFor(/Logging in with a device code/);
          await auto.waitFor(
            /refused the device flow for this client; logging in by pasting back/,
          );
        } finally {
          auto.child.kill("SIGTERM");
          await auto.finish();
        }
      },
    );

    await t.step(
      "par = true where the provider has no PAR endpoint: a usage error naming the fix",
      async () => {
        const r = await runCli(
          ["login", "--flow", "paste", "--force", "--par"],
          {
            ...env,
            AUTHCTL_PROVIDER: "oauth2",
            AUTHCTL_AUTHORIZATION_ENDPOINT: `${provider.issuer}/auth`,
            AUTHCTL_TOKEN_ENDPOINT: `${provider.issuer}/token`,
          },
          "",
        );
        assertEquals(r.code, 2, r.stderr);
        assertMatch(
          r.stderr,
          /no pushed_authorization_request_endpoint\. Unset par/,
        );
      },
    );
  },
});
