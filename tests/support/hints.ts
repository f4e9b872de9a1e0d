/**
 * The commands authctl's messages tell a person to run, found and run as
 * the person would: every hint must be a command that makes progress.
 */

import { assert } from "./assert.ts";
import { type CliResult, spawnCli } from "./cli.ts";

/** The loopback flow's URL line. */
const URL_LINE = /\n {2}(http:\/\/127\.0\.0\.1:\d+\/\S+)\n/;

/**
 * Every command a message names: after "Run:", "with:", "instead:" or
 * "tokens:", from the program's name to the end of its line.
 */
export function hintsIn(text: string, name = "authctl"): string[][] {
  const found: string[][] = [];
  const pattern = new RegExp(
    `(?:Run|with|tokens|run):\\s+(?:[^|\\n]*\\|\\s*)?(${name} [^\\n]*)`,
    "g",
  );
  for (const m of text.matchAll(pattern)) {
    found.push(shellWords(m[1].replace(/[.)]$/, "")).slice(1));
  }
  return found;
}

/** The one command a message names (fails the test when there is none). */
export function hintIn(text: string): string[] {
  const hints = hintsIn(text);
  assert(hints.length > 0, `no command named in:\n${text}`);
  return hints[0];
}

/** Splits a command line as a POSIX shell would (quotes, no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (c === "\\" && i + 1 < line.length) {
      word = (word ?? "") + line[++i];
    } else if (c === " ") {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * Runs a hinted command as the person would. A login that opens the
 * browser is approved by following the provider's redirect (the provider
 * doubles approve at once).
 */
export async function runHint(
  args: string[],
  env: Record<string, string>,
): Promise<CliResult> {
  const cli = await spawnCli(args, env);
  if (args[0] === "login") {
    let exited = false;
    cli.child.status.then(() => exited = true);
    let url: string | undefined;
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      url = cli.stderr().match(URL_LINE)?.[1];
      if (url || exited) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    if (url) {
      const auth = await fetch(url, { redirect: "manual" });
      await auth.body?.cancel();
      const location = auth.headers.get("location");
      if (location) {
        await fetch(location).then((r) => r.body?.cancel(), () => {});
      }
    }
  }
  return await cli.finish();
}
