/**
 * End to end: a store that cannot take the refreshed tokens (issue 22). A
 * full disk (a small tmpfs, filled) and an immutable credentials file
 * (chattr +i) are found before the refresh request is sent: nothing reaches
 * the provider, the stored refresh token stays good, and once the disk is
 * freed (or the file made mutable) the next refresh works. The double
 * rotates refresh tokens with reuse detection, so a lost grant would show.
 * Both need root (mount, chattr), as the tests run here and in CI.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";
import { cliEnv, runCli } from "../support/cli.ts";
import { runHint } from "../support/hints.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function sh(command: string): Promise<void> {
  const out = await new Deno.Command("sh", { args: ["-c", command] }).output();
  if (out.code !== 0) {
    throw new Error(
      `${command}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

Deno.test({
  name:
    "disk: a full disk or an immutable file is found before the refresh is sent",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const d = e2e.doubles;
    /** A login whose configuration (and credentials) live in `dir`. */
    const loggedInAt = async (dir: string) => {
      const env = cliEnv(dir, {
        AUTHCTL_STORAGE: "file",
        AUTHCTL_PROMPT: "",
        AUTHCTL_ISSUER: d.auth0.issuer,
        AUTHCTL_CLIENT_ID: d.auth0.clientId,
      });
      const login = await runHint(["login", "--flow", "loopback"], env);
      assertEquals(login.code, 0, login.stderr);
      return env;
    };
    const refreshes = () =>
      d.tokenRequests.filter((f) => f.get("grant_type") === "refresh_token")
        .length;
    await t.step("a full disk", async () => {
      const mount = await Deno.makeTempDir();
      await sh(`mount -t tmpfs -o size=1m,mode=0700 tmpfs '${mount}'`);
      try {
        const env = await loggedInAt(mount);
        // Fill what is left (dd stops at "No space left on device").
        await sh(
          `dd if=/dev/zero of='${mount}/filler' bs=4k 2>/dev/null || true`,
        );
        const before = refreshes();
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 1, r.stderr);
        assertMatch(r.stderr, /No space left on device/);
        assertMatch(
          r.stderr,
          /no refresh was made, and the stored tokens are intact/,
        );
        assertEquals(refreshes(), before, "the refresh was sent");
        await Deno.remove(`${mount}/filler`);
        const after = await runCli(["token", "--force-refresh"], env);
        assertEquals(after.code, 0, after.stderr);
      } finally {
        await sh(`umount '${mount}'`);
        await Deno.remove(mount, { recursive: true });
      }
    });

    await t.step("an immutable credentials file", async () => {
      const dir = await Deno.makeTempDir();
      const file = `${dir}/credentials/default.json`;
      try {
        const env = await loggedInAt(dir);
        await sh(`chattr +i '${file}'`);
        const before = refreshes();
        let r;
        try {
          r = await runCli(["token", "--force-refresh"], env);
        } finally {
          await sh(`chattr -i '${file}'`);
        }
        assertEquals(r.code, 1, r.stderr);
        assertMatch(r.stderr, /Operation not permitted/);
        assertEquals(refreshes(), before, "the refresh was sent");
        const after = await runCli(["token", "--force-refresh"], env);
        assertEquals(after.code, 0, after.stderr);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
