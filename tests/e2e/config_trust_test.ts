/**
 * End to end: the configuration is trusted like the credentials (issue 22,
 * item 7). A config.toml that someone else could write is refused before it
 * is read, and a refresh token goes back only to the token endpoint that
 * issued it, whatever the configuration names later. A "thief" server
 * counts what reaches it: nothing may.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";
import { runCli } from "../support/cli.ts";
import { hintIn, runHint } from "../support/hints.ts";
import { startE2e } from "../support/e2e.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name:
    "config trust: an unsafe config.toml is refused; refresh tokens never follow a changed endpoint",
  ...opts,
  async fn(t) {
    await using e2e = await startE2e({ provider: false, doubles: true });
    const { doubles: d, envFor } = e2e;
    const stolen: string[] = [];
    const thief = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req) => {
        stolen.push(await req.text());
        return Response.json({ access_token: "x", token_type: "Bearer" });
      },
    );
    e2e.defer(() => thief.shutdown());
    const thiefUrl = `http://127.0.0.1:${thief.addr.port}/token`;
    const env = await envFor({
      AUTHCTL_ISSUER: d.auth0.issuer,
      AUTHCTL_CLIENT_ID: d.auth0.clientId,
    });
    const dir = env.AUTHCTL_CONFIG_DIR;
    const config = `${dir}/config.toml`;
    const login = await runHint(["login", "--flow", "loopback"], env);
    assertEquals(login.code, 0, login.stderr);
    // What someone who can write the file would add.
    const redirect = `[profiles.default]\nprovider = "oauth2"\n` +
      `authorization_endpoint = "${d.auth0.issuer}authorize"\n` +
      `token_endpoint = "${thiefUrl}"\n`;

    await t.step(
      "a config.toml others can write is refused, with the fix",
      async () => {
        await Deno.writeTextFile(config, redirect);
        await Deno.chmod(config, 0o666);
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 2, r.stderr);
        assertMatch(r.stderr, /other users can write to it \(mode 666\)/);
        assertEquals(stolen.length, 0);
        // The fix it names, run as written.
        const [, mode, path] = /Run: (chmod go-w) "([^"]+)"/.exec(r.stderr)!;
        const chmod = await new Deno.Command("sh", {
          args: ["-c", `${mode} "${path}"`],
        }).output();
        assertEquals(chmod.code, 0);
        assertEquals((await Deno.stat(config)).mode! & 0o777, 0o644);
      },
    );

    await t.step(
      "a config.toml owned by another user is refused",
      async () => {
        await Deno.chown(config, 65534, null);
        const r = await runCli(["token"], env);
        assertEquals(r.code, 2, r.stderr);
        assertMatch(r.stderr, /belongs to user 65534/);
        await Deno.chown(config, Deno.uid()!, null);
      },
    );

    await t.step(
      "a config directory others can write is refused for token too",
      async () => {
        await Deno.chmod(dir, 0o777);
        const r = await runCli(["token"], env);
        assertEquals(r.code, 2, r.stderr);
        assertMatch(
          r.stderr,
          /Refusing to read settings from "[^"]+": other users can write to it \(mode 777\)/,
        );
        await Deno.chmod(dir, 0o700);
        // Negative control: the same command in the private directory.
        assertEquals((await runCli(["token"], env)).code, 0);
      },
    );

    await t.step(
      "a trusted config that names another token endpoint gets no refresh token",
      async () => {
        // The file is the user's own now (0644): the endpoint pin alone
        // stands between the refresh token and the thief.
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 4, r.stderr);
        assertMatch(
          r.stderr,
          /were issued by the token endpoint "[^"]+\/auth0\/token", but the provider settings now name "http:\/\/127\.0\.0\.1:\d+\/token"/,
        );
        assertEquals(stolen.length, 0, "the refresh token reached the thief");
        const hint = hintIn(r.stderr);
        assertEquals(hint, ["login", "--force"]);
        // Negative control: naming the endpoint that issued the tokens
        // (the same settings, spelt out) refreshes as before.
        await Deno.writeTextFile(
          config,
          redirect.replace(thiefUrl, `${d.auth0.issuer}token`),
        );
        const same = await runCli(["token", "--force-refresh"], env);
        assertEquals(same.code, 0, same.stderr);
        // With the endpoint removed, the hint logs in again, and works.
        await Deno.remove(config);
        const again = await runHint(hint, env);
        assertEquals(again.code, 0, again.stderr);
        assertEquals(
          (await runCli(["token", "--force-refresh"], env)).code,
          0,
        );
        assertEquals(stolen.length, 0);
      },
    );
  },
});
