import { assertEquals, assertMatch } from "../support/assert.ts";
import { noticePushedExpiry } from "../../src/flows/wait.ts";
import { BufferTerminal } from "../../src/platform/terminal.ts";
import { FakeClock } from "../support/fake_clock.ts";

const settle = () => new Promise((r) => setTimeout(r, 0));

Deno.test("noticePushedExpiry: said once when the pushed request lapses", async () => {
  const terminal = new BufferTerminal();
  const clock = new FakeClock();
  const signal = new AbortController().signal;
  noticePushedExpiry({ clock, terminal, signal }, 90_000, "acmectl login");
  await settle();
  assertEquals(clock.sleeps, [90_000]);
  assertMatch(
    terminal.stderr,
    /expired.*90 s only.*invalid_request_uri.*"acmectl login" again/,
  );
});

Deno.test("noticePushedExpiry: silent once stopped, or without a pushed request", async () => {
  const terminal = new BufferTerminal();
  const clock = new FakeClock();
  const signal = new AbortController().signal;
  const stop = noticePushedExpiry({ clock, terminal, signal }, 60_000, "x");
  stop(); // the login ended before the sleep's end was seen
  noticePushedExpiry({ clock, terminal, signal }, undefined, "x");
  await settle();
  assertEquals(terminal.stderr, "");
});
