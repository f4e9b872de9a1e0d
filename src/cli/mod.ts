/**
 * The command-line interface: one file per command (its flags, their typed
 * values, then a call into `src/app/`), parsed by `@stricli/core`, chosen
 * for its start-up cost: a pure ES module with no dependencies and no
 * `node:` imports, so `authctl token` pays almost nothing for parsing. Each
 * command loads its use case only when it runs.
 *
 * @module
 */

import { buildApplication, buildRouteMap, run } from "@stricli/core";
import { brandText } from "../config/brand.ts";
import { isClosedOutput, UsageError } from "../errors.ts";
import type { CliDeps } from "./types.ts";
import type { CliContext, CommandOutcome } from "./flags.ts";

export type { CliDeps } from "./types.ts";

/** The program's description, first in its help. */
export const PROGRAM_BRIEF =
  "Log in to an OAuth 2.0 / OpenID Connect provider and hand tokens to scripts and tools.";

/**
 * Every command, loaded and built on demand: `token` loads and builds
 * `token` alone (each module loaded costs start-up time).
 */
const COMMANDS = {
  login: () => import("./login.ts").then((m) => m.loginCommand()),
  status: () => import("./status.ts").then((m) => m.statusCommand()),
  token: () => import("./token.ts").then((m) => m.tokenCommand()),
  header: () => import("./token.ts").then((m) => m.headerCommand()),
  exec: () => import("./exec.ts").then((m) => m.execCommand()),
  "git-credential": () =>
    import("./git_credential.ts").then((m) => m.gitCredentialCommand()),
  verify: () => import("./verify.ts").then((m) => m.verifyCommand()),
  logout: () => import("./logout.ts").then((m) => m.logoutCommand()),
  version: () => import("./version.ts").then((m) => m.versionCommand()),
  profiles: () => import("./profiles.ts").then((m) => m.profilesRoutes()),
  api: () => import("./api.ts").then((m) => m.apiCommand()),
  ci: () => import("./ci.ts").then((m) => m.ciRoutes()),
  completion: () =>
    import("./completion.ts").then((m) => m.completionCommand()),
  upgrade: () => import("./upgrade.ts").then((m) => m.upgradeCommand()),
  help: () => import("./help.ts").then((m) => m.helpCommand()),
} as const;

/** The interactive commands that may end with the update notice. */
const NOTICE_COMMANDS = new Set(["login", "status", "profiles", "version"]);

/**
 * The commands to parse `args` with: only the one named first (so `token`
 * builds `token` alone), or all of them for the program's own help, `help`
 * and anything unknown (whose error suggests the nearest name).
 */
export async function routesFor(args: readonly string[]) {
  const first = args[0] as keyof typeof COMMANDS;
  const names = Object.hasOwn(COMMANDS, first) && first !== "help"
    ? [first]
    : Object.keys(COMMANDS) as (keyof typeof COMMANDS)[];
  const built = await Promise.all(names.map((name) => COMMANDS[name]()));
  return buildRouteMap({
    docs: { brief: PROGRAM_BRIEF },
    routes: Object.fromEntries(names.map((name, i) => [name, built[i]])),
  });
}

/**
 * Runs the CLI with `args` (without the program name). Resolves with the
 * exit code when the command succeeded (0, or the program's own for `exec`);
 * throws an AuthctlError otherwise.
 */
