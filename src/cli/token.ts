/**
 * `authctl token`: prints the access token (alone) for scripts, or as JSON,
 * or as a Kubernetes ExecCredential; `--id-token` for the ID token.
 * `authctl header`: the same token as an `Authorization` header line.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { getIdToken, getToken } from "../app/token.ts";
import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { AppDeps } from "../app/deps.ts";
import { type CliDeps, commandContext, withCommonOptions } from "./context.ts";

/** Output formats of `token`. */
export const TOKEN_FORMATS = ["plain", "json", "kubectl"] as const;

/** A token to hand out, whichever kind was asked for. */
interface HandedToken {
  token: string;
  /** Expiry in ms, when known. */
  expiresAt?: number;
  /** Access tokens only. */
  tokenType?: string;
  scope?: string;
}

/** Builds the `token` command. */
export function tokenCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("token").description(
      "print a valid access token on stdout (exit 4 when there is none)",
    ),
  )
    .addOption(
      new Option("--format <format>", "output format: plain, json or kubectl")
        .choices(TOKEN_FORMATS).default("plain" as const),
    )
    .option("--json", "same as --format json")
    .option(
      "--id-token",
      "print the ID token instead (what a backend that accepts CLI ID tokens wants)",
    )
    .option(
      "--min-ttl <seconds>",
      "refresh first when the token expires within this many seconds",
      "60",
    )
    .action(async (flags) => {
      const format = flags.json ? "json" : flags.format;
      const { settings, deps } = await commandContext(flags, cli);
      const handed = await handOut(deps, settings, flags);
      cli.terminal.out(render(handed, format, Boolean(flags.idToken)));
    });
}

/** Builds the `header` command. */
export function headerCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("header").description(
      'print "Authorization: Bearer <token>" for `curl -H @-` (the token never reaches an argv)',
    ),
  )
    .option("--id-token", "carry the ID token instead of the access token")
    .option(
      "--min-ttl <seconds>",
      "refresh first when the token expires within this many seconds",
      "60",
    )
    .action(async (flags) => {
      const { settings, deps } = await commandContext(flags, cli);
      const handed = await handOut(deps, settings, flags);
      cli.terminal.out(`Authorization: Bearer ${handed.token}\n`);
    });
}

async function handOut(
  deps: AppDeps,
  settings: Settings,
  flags: { minTtl: string; idToken?: boolean },
): Promise<HandedToken> {
  const minTtlMs = parseMinTtl(flags.minTtl);
  if (flags.idToken) {
    const { idToken, expiresAt } = await getIdToken(deps, settings, {
      minTtlMs,
    });
    return { token: idToken, expiresAt };
  }
  const credential = await getToken(deps, settings, { minTtlMs });
  return {
    token: credential.accessToken,
    expiresAt: credential.expiresAt,
    tokenType: credential.tokenType,
    scope: credential.grantedScope,
  };
}

function render(
  handed: HandedToken,
  format: typeof TOKEN_FORMATS[number],
  idToken: boolean,
): string {
  const expiry = handed.expiresAt === undefined
    ? null
    : new Date(handed.expiresAt).toISOString();
  switch (format) {
    case "plain":
      return `${handed.token}\n`;
    case "json":
      return JSON.stringify(
        idToken ? { id_token: handed.token, expires_at: expiry } : {
          access_token: handed.token,
          token_type: handed.tokenType,
          expires_at: expiry,
          scope: handed.scope,
        },
      ) + "\n";
    case "kubectl":
      // client.authentication.k8s.io/v1 ExecCredential, for a kubeconfig
      // `users[].user.exec` entry; kubectl caches it until the expiry.
      return JSON.stringify({
        apiVersion: "client.authentication.k8s.io/v1",
        kind: "ExecCredential",
        status: {
          token: handed.token,
          ...(expiry
            ? { expirationTimestamp: expiry.replace(/\.\d{3}Z$/, "Z") }
            : {}),
        },
      }) + "\n";
  }
}

function parseMinTtl(value: string): number {
  const minTtl = Number(value);
  if (!Number.isInteger(minTtl) || minTtl < 0) {
    throw new UsageError(
      "invalid_min_ttl",
      `Invalid --min-ttl "${value}". Give whole seconds, e.g. 60.`,
    );
  }
  return minTtl * 1000;
}
