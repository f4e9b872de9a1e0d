/**
 * End to end: SIGINT, SIGTERM and SIGHUP while a refresh request is in
 * flight (issue 22). The provider double rotates refresh tokens and revokes
 * the whole grant when an old one is used again (Auth0's reuse detection),
 * and holds its answer back, so each signal lands after the provider has
 * retired the old refresh token. The CLI must finish, save the new one,
 * and only then exit with the signal's code: the grant survives every run.
 */

import { assert, assertEquals } from "../support/assert.ts";
import { runCli, spawnCli } from "../support/cli.ts";
import { runHint } from "../support/hints.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { startE2e } from "../support/e2e.ts";

const RUNS_PER_SIGNAL = 30;
const LANES_PER_SIGNAL = 2;
const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

Deno.test({
  name:
    `signals: ${RUNS_PER_SIGNAL} refreshes interrupted in flight per signal, no grant lost`,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const { doubles: d, envFor } = e2e;
    await (await fetch(`${d.url}/__delay?ms=400&grant=refresh_token`, {
      method: "POST",
    })).body?.cancel();
    const lane = async (signal: keyof typeof CODES, runs: number) => {
      const env = await envFor({
        AUTHCTL_ISSUER: d.auth0.issuer,
        AUTHCTL_CLIENT_ID: d.auth0.clientId,
      });
      const store = new FileStore({ configDir: env.AUTHCTL_CONFIG_DIR });
      const login = await runHint(["login", "--flow", "loopback"], env);
      assertEquals(login.code, 0, login.stderr);
      for (let run = 0; run < runs; run++) {
        const before = (await store.get("default"))!.refreshToken!;
        const cli = await spawnCli(["token", "--force-refresh"], env);
        // The request has reached the provider: the old token is spent.
        for (let i = 0; i < 400; i++) {
          if (
            d.tokenRequests.some((f) => f.get("refresh_token") === before)
          ) {
            break;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        cli.child.kill(signal);
        const r = await cli.finish();
        assertEquals(
          r.code,
          CODES[signal],
          `${signal} run ${run}: ${r.stderr}`,
        );
        assertEquals(r.stdout, "", "nothing is handed out after a signal");
        const after = (await store.get("default"))!.refreshToken!;
        assert(
          after !== before,
          `${signal} run ${run}: the new token was not saved`,
        );
      }
      // The grant is alive: one more refresh, uninterrupted.
      const last = await runCli(["token", "--force-refresh"], env);
      assertEquals(last.code, 0, `${signal}: ${last.stderr}`);
    };
    const lanes: Promise<void>[] = [];
    for (const signal of Object.keys(CODES) as (keyof typeof CODES)[]) {
      for (let i = 0; i < LANES_PER_SIGNAL; i++) {
        lanes.push(lane(signal, RUNS_PER_SIGNAL / LANES_PER_SIGNAL));
      }
    }
    await Promise.all(lanes);
  },
});
