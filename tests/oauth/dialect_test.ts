/**
 * Token-endpoint dialects made standard at the HTTP boundary, and nothing
 * else relaxed.
 */

import { assertEquals } from "../support/assert.ts";
import {
  standardTokenResponse,
  tokenEndpointFetch,
} from "../../src/oauth/dialect.ts";

Deno.test("dialect: a form-encoded answer becomes JSON", async () => {
  const res = await standardTokenResponse(
    new Response("access_token=abc&token_type=bearer&expires_in=28800", {
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
  );
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "application/json");
  assertEquals(await res.json(), {
    access_token: "abc",
    token_type: "bearer",
    expires_in: "28800",
  });
});

Deno.test("dialect: an error member with HTTP 200 is the error it names", async () => {
  for (
    const body of [
      JSON.stringify({ error: "authorization_pending" }),
      "error=slow_down&interval=10",
    ]
  ) {
    const json = body.startsWith("{");
    const res = await standardTokenResponse(
      new Response(body, {
        headers: {
          "content-type": json
            ? "application/json; charset=utf-8"
            : "application/x-www-form-urlencoded",
        },
      }),
    );
    assertEquals(res.status, 400, body);
    assertEquals(typeof (await res.json()).error, "string");
  }
});

Deno.test("dialect: anything else passes unchanged (oauth4webapi judges it)", async () => {
  const html = new Response("<html>captive portal</html>", {
    headers: { "content-type": "text/html" },
  });
  assertEquals(await standardTokenResponse(html), html);
  const error = new Response('{"error":"invalid_grant"}', {
    status: 400,
    headers: { "content-type": "application/json" },
  });
  assertEquals(await standardTokenResponse(error), error);
  const broken = new Response("{not json", {
    headers: { "content-type": "application/json" },
  });
  assertEquals(await standardTokenResponse(broken), broken);
});

Deno.test("dialect: every token request asks for JSON", async () => {
  let accept = "";
  const fetch = tokenEndpointFetch((_url, init) => {
    accept = new Headers(init.headers).get("accept") ?? "";
    return Promise.resolve(Response.json({ access_token: "a" }));
  });
  await fetch("https://as.example/token", {
    method: "POST",
    headers: { accept: "text/plain" },
  });
  assertEquals(accept, "application/json");
});
