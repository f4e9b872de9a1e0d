/**
 * End to end: the loopback listener of the real CLI turns away everything but
 * the one right callback, without ending the wait; it times out, obeys
 * Ctrl-C, and handles busy ports.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { approveLogin } from "../../scripts/headless_browser.ts";
import { AUTH_URL, runCli, spawnCli } from "../support/cli.ts";
import { assertRefused, rawRequest } from "../support/http.ts";
import { startE2e } from "../support/e2e.ts";

Deno.test({
  name: "e2e: the callback listener",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser, env } = e2e;
    await t.step(
      "rejects stray requests and still completes the login",
      async () => {
        const cli = await spawnCli(["login"], env);
        const [, url] = await cli.waitFor(AUTH_URL);
        const auth = new URL(url);
        const redirect = new URL(auth.searchParams.get("redirect_uri")!);
        const port = Number(redirect.port);
        const state = auth.searchParams.get("state")!;

        // Bound to 127.0.0.1 only: not 0.0.0.0 (127.0.0.2 is refused) nor ::.
        for (const hostname of ["127.0.0.2", "::1"]) {
          let refused = false;
          try {
            (await Deno.connect({ hostname, port })).close();
          } catch {
            refused = true;
          }
          assert(refused, `the listener answered on ${hostname}`);
        }
        const cases: [string, Parameters<typeof rawRequest>[1], number][] = [
          ["favicon", { path: "/favicon.ico" }, 404],
          ["other path", { path: `/other?state=${state}&code=x` }, 404],
          ["missing state", { path: "/callback?code=x" }, 400],
          ["wrong state", { path: "/callback?code=x&state=wrong" }, 400],
          ["duplicate state", {
            path: `/callback?code=x&state=${state}&state=${state}`,
          }, 400],
          ["HEAD", { method: "HEAD", path: `/callback?state=${state}` }, 405],
          ["POST", { method: "POST", path: `/callback?state=${state}` }, 405],
          ["foreign Host (DNS rebinding)", {
            path: `/callback?code=x&state=${state}`,
            host: `evil.example:${port}`,
          }, 400],
          ["localhost Host", {
            path: `/callback?code=x&state=${state}`,
            host: `localhost:${port}`,
          }, 400],
          ["an error without state", {
            path: "/callback?error=access_denied",
          }, 400],
        ];
        for (const [what, request, status] of cases) {
          const res = await rawRequest(port, request);
          assertEquals(res.status, status, what);
          if (what === "missing state") {
            // The terminal is told a request was ignored, why, and that
            // the wait goes on.
            await cli.waitFor(
              /Ignored a request to the callback: it carries no state\. Still waiting for this login\./,
            );
          }
          if (what === "wrong state") {
            // The browser is told which tab to use.
            assertMatch(res.body, /belongs to another login attempt/);
          }
          if (res.body) {
            assertEquals(res.headers.get("cache-control"), "no-store", what);
            assertEquals(
              res.headers.get("referrer-policy"),
              "no-referrer",
              what,
            );
          }
        }
        // Oversized (> 8 KiB): refused, the wait goes on.
        const huge = await rawRequest(port, {
          path: `/callback?state=${state}&code=${"a".repeat(9000)}`,
        });
        assertEquals(huge.status, 414, "oversized request");
        // A slow request (headers never finished) blocks nobody.
        const slow = await Deno.connect({ hostname: "127.0.0.1", port });
        await slow.write(
          new TextEncoder().encode(
            `GET /callback?state=${state}&code=slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`,
          ),
        );
        // While it hangs, other requests are answered at once.
        const started = performance.now();
        const other = await rawRequest(port, { path: "/favicon.ico" });
        assertEquals(other.status, 404);
        assert(
          performance.now() - started < 2000,
          "a slow request held up another",
        );
        // Said at most once every few seconds, however many arrived.
        assertEquals(
          cli.stderr().match(/Ignored a request to the callback/g)?.length,
          1,
        );
        // Still waiting: the person can finish the login.
        const page = await approveLogin(await browser.newPage(), url);
        assertMatch(await page.title(), /Login complete/);
        // The page names the program and the account, once the code
        // exchange succeeded.
        assertMatch(
          await page.locator("p").innerText(),
          /authctl is logged in as alice/,
        );
        assertEquals(
          await page.locator("script, img, link, iframe").count(),
          0,
        );
        await page.close();
        const r = await cli.finish();
        slow.close();
        assertEquals(r.code, 0, r.stderr);
        await assertRefused(redirect.href);
      },
    );

    await t.step(
      "an error response is escaped in the page, stripped in the terminal, exit 5",
      async () => {
        const cli = await spawnCli(["login", "--force"], env);
        const [, url] = await cli.waitFor(AUTH_URL);
        const auth = new URL(url);
        const redirect = new URL(auth.searchParams.get("redirect_uri")!);
        const params = new URLSearchParams({
          state: auth.searchParams.get("state")!,
          iss: provider.issuer,
          error: "access_denied",
          error_description: "<script>alert(1)</script>\u001b[31mred",
        });
        const res = await rawRequest(Number(redirect.port), {
          path: `/callback?${params}`,
        });
        assertEquals(res.status, 400);
        assertNotMatch(res.body, /<script>/);
        assertMatch(res.body, /&#60;script&#62;/);
        const r = await cli.finish();
        assertEquals(r.code, 5, r.stderr);
        assertMatch(r.stderr, /access_denied/);
        assertEquals(r.stderr.includes("\u001b"), false);
      },
    );

    await t.step(
      "a callback with the wrong iss (RFC 9207) fails the login, exit 3",
      async () => {
        const cli = await spawnCli(["login", "--force"], env);
        const [, url] = await cli.waitFor(AUTH_URL);
        const auth = new URL(url);
        const redirect = new URL(auth.searchParams.get("redirect_uri")!);
        const params = new URLSearchParams({
          state: auth.searchParams.get("state")!,
          iss: "http://127.0.0.1:1/evil",
          code: "stolen",
        });
        const res = await rawRequest(Number(redirect.port), {
          path: `/callback?${params}`,
        });
        assertEquals(res.status, 400);
        const r = await cli.finish();
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /iss/);
      },
    );

    await t.step("times out with exit 6 and closes the port", async () => {
      const started = Date.now();
      const cli = await spawnCli(
        ["login", "--force", "--timeout", "2s"],
        env,
      );
      const [, url] = await cli.waitFor(AUTH_URL);
      const r = await cli.finish();
      assertEquals(r.code, 6, r.stderr);
      assertMatch(r.stderr, /within 2s/);
      assert(Date.now() - started < 10_000);
      await assertRefused(new URL(url).searchParams.get("redirect_uri")!);
    });

    await t.step("Ctrl-C closes the port and exits 130", async () => {
      const cli = await spawnCli(["login", "--force"], env);
      const [, url] = await cli.waitFor(/Waiting for the browser/).then(() =>
        cli.waitFor(AUTH_URL)
      );
      cli.child.kill("SIGINT");
      const r = await cli.finish();
      assertEquals(r.code, 130, r.stderr);
      await assertRefused(new URL(url).searchParams.get("redirect_uri")!);
    });

    await t.step(
      "--port: a busy fixed port is an error, exit 2",
      async () => {
        const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        try {
          const port = (busy.addr as Deno.NetAddr).port;
          const r = await runCli(
            ["login", "--force", "--port", String(port)],
            env,
          );
          assertEquals(r.code, 2, r.stderr);
          assertMatch(
            r.stderr,
            new RegExp(`No callback port is free: ${port} is in use`),
          );
        } finally {
          busy.close();
        }
      },
    );

    await t.step("--port: a range is tried in order", async () => {
      // A busy port whose neighbour is free (other tests take ports too).
      let busy: Deno.Listener;
      let first: number;
      for (let tries = 0;; tries++) {
        busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        first = (busy.addr as Deno.NetAddr).port;
        try {
          Deno.listen({ hostname: "127.0.0.1", port: first + 1 }).close();
          break;
        } catch (err) {
          busy.close();
          if (tries > 20) throw err;
        }
      }
      try {
        const cli = await spawnCli([
          "login",
          "--force",
          "--port",
          `${first}-${first + 1}`,
        ], env);
        const [, url] = await cli.waitFor(AUTH_URL);
        const redirect = new URL(
          new URL(url).searchParams.get("redirect_uri")!,
        );
        assertEquals(Number(redirect.port), first + 1);
        cli.child.kill("SIGINT");
        assertEquals((await cli.finish()).code, 130);
      } finally {
        busy.close();
      }
    });

    await t.step("an invalid --port is a usage error", async () => {
      const r = await runCli(["login", "--port", "70000"], env);
      assertEquals(r.code, 2);
      assertMatch(r.stderr, /Invalid port specification "70000"/);
    });
  },
});
