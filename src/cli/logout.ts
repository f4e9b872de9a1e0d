/**
 * `authctl logout`: forget the profile's credentials.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { logout } from "../app/logout.ts";
import { type CliDeps, commandContext, withCommonOptions } from "./context.ts";

/** Builds the `logout` command. */
export function logoutCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("logout").description(
      "remove the profile's stored credentials",
    ),
  ).action(async (flags) => {
    const { settings, deps } = await commandContext(flags, cli);
    const result = await logout(deps, settings);
    cli.terminal.err(
      result.removed
        ? `Logged out of profile "${result.profile}".\n`
        : `Profile "${result.profile}" was not logged in; nothing to remove.\n`,
    );
  });
}
