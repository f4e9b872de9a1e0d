import {
  assert,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import {
  parsePorts,
  startCallbackServer,
} from "../../src/flows/callback_server.ts";
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
    const res = await rawRequest(server.port, {
      path: `/callback?state=s&code=${code}`,
    });
    assertEquals(res.status, 200);
    assertEquals((await server.result).get("code"), code);
    // The page never shows the code.
    assertEquals(res.body.includes(code), false);
    assert(res.body.length > 0, "a page was sent");
  } finally {
    await server.close();
  }
});
