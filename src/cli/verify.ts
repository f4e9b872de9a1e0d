/**
 * `authctl verify --issuer URL --audience ID… [TOKEN|-]`: the server-side
 * check of an ID token a CLI presents; prints its claims as JSON, or exits 4
 * with the reason.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import { type CliDeps, networkOptions } from "./context.ts";

/** Builds the `verify` command. */
export function verifyCommand(cli: CliDeps) {
  return new Command("verify")
    .description(
      "verify an ID token minted for a CLI (for backends): prints its claims as JSON, or exits 4 with the reason",
    )
    .argument(
      "[token]",
      'the ID token, or "-" (the default) to read it from stdin',
    )
    .requiredOption("--issuer <url>", "the issuer the token must come from")
    .requiredOption(
      "--audience <client-id>",
      "a client ID whose tokens are accepted (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--clock-tolerance <seconds>",
      "tolerated clock difference for exp, iat and nbf",
      "60",
    )
    .option(
      "--http-timeout <duration>",
      "timeout of each request to the issuer",
    )
    .option("--ca-file <path>", "PEM file of extra root certificates")
    .option("--debug", "trace every HTTP exchange on stderr")
    .action(async (tokenArg, flags) => {
      const tolerance = Number(flags.clockTolerance);
      if (!Number.isInteger(tolerance) || tolerance < 0 || tolerance > 600) {
        throw new UsageError(
          "invalid_clock_tolerance",
          `Invalid --clock-tolerance "${flags.clockTolerance}". Give whole seconds between 0 and 600.`,
        );
      }
      const token = tokenArg && tokenArg !== "-"
        ? tokenArg
        : (await cli.terminal.readLine(cli.signal))?.trim();
      if (!token) {
        throw new UsageError(
          "no_token",
          "No token to verify. Give it as the argument, or on stdin: … | verify --issuer URL --audience ID",
        );
      }
      // Loaded only here: the verifier pulls in the protocol layer.
      const { verifyCliIdToken } = await import("../oauth/verify.ts");
      const claims = await verifyCliIdToken(token, {
        issuer: flags.issuer,
        audiences: flags.audience,
        clockToleranceSeconds: tolerance,
        network: networkOptions(flags, cli),
        signal: cli.signal,
        now: () => cli.clock.now(),
      });
      cli.terminal.out(JSON.stringify(claims, null, 2) + "\n");
    });
}
