/**
 * The command-line interface: one file per command, each a thin layer from
 * flags to a use case in `src/app/`.
 *
 * @module
 */

import {
  Command,
  CommanderError,
  type CommandUnknownOpts,
} from "@commander-js/extra-typings";
import { brandText } from "../config/brand.ts";
import { UsageError } from "../errors.ts";
import type { CliDeps } from "./context.ts";
import { type CommandOutcome, execCommand } from "./exec.ts";
import { gitCredentialCommand } from "./git_credential.ts";
import { loginCommand } from "./login.ts";
import { logoutCommand } from "./logout.ts";
import { profilesCommand } from "./profiles.ts";
import { statusCommand } from "./status.ts";
import { headerCommand, tokenCommand } from "./token.ts";
import { verifyCommand } from "./verify.ts";
import { versionCommand } from "./version.ts";

export type { CliDeps } from "./context.ts";

/** Commander outcomes that are not errors. */
const BENIGN = new Set([
  "commander.helpDisplayed",
  "commander.help",
  "commander.version",
]);

/**
 * Runs the CLI with `args` (without the program name). Resolves with the
 * exit code when the command succeeded (0, or the program's own for `exec`);
 * throws an AuthctlError otherwise.
 */
export async function runCli(args: string[], cli: CliDeps): Promise<number> {
  const outcome: CommandOutcome = { exitCode: 0 };
  const output = {
    writeOut: (text: string) =>
      cli.terminal.out(brandText(text, cli.build.name)),
    writeErr: (text: string) =>
      cli.terminal.err(brandText(text, cli.build.name)),
  };
  const program = new Command(cli.build.name)
    .description(
      "Log in to an OAuth 2.0 / OpenID Connect provider and hand tokens to scripts and tools.",
    )
    .version(cli.build.version, "-V, --version")
    .showHelpAfterError(`(run "${cli.build.name} --help" for usage)`)
    .configureOutput(output)
    // Lets `exec` hand every option after the program's name to the program.
    .enablePositionalOptions()
    .exitOverride();
  // Each command has its own option types; the program needs them only as
  // commands.
  const commands: CommandUnknownOpts[] = [
    loginCommand(cli) as unknown as CommandUnknownOpts,
    statusCommand(cli) as unknown as CommandUnknownOpts,
    tokenCommand(cli) as unknown as CommandUnknownOpts,
    headerCommand(cli) as unknown as CommandUnknownOpts,
    execCommand(cli, outcome) as unknown as CommandUnknownOpts,
    gitCredentialCommand(cli) as unknown as CommandUnknownOpts,
    verifyCommand(cli) as unknown as CommandUnknownOpts,
    logoutCommand(cli) as unknown as CommandUnknownOpts,
    versionCommand(cli) as unknown as CommandUnknownOpts,
    profilesCommand(cli) as unknown as CommandUnknownOpts,
  ];
  for (const command of commands) {
    program.addCommand(command.configureOutput(output).exitOverride());
    for (const sub of command.commands) {
      sub.configureOutput(output).exitOverride();
    }
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return outcome.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (BENIGN.has(err.code) || err.exitCode === 0) return 0;
      throw new UsageError(err.code, err.message, { cause: err });
    }
    throw err;
  }
}
