/**
 * End to end: where the real CLI keeps tokens — the Secret Service when one
 * answers, an announced 0600 file when none does — and two profiles against
 * two providers side by side.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
} from "../support/assert.ts";
import { cliEnv, runCli } from "../support/cli.ts";
import { startPrivateBus, startPrivateKeyring } from "../support/keyring.ts";
import { startProvider } from "../support/provider.ts";
import { browserLogin } from "../support/browser_login.ts";
import { startE2e } from "../support/e2e.ts";

async function userinfo(issuer: string, token: string): Promise<number> {
  const res = await fetch(`${issuer}/me`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  return res.status;
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "e2e: tokens in the Secret Service",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ browser: true });
    const { provider, browser, configDir } = e2e;
    const keyring = await startPrivateKeyring();
    e2e.defer(() => keyring.stop());
    const env = {
      ...e2e.env,
      DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
    };
    await t.step(
      "login stores the credentials in the keychain, not in a file",
      async () => {
        const r = await browserLogin(browser, [], env);
        assertNotMatch(r.stderr, /No OS keychain/);
        const found = await keyring.secretTool(
          "lookup",
          "service",
          "authctl",
          "username",
          "default",
        );
        assertEquals(found.code, 0);
        assertEquals(JSON.parse(found.stdout).issuer, provider.issuer);
        let files: string[] = [];
        try {
          files = [...Deno.readDirSync(`${configDir}/credentials`)].map((e) =>
            e.name
          );
        } catch { /* no directory at all is fine */ }
        assertEquals(files.filter((n) => n.endsWith(".json")), []);
      },
    );
    await t.step("status names the keychain; token works", async () => {
      const status = JSON.parse(
        (await runCli(["status", "--json"], env)).stdout,
      );
      assertEquals(status.storage.backend, "keychain");
      assertMatch(
        status.storage.location,
        /Secret Service, service "authctl", account "default"/,
      );
      const r = await runCli(["token"], env);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(await userinfo(provider.issuer, r.stdout.trim()), 200);
    });
    await t.step("logout removes it from the keychain", async () => {
      assertEquals((await runCli(["logout"], env)).code, 0);
      const all = await keyring.secretTool(
        "search",
        "--all",
        "service",
        "authctl",
      );
      assertEquals(all.stdout.trim(), "");
      assertEquals((await runCli(["token"], env)).code, 4);
    });
    await t.step(
      "--storage file keeps them in the file even with a keychain",
      async () => {
        await browserLogin(browser, ["--storage", "file"], env);
        const status = JSON.parse(
          (await runCli(["status", "--json", "--storage", "file"], env))
            .stdout,
        );
        assertEquals(status.storage.backend, "file");
        assertEquals(
          (await keyring.secretTool("search", "--all", "service", "authctl"))
            .stdout.trim(),
          "",
        );
        // logout deletes from every backend
        assertEquals((await runCli(["logout"], env)).code, 0);
        assertEquals((await runCli(["token"], env)).code, 4);
      },
    );
  },
});

