/**
 * `authctl git-credential get|store|erase`: a git credential helper.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { DEFAULT_GIT_USERNAME } from "../app/git_credential.ts";
import { commandContext } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  repeatable,
  textWithDefault,
} from "./flags.ts";

/** `git-credential`'s flags. */
interface GitCredentialFlags extends CommonFlags {
  readonly host?: readonly string[];
  readonly username: string;
}

/** Builds the `git-credential` command (when it runs, or for help). */
export const gitCredentialCommand = () =>
  buildCommand<
    GitCredentialFlags,
    [string],
    CliContext
  >({
    docs: {
      brief:
        "git credential helper: gives the access token as the password for the profile's git hosts",
    },
    parameters: {
      flags: {
        ...commonFlags,
        host: repeatable(
          "a git host to answer for, with :port when not the default (repeatable; default: the profile's git_hosts or AUTHCTL_GIT_HOSTS)",
          "host",
        ),
        username: textWithDefault(
          "username to send with the token when git names none",
          "name",
          DEFAULT_GIT_USERNAME,
        ),
      },
      positional: {
        kind: "tuple",
        parameters: [{
          brief: "get, store or erase (git passes it)",
          parse: String,
          placeholder: "action",
        }],
      },
    },
    func: action(
      async function (
        this: CliContext,
        flags: GitCredentialFlags,
        gitAction: string,
      ) {
        const cli = this.cli;
        const { gitCredential, parseGitCredentialInput } = await import(
          "../app/git_credential.ts"
        );
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
        const hosts = flags.host?.length ? [...flags.host] : settings.gitHosts;
        if (!hosts.length && gitAction === "get") {
          cli.terminal.err(
            `${cli.build.name}: no git hosts are configured for profile "${settings.profile}", so git gets no token. Set git_hosts in the profile, AUTHCTL_GIT_HOSTS, or --host.\n`,
          );
        }
        cli.terminal.out(
          await gitCredential(
            deps,
            settings,
            gitAction,
            parseGitCredentialInput(lines),
            { hosts, username: flags.username },
          ),
        );
      },
    ),
  });
