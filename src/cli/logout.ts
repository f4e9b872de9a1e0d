/**
 * `authctl logout`: revoke at the provider, then forget locally.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import type { LogoutResult } from "../app/logout.ts";
import { commandContext } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  toggle,
} from "./flags.ts";

/** `logout`'s flags. */
interface LogoutFlags extends CommonFlags {
  readonly all?: boolean;
}

/** Builds the `logout` command (when it runs, or for help). */
export const logoutCommand = () =>
  buildCommand<LogoutFlags, [], CliContext>({
    docs: {
      brief: "revoke the profile's tokens at the provider and remove them here",
    },
    parameters: {
      flags: { ...commonFlags, all: toggle("log out of every profile") },
    },
    func: action(async function (this: CliContext, flags: LogoutFlags) {
      const cli = this.cli;
      const { logout, logoutAll } = await import("../app/logout.ts");
      const { settings, deps } = await commandContext(flags, cli);
      const results = flags.all ? await logoutAll(deps, settings.provider) : [
        await logout(deps, settings.profile, settings.provider),
      ];
      if (flags.all && results.length === 0) {
        cli.terminal.err("No profile is logged in; nothing to remove.\n");
      }
      for (const result of results) cli.terminal.err(describe(result));
    }),
  });

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
