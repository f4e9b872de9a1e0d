/**
 * End to end: `logout` and `login --force` racing a refresh in flight (the
 * token endpoint held back by the double). They take the profile's lock, as
 * a refresh does: a logout is never undone by the refresh finishing after
 * it, and a new login is never replaced by the old account's refresh.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { runCli, spawnCli } from "../support/cli.ts";
import { runHint } from "../support/hints.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "races: logout and login --force against a refresh in flight",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const { doubles: d, envFor } = e2e;
    const delay = async (ms: number, grant = "") =>
      await (await fetch(`${d.url}/__delay?ms=${ms}&grant=${grant}`, {
        method: "POST",
      })).body?.cancel();
    /** Waits until the double has seen `n` token requests. */
    const tokenRequests = async (n: number) => {
      for (let i = 0; i < 400 && d.tokenRequests.length < n; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert(d.tokenRequests.length >= n, "the refresh never started");
    };
    const env = await envFor({
      AUTHCTL_ISSUER: d.auth0.issuer,
      AUTHCTL_CLIENT_ID: d.auth0.clientId,
    });
    const store = new FileStore({ configDir: env.AUTHCTL_CONFIG_DIR });

    await t.step("a logout during a refresh stays a logout", async () => {
      assertEquals(
        (await runHint(["login", "--flow", "loopback"], env)).code,
        0,
      );
      await delay(1500);
      const seen = d.tokenRequests.length;
      const refresh = await spawnCli(["token", "--force-refresh"], env);
      await tokenRequests(seen + 1);
      const logout = await runCli(["logout"], env);
      await delay(0);
      const refreshed = await refresh.finish();
      assertEquals(logout.code, 0, logout.stderr);
      assertEquals(refreshed.code, 0, refreshed.stderr);
      // The refresh saved first; the logout then removed (and revoked) it.
      assertEquals(await store.get("default"), undefined);
      assertEquals((await runCli(["token"], env)).code, 4);
    });

    await t.step(
      "a login --force during a refresh is not replaced by it",
      async () => {
        assertEquals(
          (await runHint(["login", "--flow", "loopback"], env)).code,
          0,
        );
        // Only the refresh is held back: the new login gets its tokens
        // first, and the refresh (of the old grant) answers after it.
        await delay(2000, "refresh_token");
        const seen = d.tokenRequests.length;
        const refresh = await spawnCli(["token", "--force-refresh"], env);
        await tokenRequests(seen + 1);
        const login = runHint(
          ["login", "--flow", "loopback", "--force"],
          env,
        );
        const [refreshed, loggedIn] = await Promise.all([
          refresh.finish(),
          login,
        ]);
        await delay(0);
        assertEquals(refreshed.code, 0, refreshed.stderr);
        assertEquals(loggedIn.code, 0, loggedIn.stderr);
        assertEquals(
          d.issued.at(-1)!.grantType,
          "refresh_token",
          "the refresh answered last",
        );
        const fresh = d.issued.findLast((i) =>
          i.grantType === "authorization_code"
        )!;
        // What is kept is the new login's, though the refresh answered later.
        assertEquals(
          (await store.get("default"))!.accessToken,
          fresh.accessToken,
        );
        assertEquals(
          (await runCli(["token"], env)).stdout.trim(),
          fresh.accessToken,
        );
      },
    );
  },
});
