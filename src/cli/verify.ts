/**
 * `authctl verify --issuer URL --audience ID… [TOKEN|-]`: the server-side
 * check of an ID token a CLI presents; prints its claims as JSON, or exits 4
 * with the reason.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import { UsageError } from "../errors.ts";
import { networkOptions } from "./context.ts";
import {
  action,
  type CliContext,
  repeatable,
  requiredText,
  text,
  textWithDefault,
  toggle,
} from "./flags.ts";

/** `verify`'s flags. */
interface VerifyFlags {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly clockTolerance: string;
  readonly httpTimeout?: string;
  readonly caFile?: string;
  readonly debug?: boolean;
}

/** Builds the `verify` command (when it runs, or for help). */
export const verifyCommand = () =>
  buildCommand<
    VerifyFlags,
    [string?],
    CliContext
  >({
    docs: {
      brief:
        "verify an ID token minted for a CLI (for backends): prints its claims as JSON, or exits 4 with the reason",
    },
    parameters: {
      flags: {
        issuer: requiredText("the issuer the token must come from", "url"),
        audience: {
          ...repeatable(
            "a client ID whose tokens are accepted (repeatable)",
            "client-id",
          ),
          optional: false,
        },
        clockTolerance: textWithDefault(
          "tolerated clock difference for exp, iat and nbf",
          "seconds",
          "60",
        ),
        httpTimeout: text("timeout of each request to the issuer", "duration"),
        caFile: text("PEM file of extra root certificates", "path"),
        debug: toggle("trace every HTTP exchange on stderr"),
      },
      positional: {
        kind: "tuple",
        parameters: [{
          brief: 'the ID token, or "-" (the default) to read it from stdin',
          parse: String,
          placeholder: "token",
          optional: true,
        }],
      },
    },
    func: action(
      async function (
        this: CliContext,
        flags: VerifyFlags,
        tokenArg?: string,
      ) {
        const cli = this.cli;
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
          audiences: [...flags.audience],
          clockToleranceSeconds: tolerance,
          network: networkOptions(flags, cli),
          signal: cli.signal,
          now: () => cli.clock.now(),
        });
        cli.terminal.out(JSON.stringify(claims, null, 2) + "\n");
      },
    ),
  });
