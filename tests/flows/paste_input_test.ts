import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "../support/assert.ts";
import { parsePaste, readPastedResponse } from "../../src/flows/paste_input.ts";
import { RefusedError } from "../../src/errors.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";

const expect = {
  redirectUri: "http://127.0.0.1:8765/callback",
  state: "st4te",
  issuer: "https://issuer.example",
  issInResponse: true,
  validate: (p: URLSearchParams) => {
    if (p.get("error")) {
      throw new RefusedError("authorization_refused", "refused");
    }
    return p;
  },
};

Deno.test("paste: the whole redirect address is checked and used", () => {
  const r = parsePaste(
    "  http://127.0.0.1:8765/callback?code=abc&state=st4te&iss=https%3A%2F%2Fissuer.example \n",
    expect,
  );
  assertEquals(r.ok && r.params.get("code"), "abc");
});

Deno.test("paste: a bare code gets this attempt's state and the issuer", () => {
  const r = parsePaste("Zx9-_.~abc", expect);
  assertEquals(
    r.ok && [r.params.get("code"), r.params.get("state"), r.params.get("iss")],
    [
      "Zx9-_.~abc",
      "st4te",
      "https://issuer.example",
    ],
  );
});

Deno.test("paste: bad pastes explain themselves", () => {
  const problem = (text: string) => {
    const r = parsePaste(text, expect);
    return r.ok ? "accepted" : r.problem;
  };
  assertMatch(problem(""), /Nothing was pasted/);
  assertMatch(problem("x".repeat(9000)), /too long/);
  assertMatch(problem("abc\u001b[31m"), /control characters/);
  assertMatch(
    problem("http://127.0.0.1:9999/callback?code=a&state=st4te"),
    /not this login's redirect/,
  );
  assertMatch(
    problem("http://127.0.0.1:8765/callback?code=a&state=other"),
    /another login attempt/,
  );
  assertMatch(
    problem("http://127.0.0.1:8765/callback?code=a"),
    /another login attempt/,
  );
  assertMatch(
    problem("http://127.0.0.1:8765/callback?code=a&state=st4te&state=st4te"),
    /another login attempt/,
  );
  assertMatch(problem("two words"), /neither/);
});

Deno.test("paste: an error response in a pasted address ends the login", () => {
  assertThrows(
    () =>
      parsePaste(
        "http://127.0.0.1:8765/callback?error=access_denied&state=st4te",
        expect,
      ),
    { code: "authorization_refused" },
  );
});

Deno.test("paste: reading asks again after a bad paste; end of input is an error", async () => {
  const t = new BufferTerminal();
  t.input = [
    "nonsense here",
    "http://127.0.0.1:8765/callback?code=ok&state=st4te",
  ];
  const params = await readPastedResponse(
    t,
    expect,
    new AbortController().signal,
  );
  assertEquals(params.get("code"), "ok");
  assertMatch(t.stderr, /neither.*Paste again/);
  await assertRejects(
    () => readPastedResponse(t, expect, new AbortController().signal),
    {
      code: "no_input",
    },
  );
});
