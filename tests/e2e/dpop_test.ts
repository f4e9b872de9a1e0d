/**
 * End to end: DPoP-bound tokens (RFC 9449) from oidc-provider (its dPoP
 * feature is on), and a test API that checks each proof with jose and the
 * token's `cnf.jkt` by introspection. `authctl api` is accepted; the same
 * token as a plain Bearer token, or with a replayed proof, is refused.
 */

import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import * as jose from "jose";
import { browserLogin } from "../support/browser_login.ts";
import { runCli, spawnCli } from "../support/cli.ts";
import { sampleProcesses } from "../support/proc.ts";
import { FileStore } from "../../src/store/file_store.ts";
import { startE2e } from "../support/e2e.ts";

Deno.test({
  name: "e2e: DPoP-bound tokens and authctl api",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    // The provider asks for its own DPoP nonce (RFC 9449 §8) on every
    // token request, so each login and refresh answers that challenge.
    await using e2e = await startE2e({
      provider: ["--dpop-nonce"],
      browser: true,
      env: { AUTHCTL_STORAGE: "file", AUTHCTL_DPOP: "always" },
    });
    const { provider, browser, configDir, env } = e2e;
    const usedJti = new Set<string>();
    let requireNonce = false;
    const nonce = "api-nonce-1";
    let lastProof: { auth: string; dpop: string } | undefined;
    const introspect = async (token: string) => {
      const res = await fetch(`${provider.issuer}/token/introspection`, {
        method: "POST",
        headers: {
          authorization: `Basic ${btoa("introspector:introspector-secret")}`,
        },
        body: new URLSearchParams({ token }),
      });
      return await res.json();
    };
    const refuse = (error: string, extra: Record<string, string> = {}) =>
      new Response(`${error}\n`, {
        status: 401,
        headers: { "www-authenticate": `DPoP error="${error}"`, ...extra },
      });
    const api = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (req) => {
        const auth = req.headers.get("authorization") ?? "";
        const token = /^(?:DPoP|Bearer) (.+)$/.exec(auth)?.[1] ?? "";
        const info = await introspect(token);
        if (!info.active) return refuse("invalid_token");
        const jkt = info.cnf?.jkt;
        const proofJwt = req.headers.get("dpop");
        if (!auth.startsWith("DPoP ") || !proofJwt || !jkt) {
          return refuse("invalid_token"); // a bound token needs its proof
        }
        try {
          const { payload, protectedHeader } = await jose.jwtVerify(
            proofJwt,
            jose.EmbeddedJWK,
            { typ: "dpop+jwt", maxTokenAge: 60 },
          );
          const thumb = await jose.calculateJwkThumbprint(protectedHeader.jwk!);
          const ath = new Uint8Array(
            await crypto.subtle.digest(
              "SHA-256",
              new TextEncoder().encode(token),
            ),
          ).toBase64({ alphabet: "base64url", omitPadding: true });
          const url = new URL(req.url);
          if (
            thumb !== jkt || payload.htm !== req.method ||
            payload.htu !== `${url.origin}${url.pathname}` ||
            payload.ath !== ath || typeof payload.jti !== "string" ||
            usedJti.has(payload.jti)
          ) {
            return refuse("invalid_dpop_proof");
          }
          if (requireNonce && payload.nonce !== nonce) {
            return refuse("use_dpop_nonce", { "dpop-nonce": nonce });
          }
          usedJti.add(payload.jti);
        } catch {
          return refuse("invalid_dpop_proof");
        }
        lastProof = { auth, dpop: proofJwt };
        return Response.json({ sub: info.sub });
      },
    );
    e2e.defer(() => api.shutdown());
    const base = `http://127.0.0.1:${api.addr.port}/me`;
    const store = new FileStore({ configDir });
    await t.step(
      "login binds the tokens to a new key, kept with them",
      async () => {
        await browserLogin(browser, ["--flow", "loopback"], env);
        const stored = (await store.get("default"))!;
        assertEquals(stored.tokenType.toLowerCase(), "dpop");
        assert(stored.dpop?.jkt, "a key thumbprint");
        assertEquals(stored.dpop.alg, "ES256");
        const status = JSON.parse(
          (await runCli(["status", "--json"], env)).stdout,
        );
        assertEquals(status.dpopThumbprint, stored.dpop.jkt);
        assertMatch(
          (await runCli(["status"], env)).stdout,
          /Bound to: +a proof-of-possession key \(DPoP, thumbprint /,
        );
        const info = await introspect(stored.accessToken);
        assertEquals(info.cnf?.jkt, stored.dpop.jkt);
      },
    );

    await t.step(
      "each login makes a new key: the last login's key is never reused",
      async () => {
        const before = (await store.get("default"))!;
        await browserLogin(browser, ["--flow", "loopback", "--force"], env);
        const after = (await store.get("default"))!;
        assert(after.dpop?.jkt, "bound again");
        assert(
          after.dpop.jkt !== before.dpop!.jkt,
          "a new login reused the old key",
        );
        assert(
          (after.dpop.privateJwk as { d: string }).d !==
            (before.dpop!.privateJwk as { d: string }).d,
        );
        // The provider bound the new tokens to the new key.
        assertEquals(
          (await introspect(after.accessToken)).cnf?.jkt,
          after.dpop.jkt,
        );
      },
    );

    await t.step(
      "authctl api presents a fresh proof; the API accepts it",
      async () => {
        const r = await runCli(["api", base], env);
        assertEquals(r.code, 0, r.stderr);
        assertEquals(JSON.parse(r.stdout), { sub: "alice" });
      },
    );

    await t.step(
      "the copied token alone, or a replayed proof, is refused",
      async () => {
        const token = (await store.get("default"))!.accessToken;
        const bearer = await fetch(base, {
          headers: { authorization: `Bearer ${token}` },
        });
        await bearer.body?.cancel();
        assertEquals(bearer.status, 401);
        const replay = await fetch(base, {
          headers: { authorization: lastProof!.auth, dpop: lastProof!.dpop },
        });
        await replay.body?.cancel();
        assertEquals(replay.status, 401);
      },
    );

    await t.step("the API's nonce challenge is answered once", async () => {
      requireNonce = true;
      const r = await runCli(["api", base], env);
      requireNonce = false;
      assertEquals(r.code, 0, r.stderr);
    });

    await t.step(
      "a refresh keeps the binding; logout removes key and tokens",
      async () => {
        const before = (await store.get("default"))!;
        const r = await runCli(["token", "--force-refresh"], env);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stderr, /bound to a proof-of-possession key \(DPoP/);
        const after = (await store.get("default"))!;
        assert(after.accessToken !== before.accessToken);
        assertEquals(after.dpop?.jkt, before.dpop?.jkt);
        assertEquals(
          (await introspect(after.accessToken)).cnf?.jkt,
          before.dpop?.jkt,
        );
        assertEquals((await runCli(["api", base], env)).code, 0);
      },
    );

    await t.step(
      "header --url gives one request's proof, which curl presents",
      async () => {
        const h = await runCli(["header", "--url", base], env);
        assertEquals(h.code, 0, h.stderr);
        const [auth, proof] = h.stdout.trim().split("\n");
        assertMatch(auth, /^Authorization: DPoP \S+$/);
        assertMatch(proof, /^DPoP: ey\S+$/);
        const curl = async (headers: string, method = "GET") => {
          const out = await new Deno.Command("curl", {
            args: [
              "-s",
              "-o",
              "/dev/null",
              "-w",
              "%{http_code}",
              "-X",
              method,
              "-H",
              "@-",
              base,
            ],
            stdin: "piped",
            stdout: "piped",
          }).spawn();
          const w = out.stdin.getWriter();
          await w.write(new TextEncoder().encode(headers));
          await w.close();
          return new TextDecoder().decode((await out.output()).stdout);
        };
        assertEquals(await curl(h.stdout), "200");
        // Negative controls: the proof is good once, for its method only.
        assertEquals(await curl(h.stdout), "401");
        const post = await runCli(
          ["header", "--url", base, "--method", "post"],
          env,
        );
        assertEquals(post.code, 0, post.stderr);
        assertEquals(await curl(post.stdout, "GET"), "401");
        const plain = await runCli([
          "header",
          "--url",
          "http://example.com/x",
        ], env);
        assertEquals(plain.code, 2);
        assertMatch(plain.stderr, /use https/);
      },
    );

    await t.step(
      "--debug shows neither the key, the proofs nor the token",
      async () => {
        const stored = (await store.get("default"))!;
        const r = await runCli(["api", "--debug", base], env);
        assertEquals(r.code, 0, r.stderr);
        const d = (stored.dpop!.privateJwk as { d: string }).d;
        assert(!r.stderr.includes(d), "private key in --debug output");
        assert(!r.stderr.includes(stored.accessToken), "token in --debug");
        const jwt = /.{0,60}\beyJ[\w-]{4,}\.[\w-]{4,}\..{0,10}/.exec(
          r.stderr,
        );
        assert(!jwt, `a JWT in --debug: ${jwt?.[0]}`);
        assertMatch(r.stderr, /DPoP/); // the trace did show the request
      },
    );

    await t.step(
      "no argv or environment holds the key, a token or a proof",
      async () => {
        let samples = "";
        const sampled = async (args: string[]) => {
          const cli = await spawnCli(args, env);
          const timer = setInterval(
            () => (samples += sampleProcesses(cli.child.pid)),
            5,
          );
          samples += sampleProcesses(cli.child.pid);
          const r = await cli.finish();
          clearInterval(timer);
          assertEquals(r.code, 0, r.stderr);
        };
        await sampled(["token", "--force-refresh"]); // a refresh, with proofs
        await sampled(["api", base]); // a request, with a proof
        const stored = (await store.get("default"))!;
        assertMatch(samples, /api/); // the sampler saw the process
        const secrets = [
          (stored.dpop!.privateJwk as { d: string }).d,
          stored.accessToken,
          stored.refreshToken!,
          lastProof!.dpop,
        ];
        for (const secret of secrets) {
          assert(!samples.includes(secret), "a secret in /proc");
        }
      },
    );

    await t.step(
      "exec, kubectl and a bare header refuse a bound token, saying why",
      async () => {
        const exec = await runCli(["exec", "--", "true"], env);
        assertEquals(exec.code, 2);
        assertMatch(
          exec.stderr,
          /bound to a proof-of-possession key \(DPoP.* api URL/,
        );
        assertEquals(
          (await runCli(["token", "--format", "kubectl"], env)).code,
          2,
        );
        assertEquals((await runCli(["header"], env)).code, 2);
        const git = await runCli(
          ["git-credential", "get"],
          { ...env, AUTHCTL_GIT_HOSTS: "git.example" },
          "protocol=https\nhost=git.example\n\n",
        );
        assertEquals(git.code, 2, git.stderr);
        assertMatch(git.stderr, /git cannot use them/);
        // Logout revokes the bound refresh token, with a proof of the key.
        const bound = (await store.get("default"))!;
        assertEquals((await introspect(bound.refreshToken!)).active, true);
        const out = await runCli(["logout", "--debug"], env);
        assertEquals(out.code, 0, out.stderr);
        assertMatch(
          out.stderr,
          /> POST \S+\/token\/revocation\n(?:\[debug\] > [^\n]*\n)*?\[debug\] > dpop: \[redacted proof\]/,
        );
        assertEquals(await store.get("default"), undefined);
        assertEquals((await introspect(bound.refreshToken!)).active, false);
      },
    );
  },
});
