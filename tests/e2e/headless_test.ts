/**
 * End to end, headless: the device flow approved in Chromium, paste-back
 * through standard input, loopback finished by a paste, and the automatic
 * choice over SSH — the real CLI against oidc-provider.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import {
  approveDevice,
  approveLogin,
  launchChromium,
} from "../../scripts/headless_browser.ts";
import { AUTH_URL, runCli, spawnCli } from "../support/cli.ts";
import { startE2e } from "../support/e2e.ts";

const DEVICE_URI = /(http:\/\/127\.0\.0\.1:\d+\/device)\s/;
const USER_CODE = /enter the code\s+([A-Z]{4}-[A-Z]{4})/;

/**
 * Approves in a browser that cannot reach this machine's listener, as on
 * another machine: every request but those to the provider goes to a proxy
 * that is not there. Resolves with the redirect address, as a person would
 * copy it from the address bar of the error page.
 */
async function redirectAddress(
  issuer: string,
  authUrl: string,
): Promise<string> {
  const redirect = new URL(authUrl).searchParams.get("redirect_uri")!;
  const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (dead.addr as Deno.NetAddr).port;
  dead.close();
  const browser = await launchChromium([
    `--proxy-server=http://127.0.0.1:${deadPort}`,
    // "<-loopback>" stops Chromium from bypassing the proxy for 127.0.0.1.
    `--proxy-bypass-list=<-loopback>;${new URL(issuer).host}`,
  ]);
  try {
    const page = await browser.newPage();
    let captured = "";
    page.on("request", (request) => {
      if (request.url().startsWith(redirect)) captured = request.url();
    });
    await approveLogin(page, authUrl).catch(() => {});
    for (let i = 0; i < 200 && !captured; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert(captured.startsWith(redirect), `no redirect captured (${captured})`);
    return captured;
  } finally {
    await browser.close();
  }
}

async function tokenWorks(
  env: Record<string, string>,
  issuer: string,
  sub = "alice",
) {
  const r = await runCli(["token"], env);
  assertEquals(r.code, 0, r.stderr);
  const res = await fetch(`${issuer}/me`, {
    headers: { authorization: `Bearer ${r.stdout.trim()}` },
  });
  assertEquals(res.status, 200);
  assertEquals((await res.json()).sub, sub);
}

Deno.test({
  name: "e2e: headless logins",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser, env } = e2e;
    await t.step(
      "device flow: the user code entered in a browser",
      async () => {
        const cli = await spawnCli(["login", "--flow", "device"], env);
        const [, uri] = await cli.waitFor(DEVICE_URI);
        const [, code] = await cli.waitFor(USER_CODE);
        await cli.waitFor(/Waiting for approval/);
        const page = await approveDevice(await browser.newPage(), uri, {
          userCode: code,
          user: "bob",
        });
        assertMatch(await page.title(), /Success/);
        await page.close();
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Logged in as bob/);
        await tokenWorks(env, provider.issuer, "bob");
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.canRefresh, true);
      },
    );

    await t.step(
      "device flow: aborting in the browser is exit 5",
      async () => {
        const cli = await spawnCli(
          ["login", "--flow", "device", "--force"],
          env,
        );
        const [, uri] = await cli.waitFor(DEVICE_URI);
        const [, code] = await cli.waitFor(USER_CODE);
        const page = await approveDevice(await browser.newPage(), uri, {
          userCode: code,
          cancel: true,
        });
        await page.close();
        const r = await cli.finish();
        assertEquals(r.code, 5, r.stderr);
        assertMatch(r.stderr, /denied/);
      },
    );

    await t.step(
      "paste-back: the redirect address fed to stdin",
      async () => {
        await runCli(["logout"], env);
        // In a real pseudo-terminal, where a person types.
        const cli = await spawnCli(["login", "--flow", "paste"], env, {
          pty: true,
        });
        const [, url] = await cli.waitFor(AUTH_URL);
        await cli.waitFor(/paste it here/);
        const address = await redirectAddress(provider.issuer, url);
        await cli.write("not a code or an address\n");
        await cli.waitFor(/Paste again/);
        // Looks like a code, so it is sent; the provider refuses it, and
        // the person is asked again (same attempt, same verifier).
        await cli.write("not-a-url-or-code%%%\n");
        await cli.waitFor(/The provider refused that code \(invalid_grant\)/);
        // The same code twice is refused before any request.
        await cli.write("not-a-url-or-code%%%\n");
        await cli.waitFor(/That code was already tried/);
        await cli.write(`${address}\n`);
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
        await tokenWorks(env, provider.issuer);
      },
    );

    await t.step(
      "paste-back: a bare code works too (PKCE binds it)",
      async () => {
        const cli = await spawnCli(
          ["login", "--flow", "paste", "--force"],
          env,
          { stdin: true },
        );
        const [, url] = await cli.waitFor(AUTH_URL);
        const address = await redirectAddress(provider.issuer, url);
        await cli.write(`${new URL(address).searchParams.get("code")}\n`);
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
      },
    );

    await t.step(
      "loopback: the redirect address pasted while waiting for the browser",
      async () => {
        const cli = await spawnCli(
          ["login", "--flow", "loopback", "--force"],
          env,
          { pty: true },
        );
        const [, url] = await cli.waitFor(AUTH_URL);
        await cli.waitFor(/paste here the address/);
        const address = await redirectAddress(provider.issuer, url);
        await cli.write(`${address}\r`);
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Logged in as alice/);
      },
    );

    await t.step(
      "auto over SSH without a display picks the device flow by itself",
      async () => {
        const sshEnv = {
          ...env,
          SSH_CONNECTION: "10.0.0.2 50000 10.0.0.1 22",
        };
        delete (sshEnv as Record<string, string>).BROWSER;
        const cli = await spawnCli(["login", "--force"], sshEnv, {
          pty: true,
        });
        await cli.waitFor(
          /Logging in with a device code: this is an SSH session/,
        );
        const [, uri] = await cli.waitFor(DEVICE_URI);
        const [, code] = await cli.waitFor(USER_CODE);
        const page = await approveDevice(await browser.newPage(), uri, {
          userCode: code,
        });
        await page.close();
        const r = await cli.finish();
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /Logged in as alice/);
        await tokenWorks(env, provider.issuer);
      },
    );

    await t.step(
      "auto with no terminal and no browser fails at once, exit 2",
      async () => {
        const sshEnv = {
          ...env,
          SSH_CONNECTION: "10.0.0.2 50000 10.0.0.1 22",
        };
        delete (sshEnv as Record<string, string>).BROWSER;
        const started = Date.now();
        const r = await runCli(["login", "--force"], sshEnv);
        assertEquals(r.code, 2, r.stderr);
        assertMatch(r.stderr, /no terminal is attached/);
        assert(Date.now() - started < 5000);
      },
    );
  },
});
