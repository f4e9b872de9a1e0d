import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { startCallbackServer } from "../../src/flows/callback_server.ts";
import { parsePorts } from "../../src/config/settings.ts";
import { RefusedError } from "../../src/errors.ts";
import { rawRequest } from "../support/http.ts";

Deno.test("ports: single, list, range; bad specifications are usage errors", () => {
  assertEquals(parsePorts(""), [0]);
  assertEquals(parsePorts("8765"), [8765]);
  assertEquals(parsePorts("8765,8770"), [8765, 8770]);
  assertEquals(parsePorts("8765-8767"), [8765, 8766, 8767]);
  for (const bad of ["0-3", "abc", "8769-8765", "70000", "1-5000"]) {
    assertThrows(() => parsePorts(bad), { code: "invalid_port" });
  }
});

Deno.test("callback server: a failed validation fails the login, once", async () => {
  const server = await startCallbackServer({
    ports: [0],
    state: "s1",
    validate: () => {
      throw new RefusedError("authorization_refused", "Refused <b>.");
    },
  });
  try {
    const res = await rawRequest(server.port, {
      path: "/callback?state=s1&error=x",
    });
    assertEquals(res.status, 400);
    assertEquals(
      res.headers.get("content-security-policy")?.startsWith(
        "default-src 'none'",
      ),
      true,
    );
    await assertRejects(() => server.result, { code: "authorization_refused" });
    // The wait is over: later requests find nothing.
    assertEquals(
      (await rawRequest(server.port, { path: "/callback?state=s1" })).status,
      404,
    );
  } finally {
    await server.close();
  }
});

Deno.test("callback server: the redirect URI names 127.0.0.1 and the bound port", async () => {
  const server = await startCallbackServer({
    ports: [0],
    state: "s",
    validate: (p) => p,
  });
  try {
    assertEquals(
      server.redirectUri,
      `http://127.0.0.1:${server.port}/callback`,
    );
    const code = "the-authorization-code-3f9a";
    const pending = rawRequest(server.port, {
      path: `/callback?state=s&code=${code}`,
    });
    assertEquals((await server.result).get("code"), code);
    // The page waits for the login's outcome (the code exchange).
    server.finish({ ok: true, account: "alice" });
    const res = await pending;
    assertEquals(res.status, 200);
    assertEquals(res.body.includes("authctl is logged in as alice"), true);
    // The page never shows the code.
    assertEquals(res.body.includes(code), false);
    assert(res.body.length > 0, "a page was sent");
  } finally {
    await server.close();
  }
});

Deno.test("callback server: the page tells the truth: a failed exchange, or a slow one", async () => {
  for (
    const [outcome, status, text] of [
      [
        { ok: false, reason: "The provider answered <b>invalid_grant</b>." },
        400,
        /acmectl could not complete the login: The provider answered &#60;b&#62;invalid_grant&#60;\/b&#62;\./,
      ],
      [
        undefined,
        202,
        /acmectl is still finishing the login\. Look at your terminal\./,
      ],
    ] as const
  ) {
    const server = await startCallbackServer({
      ports: [0],
      state: "s",
      validate: (p) => p,
      appName: "acmectl",
      outcomeWaitMs: 300,
    });
    try {
      const pending = rawRequest(server.port, {
        path: "/callback?state=s&code=c",
      });
      await server.result;
      if (outcome) server.finish(outcome);
      const res = await pending;
      assertEquals(res.status, status);
      assert(text.test(res.body), res.body);
    } finally {
      await server.close();
    }
  }
});
