/**
 * `authctl ci claims [SOURCE]`: the CI job's OIDC token's claims, decoded,
 * to see why a provider refuses it. The token itself is never printed.
 *
 * @module
 */

import { buildCommand, buildRouteMap } from "@stricli/core";
import { stripControl } from "../errors.ts";
import { commandContext } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  text,
  toggle,
} from "./flags.ts";

/** `ci claims`'s flags. */
interface ClaimsFlags
  extends Pick<CommonFlags, "profile" | "httpTimeout" | "caFile" | "debug"> {
  readonly federatedAudience?: string;
  readonly json?: boolean;
}

/** The claims shown first, in this order; the CI's own follow. */
const FIRST = ["iss", "sub", "aud", "exp", "iat", "nbf"];

/** Builds the `ci claims` command (when it runs, or for help). */
const claimsCommand = () =>
  buildCommand<ClaimsFlags, [string?], CliContext>({
    docs: {
      brief:
        "show the claims of the CI job's OIDC token (never the token), to compare with a federated credential",
    },
    parameters: {
      flags: {
        profile: commonFlags.profile,
        httpTimeout: commonFlags.httpTimeout,
        caFile: commonFlags.caFile,
        debug: commonFlags.debug,
        federatedAudience: text(
          "the audience to ask the CI for (default: the profile's, env AUTHCTL_FEDERATED_AUDIENCE)",
          "aud",
        ),
        json: toggle("print the claims as JSON"),
      },
      positional: {
        kind: "tuple",
        parameters: [{
          brief:
            "github, gitlab, circleci, buildkite, azure-pipelines, bitbucket, file:PATH, env:NAME or auto (default: the profile's, else auto)",
          parse: String,
          placeholder: "source",
          optional: true,
        }],
      },
    },
    func: action(
      async function (this: CliContext, flags: ClaimsFlags, source?: string) {
        const cli = this.cli;
        const { settings, deps } = await commandContext(flags, cli);
        const { ciClaims } = await import("../app/ci_claims.ts");
        const result = await ciClaims(deps, settings, source);
        if (flags.json) {
          cli.terminal.out(JSON.stringify(result, null, 2) + "\n");
          return;
        }
        const names = [
          ...FIRST.filter((k) => k in result.claims),
          ...Object.keys(result.claims).filter((k) => !FIRST.includes(k))
            .sort(),
        ];
        const width = Math.max(6, ...names.map((n) => n.length)) + 2;
        const show = (k: string, v: unknown) => {
          const value =
            typeof v === "number" && ["exp", "iat", "nbf"].includes(k)
              ? `${v} (${new Date(v * 1000).toISOString()})`
              : typeof v === "string"
              ? v
              : JSON.stringify(v);
          return `${(k + ":").padEnd(width)}${stripControl(value)}\n`;
        };
        cli.terminal.out(
          show("source", result.source) +
            names.map((k) => show(k, result.claims[k])).join(""),
        );
      },
    ),
  });

/** Builds the `ci` commands (when it runs, or for help). */
export const ciRoutes = () =>
  buildRouteMap({
    docs: { brief: "what a CI job's OIDC token says (login --federated)" },
    routes: { claims: claimsCommand() },
  });
