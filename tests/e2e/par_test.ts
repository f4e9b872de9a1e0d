/**
 * End to end: pushed authorization requests (RFC 9126) against
 * oidc-provider, whose `par-cli` client is accepted only with them. The
 * browser's URL then carries `client_id` and `request_uri` alone.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";
import { launchChromium } from "../../scripts/headless_browser.ts";
import { PAR_CLIENT_ID } from "../../scripts/demo_provider.ts";
import { browserLogin } from "../support/browser_login.ts";
import { AUTH_URL, cliEnv, runCli, spawnCli } from "../support/cli.ts";
import { startProvider } from "../support/provider.ts";

Deno.test({
  name: "e2e: pushed authorization requests (PAR)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const provider = await startProvider();
    const browser = await launchChromium();
    const configDir = await Deno.makeTempDir();
    const env = cliEnv(configDir, {
      AUTHCTL_ISSUER: provider.issuer,
      AUTHCTL_CLIENT_ID: PAR_CLIENT_ID,
      AUTHCTL_STORAGE: "file",
    });
    try {
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
          cli.child.kill("SIGTERM");
          await cli.finish();
          assertMatch(
            `${res.status} ${res.headers.get("location") ?? ""} ${body}`,
            /pushed authorization request|invalid_request/i,
          );
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
    } finally {
      await browser.close();
      await provider.stop();
      await Deno.remove(configDir, { recursive: true });
    }
  },
});