export async function runCli(args: string[], cli: CliDeps): Promise<number> {
  const name = cli.build.name;
  if (args[0] === "__complete") return await complete(args.slice(1), cli);
  const application = async (input: string[]) =>
    buildApplication<CliContext>(await routesFor(input), {
      name,
      versionInfo: { currentVersion: cli.build.version },
      scanner: {
        caseStyle: "allow-kebab-for-camel",
        allowArgumentEscapeSequence: true,
      },
      documentation: {
        caseStyle: "convert-camel-to-kebab",
        disableAnsiColor: true,
        onlyRequiredInUsageLine: true,
      },
    });
  let input = await normalize(args);
  // The update notice, for a person at a terminal: only these commands
  // load it (never `token` and the others scripts run).
  const notice = NOTICE_COMMANDS.has(input[0]) && !helpPath(input)
    ? (await import("./update_notice.ts")).updateNotice(cli)
    : undefined;
  for (let depth = 0; depth < 2; depth++) {
    let stderr = "";
    // A reader that went away (`| head`): said once, by main.ts, quietly.
    let closed: unknown;
    const outcome: CommandOutcome = { exitCode: 0 };
    const context: CliContext & {
      process: { exitCode?: number | string | null };
    } = {
      cli,
      outcome,
      process: {
        stdout: {
          write: (text) => {
            if (closed) return;
            try {
              cli.terminal.out(brandText(text, name));
            } catch (err) {
              if (!isClosedOutput(err)) throw err;
              closed = err;
            }
          },
        },
        // The parser writes only its usage errors here: they are reported
        // once, by main.ts, as one line with the hint.
        stderr: { write: (text) => void (stderr += text) },
        // Left unset: the parser sets it (`??=`) to its own outcome.
        exitCode: undefined,
      },
    };
    await run(await application(input), input, context);
    if (closed) throw closed;
    if (outcome.error !== undefined) throw outcome.error;
    if (outcome.rerun) {
      input = outcome.rerun;
      continue;
    }
    const code = Number(context.process.exitCode ?? 0);
    if (code !== 0 || stderr) {
      const said = stderr.trim().split("\n").map((l) => l.trim()).join("; ");
      const sentence = said || `Invalid usage (${code})`;
      throw new UsageError(
        "usage",
        `${sentence}${
          /[.?!]$/.test(sentence) ? "" : "."
        } Run "${name} --help" for usage.`,
      );
    }
    // Help ends with examples (and, for the program, the exit codes).
    const help = helpPath(input);
    if (help !== undefined) {
      const { helpEpilogue } = await import("./examples.ts");
      cli.terminal.out(helpEpilogue(help, name));
    }
    await notice?.finish();
    return outcome.exitCode;
  }
  return 0;
}

/**
 * `__complete CURRENT -- WORDS…`, what the completion scripts call: the
 * candidates for CURRENT, one a line. Never an error: a shell shows none.
 */
async function complete(args: string[], cli: CliDeps): Promise<number> {
  const [current = "", separator, ...words] = args;
  if (separator !== undefined && separator !== "--") return 0;
  let profiles: string[] = [];
  try {
    const { configContext } = await import("./context.ts");
    profiles = Object.keys((await configContext(cli)).config.profiles);
  } catch { /* no or a broken config file: no profile names */ }
  const { completions } = await import("./completion.ts");
  const found = completions(await routesFor([]), words, current, profiles);
  if (found.length) cli.terminal.out(found.join("\n") + "\n");
  return 0;
}

/**
 * The command whose help `args` asks for ("" for the program), or
 * undefined when they ask for none.
 */
function helpPath(args: readonly string[]): string | undefined {
  const end = args.indexOf("--");
  const before = end < 0 ? args : args.slice(0, end);
  const asked = before.length === 0 ||
    before.some((a) => a === "--help" || a === "-h" || a === "--helpAll");
  if (!asked) return undefined;
  const first = before[0] ?? "";
  if (!Object.hasOwn(COMMANDS, first)) return "";
  if (first === "profiles") {
    const sub = before[1];
    return sub && ["list", "use", "add", "remove"].includes(sub)
      ? `profiles ${sub}`
      : "profiles";
  }
  return first;
}

/**
 * The two spellings the parser does not know by itself: `-V` for
 * `--version`, and `exec`'s program arguments, which end authctl's own
 * flags at the program's name (as `--` would).
 */
async function normalize(args: string[]): Promise<string[]> {
  if (args.length === 1 && args[0] === "-V") return ["--version"];
  if (args[0] !== "exec") return args;
  const { EXEC_VALUE_FLAGS } = await import("./exec.ts");
  for (let i = 1; i < args.length; i++) {
    const word = args[i];
    if (word === "--") return args;
    if (word.startsWith("-") && word !== "-") {
      if (!word.includes("=") && EXEC_VALUE_FLAGS.has(word)) i++;
      continue;
    }
    return [...args.slice(0, i), "--", ...args.slice(i)];
  }
  return args;
}
