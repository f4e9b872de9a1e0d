/**
 * End to end: `authctl api` against an API that checks tokens at the real
 * provider (oidc-provider's userinfo): the body on stdout, --include, --data,
 * one refresh and one retry after `invalid_token`, the documented exit
 * codes, and no token carried to another origin.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { browserLogin } from "../support/browser_login.ts";
import { runCli } from "../support/cli.ts";
import { startE2e } from "../support/e2e.ts";

Deno.test({
  name: "e2e: authctl api calls an API with the profile's token",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using e2e = await startE2e({
      browser: true,
      env: { AUTHCTL_STORAGE: "file" },
    });
    const { provider, browser, configDir, env } = e2e;
    const seen: { path: string; auth: string | null }[] = [];
    const refused = new Set<string>();
    const elsewhere: (string | null)[] = [];
    const other = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) => {
        elsewhere.push(req.headers.get("authorization"));
        return new Response("elsewhere\n");
      },
    );
    e2e.defer(() => other.shutdown());
    const invalid = () =>
      new Response("refused\n", {
        status: 401,
        headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      });
    const api = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req) => {
        const url = new URL(req.url);
        const auth = req.headers.get("authorization");
        seen.push({ path: url.pathname, auth });
        const token = auth?.replace(/^Bearer /, "") ?? "";
        if (url.pathname === "/away") {
          return Response.redirect(`http://127.0.0.1:${other.addr.port}/`, 302);
        }
        if (url.pathname === "/always-401") return invalid();
        if (refused.has(token)) return invalid();
        const me = await fetch(`${provider.issuer}/me`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (me.status !== 200) {
          await me.body?.cancel();
          return invalid();
        }
        const user = await me.json();
        if (url.pathname === "/me") return Response.json({ sub: user.sub });
        if (url.pathname === "/echo") {
          return new Response(await req.text(), {
            headers: { "x-method": req.method },
          });
        }
        return new Response("no such thing\n", { status: 404 });
      },
    );
    e2e.defer(() => api.shutdown());
    const base = `http://127.0.0.1:${api.addr.port}`;
    await browserLogin(browser, [], env);

    await t.step(
      "GET: the body on stdout; --include puts the head on stderr",
      async () => {
        const r = await runCli(["api", "--include", `${base}/me`], env);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(JSON.parse(r.stdout), { sub: "alice" });
        assertMatch(r.stderr, /^HTTP 200 OK\n/);
        assertMatch(r.stderr, /content-type: application\/json/);
        const token = (await runCli(["token"], env)).stdout.trim();
        assertEquals(seen.at(-1)?.auth, `Bearer ${token}`);
      },
    );

    await t.step(
      "--data from a string, a file and stdin; POST by default",
      async () => {
        const file = `${configDir}/body.json`;
        await Deno.writeTextFile(file, '{"from":"file"}');
        const a = await runCli([
          "api",
          "--data",
          "plain text",
          `${base}/echo`,
        ], env);
        assertEquals(a.stdout, "plain text");
        const b = await runCli(
          [
            "api",
            "--method",
            "put",
            "--data",
            `@${file}`,
            "--include",
            `${base}/echo`,
          ],
          env,
        );
        assertEquals(b.stdout, '{"from":"file"}');
        assertMatch(b.stderr, /x-method: PUT/);
        const c = await runCli(
          ["api", "--data", "-", `${base}/echo`],
          env,
          "from stdin",
        );
        assertEquals(c.stdout, "from stdin");
      },
    );

    await t.step("invalid_token: one refresh, one retry", async () => {
      const old = (await runCli(["token"], env)).stdout.trim();
      refused.add(old);
      const before = seen.length;
      const r = await runCli(["api", `${base}/me`], env);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(r.stdout), { sub: "alice" });
      const calls = seen.slice(before);
      assertEquals(calls.length, 2);
      assertEquals(calls[0].auth, `Bearer ${old}`);
      assert(calls[1].auth !== `Bearer ${old}`, "retried with a new token");
    });

    await t.step(
      "refused after the retry: exit 4, never a third try",
      async () => {
        const before = seen.length;
        const r = await runCli(["api", `${base}/always-401`], env);
        assertEquals(r.code, 4, r.stderr);
        assertMatch(r.stderr, /refused the token \(HTTP 401/);
        assertEquals(seen.length - before, 2);
      },
    );

    await t.step(
      "another status: exit 1 with the status line; unreachable: exit 3",
      async () => {
        const r = await runCli(["api", `${base}/nothing`], env);
        assertEquals(r.code, 1);
        assertEquals(r.stdout, "no such thing\n");
        assertMatch(r.stderr, /HTTP 404 Not Found from/);
        const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (dead.addr as Deno.NetAddr).port;
        dead.close();
        const u = await runCli(["api", `http://127.0.0.1:${port}/`], env);
        assertEquals(u.code, 3, u.stderr);
      },
    );

    await t.step(
      "a redirect to another origin never carries the token",
      async () => {
        const r = await runCli(["api", `${base}/away`], env);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(r.stdout, "elsewhere\n");
        assertEquals(elsewhere, [null]);
      },
    );

    await t.step(
      "plain http to another host and an Authorization header are refused",
      async () => {
        const r = await runCli(["api", "http://api.example.com/me"], env);
        assertEquals(r.code, 2);
        assertMatch(r.stderr, /use https/);
        const h = await runCli(
          ["api", "--header", "Authorization: Bearer mine", `${base}/me`],
          env,
        );
        assertEquals(h.code, 2);
      },
    );
  },
});