Deno.test({
  name: "e2e: no usable keychain falls back to the file, says so, never hangs",
  ...opts,
  async fn(t) {
    const probeScript = (extra: string) => `
    import { KeychainStore, loadNapiKeyring } from ${
      JSON.stringify(
        new URL("../../src/store/keychain_store.ts", import.meta.url).href,
      )
    };
    const started = performance.now();
    const r = await new KeychainStore({ service: "authctl-probe-test", keyring: () => loadNapiKeyring() }).probe();
    console.log(JSON.stringify({ ...r, ms: performance.now() - started }));
    ${extra}
  `;
    const probe = async (env: Record<string, string>) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", probeScript("")],
        env,
        clearEnv: true,
      }).output();
      return JSON.parse(new TextDecoder().decode(out.stdout));
    };
    const base = cliEnv("/nonexistent");
    await t.step("no D-Bus session at all", async () => {
      const r = await probe(base);
      assertEquals(r.ok, false);
      assert(r.ms < 3500, `probe took ${r.ms} ms`);
    });
    await t.step("a D-Bus session without a Secret Service", async () => {
      const dir = await Deno.makeTempDir();
      const bus = await startPrivateBus(dir);
      try {
        const r = await probe({
          ...base,
          DBUS_SESSION_BUS_ADDRESS: bus.address,
        });
        assertEquals(r.ok, false);
        assert(r.ms < 3500, `probe took ${r.ms} ms`);
      } finally {
        bus.child.kill("SIGTERM");
        await bus.child.status;
        await Deno.remove(dir, { recursive: true });
      }
    });
    await t.step("login says where the file is, once", async () => {
      await using e2e = await startE2e({ browser: true });
      const { browser, configDir, env } = e2e;
      const r = await browserLogin(browser, [], env);
      const notices = r.stderr.match(/No OS keychain answers here/g) ?? [];
      // One short line: the keychain library's own words only in --debug.
      assertNotMatch(r.stderr, /DBus|dbus|Platform failure/);
      assertEquals(notices.length, 1);
      assertMatch(
        r.stderr,
        new RegExp(`"${configDir}/credentials/default\\.json"`),
      );
      const status = JSON.parse(
        (await runCli(["status", "--json"], env)).stdout,
      );
      assertEquals(status.storage, {
        backend: "file",
        location: `${configDir}/credentials/default.json`,
      });
    });
  },
});

Deno.test({
  name: "e2e: two profiles against two providers, side by side",
  ...opts,
  async fn() {
    await using e2e = await startE2e({ provider: false, browser: true });
    const { browser, env } = e2e;
    const [one, two] = await Promise.all([startProvider(), startProvider()]);
    e2e.defer(() => Promise.all([one.stop(), two.stop()]));
    for (const [name, p] of [["one", one], ["two", two]] as const) {
      const r = await runCli([
        "profiles",
        "add",
        name,
        "--issuer",
        p.issuer,
        "--client-id",
        p.clientId,
      ], env);
      assertEquals(r.code, 0, r.stderr);
    }
    assertEquals((await runCli(["profiles", "use", "one"], env)).code, 0);
    await browserLogin(browser, [], env); // the default profile: one
    await browserLogin(browser, ["--profile", "two"], env);
    const list = JSON.parse(
      (await runCli(["profiles", "list", "--json"], env)).stdout,
    );
    assertEquals(
      list.map((
        p: { name: string; isDefault: boolean; hasCredentials: boolean },
      ) => [p.name, p.isDefault, p.hasCredentials]),
      [["one", true, true], ["two", false, true]],
    );
    // Two shells, two profiles, at the same time.
    const [t1, t2] = await Promise.all([
      runCli(["token"], env),
      runCli(["token"], { ...env, AUTHCTL_PROFILE: "two" }),
    ]);
    assertEquals([t1.code, t2.code], [0, 0]);
    assert(t1.stdout !== t2.stdout);
    assertEquals(await userinfo(one.issuer, t1.stdout.trim()), 200);
    assertEquals(await userinfo(two.issuer, t2.stdout.trim()), 200);
    assertEquals(await userinfo(two.issuer, t1.stdout.trim()), 401);
    // Logging one profile out leaves the other alone.
    assertEquals((await runCli(["logout", "--profile", "one"], env)).code, 0);
    assertEquals((await runCli(["token"], env)).code, 4);
    assertEquals(
      (await runCli(["token", "--profile", "two"], env)).stdout,
      t2.stdout,
    );
    // Removing a profile removes its config and credentials.
    assertEquals((await runCli(["profiles", "remove", "two"], env)).code, 0);
    // Gone for good: the name is now no profile's (exit 2, the others named).
    const gone = await runCli(["token", "--profile", "two"], env);
    assertEquals(gone.code, 2, gone.stderr);
    assertMatch(gone.stderr, /No profile named "two"; profiles: one/);
    const left = JSON.parse(
      (await runCli(["profiles", "list", "--json"], env)).stdout,
    );
    assertEquals(left.map((p: { name: string }) => p.name), ["one"]);
  },
});
