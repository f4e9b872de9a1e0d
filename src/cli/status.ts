/**
 * `authctl status`: who is logged in, where, and until when.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import type { StatusReport } from "../app/status.ts";
import { brandText } from "../config/brand.ts";
import { stripControl } from "../errors.ts";
import { commandContext, describeIdentity, relativeTime } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  toggle,
} from "./flags.ts";

/** `status`'s flags. */
interface StatusFlags extends CommonFlags {
  readonly json?: boolean;
}

/** Builds the `status` command (when it runs, or for help). */
export const statusCommand = () =>
  buildCommand<StatusFlags, [], CliContext>({
    docs: {
      brief: "show the login state of a profile (exit 4 when not logged in)",
    },
    parameters: {
      flags: { ...commonFlags, json: toggle("print the status as JSON") },
    },
    func: action(async function (this: CliContext, flags: StatusFlags) {
      const cli = this.cli;
      const { status } = await import("../app/status.ts");
      const { notLoggedIn } = await import("../app/credential.ts");
      const { settings, deps } = await commandContext(flags, cli);
      const report = await status(deps, settings);
      const now = cli.clock.now();
      if (flags.json) {
        cli.terminal.out(
          brandText(JSON.stringify(report, null, 2), cli.build.name) + "\n",
        );
      } else {
        const lines: [string, string][] = [["Profile", report.profile]];
        lines.push([
          "Logged in",
          report.loggedIn
            ? `yes${describeIdentity(report.identity ?? undefined)}`
            : `no — ${report.reason}`,
        ]);
        if (report.fix) lines.push(["Run", report.fix]);
        if (report.issuer) lines.push(["Issuer", report.issuer]);
        if (report.clientId) lines.push(["Client ID", report.clientId]);
        if (report.scopes) lines.push(["Scopes", report.scopes.join(" ")]);
        if (report.resources) {
          lines.push(["Resource", report.resources.join(" ")]);
        }
        const token = describeAccessToken(report, now);
        // Credentials for other settings: what they are is said above; their
        // state would only contradict "Logged in: no".
        if (token) {
          lines.push([
            "Access token",
            report.mismatch ? `${token}, but for other settings` : token,
          ]);
        }
        if (report.canRefresh !== null && !report.mismatch) {
          lines.push(["Can refresh", report.canRefresh ? "yes" : "no"]);
        }
        if (report.federated) {
          lines.push([
            "Federated",
            `${report.federated.source}${
              report.federated.sub ? ` (sub ${report.federated.sub})` : ""
            }`,
          ]);
        }
        if (report.dpopThumbprint) {
          lines.push([
            "Bound to",
            `a proof-of-possession key (DPoP, thumbprint ${report.dpopThumbprint})`,
          ]);
        }
        lines.push([
          "Storage",
          `${report.storage.backend} (${report.storage.location})`,
        ]);
        const width = Math.max(...lines.map(([k]) => k.length)) + 2;
        cli.terminal.out(brandText(
          lines.map(([k, v]) =>
            `${(k + ":").padEnd(width)}${stripControl(v)}\n`
          )
            .join(""),
          cli.build.name,
        ));
      }
      if (
        report.loggedIn && report.expiresIn != null && report.expiresIn >= 0 &&
        report.expiresIn < 30
      ) {
        cli.terminal.err(
          `Warning: the access token expires in ${report.expiresIn} s${
            report.canRefresh ? " (it will be refreshed when needed)" : ""
          }.\n`,
        );
      }
      if (!report.loggedIn) {
        throw notLoggedIn(
          settings,
          report.reason ?? "Not logged in.",
          "status_not_logged_in",
          report.fix ?? undefined,
        );
      }
    }),
  });

/** The "Access token" line: what became of it, and when it expires. */
function describeAccessToken(
  report: StatusReport,
  now: number,
): string | undefined {
  switch (report.accessTokenState) {
    case null:
      return undefined;
    case "refused":
      return "refused by the provider; log in again";
    case "retired":
      return `retired after the server refused it${
        report.canRefresh ? "; the next command refreshes it" : ""
      }`;
  }
  if (report.expiresAt === null) {
    return report.accessTokenValid
      ? "no lifetime stated (used until the provider refuses it)"
      : "expired";
  }
  return `${
    report.accessTokenState === "valid" ? "expires" : "expired"
  } ${report.expiresAt} (${relativeTime(Date.parse(report.expiresAt), now)})`;
}
