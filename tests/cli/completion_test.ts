/**
 * The completion engine, from the parser's own definitions.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";
import { routesFor } from "../../src/cli/mod.ts";
import {
  completions,
  completionScript,
  SHELLS,
} from "../../src/cli/completion.ts";

const routes = await routesFor([]);
const profiles = ["prod", "stage"];
const at = (words: string[], current = "") =>
  completions(routes, words, current, profiles);

Deno.test("completion: commands, subcommands, flags and their values", () => {
  assertEquals(at([], "to"), ["token"]);
  assertEquals(at(["profiles"]), ["list", "use", "add", "remove"]);
  assertEquals(at(["token"], "--f"), ["--format", "--force-refresh"]);
  assertEquals(at(["token", "--format"]), ["plain", "json", "kubectl"]);
  assertEquals(at(["login", "--flow"], "d"), ["device"]);
  assertEquals(at(["login", "--storage"]), ["auto", "keychain", "file"]);
  assertEquals(at(["login", "--provider"], "g"), ["github", "google"]);
  assertEquals(at(["login"], "--no-b"), ["--no-browser"]);
  assertEquals(at(["git-credential"]), ["get", "store", "erase"]);
  assertEquals(at(["completion"]), ["bash", "zsh", "fish", "powershell"]);
  assertEquals(at(["help"], "ver"), ["verify", "version"]);
});

Deno.test("completion: profile names from config.toml", () => {
  assertEquals(at(["token", "--profile"]), ["prod", "stage"]);
  assertEquals(at(["profiles", "use"], "s"), ["stage"]);
  assertEquals(at(["profiles", "remove"]), ["prod", "stage"]);
  // A value that is not an enum or a profile: nothing to offer.
  assertEquals(at(["login", "--issuer"]), []);
});

Deno.test("completion: a branded binary completes under its own name", () => {
  for (const shell of SHELLS) {
    const script = completionScript(shell, "acmectl");
    assertMatch(script, /acmectl'? __complete/);
    assertEquals(/\bauthctl\b/.test(script), false, shell);
  }
});
