import { assertEquals, assertThrows } from "../support/assert.ts";
import { isSecureUrl, requireSecureUrl } from "../../src/platform/env.ts";

Deno.test("secure url: https anywhere, http only to this machine", () => {
  const cases: [string, boolean][] = [
    ["https://login.example.com/x", true],
    ["http://127.0.0.1:8080/cb", true],
    ["http://127.8.9.10/", true],
    ["http://localhost/", true],
    ["http://[::1]:9/", true],
    ["http://login.example.com/", false],
    ["http://127.0.0.1.example.com/", false],
    ["http://localhost.example.com/", false],
    ["ftp://127.0.0.1/", false],
    ["file:///etc/passwd", false],
    ["javascript:alert(1)", false],
  ];
  for (const [url, ok] of cases) {
    assertEquals(isSecureUrl(new URL(url)), ok, url);
  }
});

Deno.test("secure url: the caller's refusal is what is thrown", () => {
  const url = new URL("https://a.example/");
  assertEquals(requireSecureUrl(url, () => new Error("no")), url);
  assertThrows(
    () =>
      requireSecureUrl(
        new URL("http://a.example/"),
        (u) => new Error(`no ${u.host}`),
      ),
    { message: /no a\.example/ },
  );
});
