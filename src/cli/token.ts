/**
 * `authctl token`: prints the access token (alone) for scripts.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { getToken } from "../app/token.ts";
import { UsageError } from "../errors.ts";
import { type CliDeps, commandContext, withCommonOptions } from "./context.ts";

/** Builds the `token` command. */
export function tokenCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("token").description(
      "print a valid access token on stdout (exit 4 when there is none)",
    ),
  )
    .option("--json", "print the token with its type, expiry and scope as JSON")
    .option(
      "--min-ttl <seconds>",
      "refresh first when the token expires within this many seconds",
      "60",
    )
    .action(async (flags) => {
      const minTtl = Number(flags.minTtl);
      if (!Number.isInteger(minTtl) || minTtl < 0) {
        throw new UsageError(
          "invalid_min_ttl",
          `Invalid --min-ttl "${flags.minTtl}". Give whole seconds, e.g. 60.`,
        );
      }
      const { settings, deps } = await commandContext(flags, cli);
      const credential = await getToken(deps, settings, {
        minTtlMs: minTtl * 1000,
      });
      if (flags.json) {
        cli.terminal.out(
          JSON.stringify({
            access_token: credential.accessToken,
            token_type: credential.tokenType,
            expires_at: credential.expiresAt === undefined
              ? null
              : new Date(credential.expiresAt).toISOString(),
            scope: credential.grantedScope,
          }) + "\n",
        );
      } else {
        cli.terminal.out(`${credential.accessToken}\n`);
      }
    });
}
