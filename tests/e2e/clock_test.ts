/**
 * End to end: refreshes against a provider whose clock is not this
 * machine's (±90 s, ±2 h) and whose key set fails (issue 22). The double
 * rotates refresh tokens and revokes the grant when an old one is used
 * again, so a rotated token discarded after the provider answered shows up
 * as a lost grant at the next refresh. None may be lost.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { runHint } from "../support/hints.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "clock and keys: skewed providers and a key-set outage lose no grant",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const { doubles: d, envFor } = e2e;
    const post = async (path: string) =>
      await (await fetch(`${d.url}${path}`, { method: "POST" })).body
        ?.cancel();
    const loggedIn = async () => {
      const env = await envFor({
        AUTHCTL_ISSUER: d.auth0.issuer,
        AUTHCTL_CLIENT_ID: d.auth0.clientId,
      });
      const r = await runHint(["login", "--flow", "loopback"], env);
      assertEquals(r.code, 0, r.stderr);
      return {
        env,
        store: new FileStore({ configDir: env.AUTHCTL_CONFIG_DIR }),
      };
    };
    for (
      const [label, offset] of [
        ["90 s ahead", 90_000],
        ["90 s behind", -90_000],
        ["2 h ahead", 2 * 3600_000],
        ["2 h behind", -2 * 3600_000],
      ] as const
    ) {
      await t.step(
        `the provider's clock ${label}: refreshes work, and login says so`,
        async () => {
          const { env } = await loggedIn();
          await post(`/__clock?offset=${offset}`);
          try {
            for (let i = 0; i < 3; i++) {
              const r = await runCli(["token", "--force-refresh"], env);
              assertEquals(r.code, 0, `refresh ${i}: ${r.stderr}`);
            }
            const again = await runHint([
              "login",
              "--flow",
              "loopback",
              "--force",
            ], env);
            assertEquals(again.code, 0, again.stderr);
            assertMatch(
              again.stderr,
              new RegExp(
                `clock is \\d+ s ${
                  offset > 0 ? "behind" : "ahead of"
                } the provider's; its tokens were checked against the provider's time`,
              ),
            );
          } finally {
            await post("/__clock?offset=0");
          }
        },
      );
    }

    await t.step(
      "tokens whose times disagree with the provider's own Date header: the rotated refresh token is kept",
      async () => {
        const { env, store } = await loggedIn();
        const before = (await store.get("default"))!;
        await post(`/__clock?offset=${2 * 3600_000}&date=real`);
        let r;
        try {
          r = await runCli(["token", "--force-refresh"], env);
        } finally {
          await post("/__clock?offset=0");
        }
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /new refresh token was saved/);
        const kept = (await store.get("default"))!;
        assert(kept.refreshToken !== before.refreshToken, "the rotated one");
        assert(
          kept.retiredAt !== undefined,
          "the unchecked access token is not used",
        );
        assertEquals(kept.accessToken, before.accessToken);
        // The grant survived: the next refresh (clocks agreeing) works.
        const next = await runCli(["token"], env);
        assertEquals(next.code, 0, next.stderr);
      },
    );

    await t.step(
      "the key set down (503, HTML): nothing is sent, the grant is intact, the status is named",
      async () => {
        const { env } = await loggedIn();
        const seen = d.tokenRequests.length;
        await post("/__jwks?status=503");
        let r;
        try {
          r = await runCli(["token", "--force-refresh"], env);
        } finally {
          await post("/__jwks?status=200");
        }
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /503/);
        assertEquals(d.tokenRequests.length, seen, "the refresh was sent");
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
      },
    );
    await t.step(
      "a clock set back after a refresh: the stored expiry is not trusted, the token is refreshed",
      async () => {
        const { env, store } = await loggedIn();
        const stored = (await store.get("default"))!;
        // As the clock sees it two hours set back: obtained "in the
        // future", with what looks like three hours left.
        await store.set("default", {
          ...stored,
          obtainedAt: stored.obtainedAt + 2 * 3600_000,
          expiresAt: stored.expiresAt! + 2 * 3600_000,
        });
        const seen = d.tokenRequests.length;
        const r = await runCli(["token"], env);
        assertEquals(r.code, 0, r.stderr);
        assert(
          r.stdout.trim() !== stored.accessToken,
          "the old token was handed out",
        );
        assertEquals(d.tokenRequests.length, seen + 1, "one refresh");
      },
    );

    await t.step(
      "--http-timeout bounds a refresh as a whole: slow discovery and keys use it up before anything is sent",
      async () => {
        const { env } = await loggedIn();
        const seen = d.tokenRequests.length;
        const slow = (path: string, ms: number) =>
          post(`/__slow?path=${encodeURIComponent(path)}&ms=${ms}`);
        // Each answer within the 2 s allowed; together, not.
        await slow("/auth0/.well-known/openid-configuration", 1200);
        await slow("/auth0/jwks", 1200);
        const started = Date.now();
        let r;
        try {
          r = await runCli(["token", "--force-refresh"], {
            ...env,
            AUTHCTL_HTTP_TIMEOUT: "2s",
          });
        } finally {
          await slow("/auth0/.well-known/openid-configuration", 0);
          await slow("/auth0/jwks", 0);
        }
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /in time/);
        assert(Date.now() - started < 3500, "one deadline, not one each");
        assertEquals(d.tokenRequests.length, seen, "the refresh was sent");
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
      },
    );

    await t.step(
      "--http-timeout bounds a login's code exchange as a whole (the answer, its keys)",
      async () => {
        const env = await envFor({
          AUTHCTL_ISSUER: d.auth0.issuer,
          AUTHCTL_CLIENT_ID: d.auth0.clientId,
          AUTHCTL_HTTP_TIMEOUT: "2s",
        });
        const slow = (path: string, ms: number) =>
          post(`/__slow?path=${encodeURIComponent(path)}&ms=${ms}`);
        await slow("/auth0/token", 1200);
        await slow("/auth0/jwks", 1200);
        let r;
        try {
          r = await runHint(["login", "--flow", "loopback"], env);
        } finally {
          await slow("/auth0/token", 0);
          await slow("/auth0/jwks", 0);
        }
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /in time/);
        // Negative control: the same with time enough.
        const ok = await runHint(["login", "--flow", "loopback"], {
          ...env,
          AUTHCTL_HTTP_TIMEOUT: "10s",
        });
        assertEquals(ok.code, 0, ok.stderr);
      },
    );

    await t.step(
      "a token endpoint answering 503 with an HTML page: the message names the 503, the grant is intact",
      async () => {
        const { env } = await loggedIn();
        await post("/__down?path=/auth0/token&status=503");
        let r;
        try {
          r = await runCli(["token", "--force-refresh"], env);
        } finally {
          await post("/__down?path=/auth0/token&status=0");
        }
        assertEquals(r.code, 3, r.stderr);
        assertMatch(r.stderr, /HTTP 503/);
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
      },
    );
  },
});
