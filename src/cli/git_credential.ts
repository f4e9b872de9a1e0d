/**
 * `authctl git-credential get|store|erase`: a git credential helper.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import {
  DEFAULT_GIT_USERNAME,
  gitCredential,
  parseGitCredentialInput,
} from "../app/git_credential.ts";
import { type CliDeps, commandContext, withCommonOptions } from "./context.ts";

/** Builds the `git-credential` command. */
export function gitCredentialCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("git-credential").description(
      "git credential helper: gives the access token as the password for the profile's git hosts",
    ),
  )
    .argument("<action>", "get, store or erase (git passes it)")
    .option(
      "--host <host>",
      "a git host to answer for, with :port when not the default (repeatable; default: the profile's git_hosts or AUTHCTL_GIT_HOSTS)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--username <name>",
      "username to send with the token when git names none",
      DEFAULT_GIT_USERNAME,
    )
    .action(async (action, flags) => {
      const lines: string[] = [];
      for (
        let line;
        (line = await cli.terminal.readLine(cli.signal)) !== null;
      ) {
        if (line === "") break;
        lines.push(line);
        if (lines.length > 256) break;
      }
      const { settings, deps } = await commandContext(flags, cli);
      const hosts = flags.host?.length ? flags.host : settings.gitHosts;
      if (!hosts.length && action === "get") {
        cli.terminal.err(
          `${cli.build.name}: no git hosts are configured for profile "${settings.profile}", so git gets no token. Set git_hosts in the profile, AUTHCTL_GIT_HOSTS, or --host.\n`,
        );
      }
      cli.terminal.out(
        await gitCredential(
          deps,
          settings,
          action,
          parseGitCredentialInput(lines),
          { hosts, username: flags.username },
        ),
      );
    });
}
