/**
 * `authctl logout`: revoke at the provider, then forget locally.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { logout, logoutAll, type LogoutResult } from "../app/logout.ts";
import { type CliDeps, commandContext, withCommonOptions } from "./context.ts";

/** Builds the `logout` command. */
export function logoutCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("logout").description(
      "revoke the profile's tokens at the provider and remove them here",
    ),
  )
    .option("--all", "log out of every profile")
    .action(async (flags) => {
      const { settings, deps } = await commandContext(flags, cli);
      const results = flags.all
        ? await logoutAll(deps)
        : [await logout(deps, settings.profile)];
      if (flags.all && results.length === 0) {
        cli.terminal.err("No profile is logged in; nothing to remove.\n");
      }
      for (const result of results) cli.terminal.err(describe(result));
    });
}

function describe(r: LogoutResult): string {
  if (!r.removed && r.revocation === "not-applicable") {
    return `Profile "${r.profile}" was not logged in; nothing to remove.\n`;
  }
  const provider = {
    "revoked": "The provider revoked the tokens. ",
    "unsupported":
      "The provider offers no revocation, so the tokens stay valid there until they expire. ",
    "failed":
      `Could not revoke the tokens at the provider (${r.detail}); they stay valid there until they expire. `,
    "not-applicable": "",
  }[r.revocation];
  return `${provider}Logged out of profile "${r.profile}": the local credentials are removed.\n`;
}
