/**
 * `authctl login`: flags → options → the login use case.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { UsageError } from "../errors.ts";
import { FLOW_NAMES } from "../flows/names.ts";
import {
  type CliDeps,
  commandContext,
  parseDuration,
  relativeTime,
  withCommonOptions,
} from "./context.ts";

/** Default time to wait for the user to finish in the browser. */
const DEFAULT_TIMEOUT = "5m";

/** Builds the `login` command. */
export function loginCommand(cli: CliDeps) {
  return withCommonOptions(
    new Command("login").description(
      "log in to the provider and store the tokens",
    ),
  )
    .addOption(
      new Option(
        "--flow <flow>",
        "how to log in: auto (the default) picks loopback where a browser can be opened, else device, else paste (env AUTHCTL_FLOW)",
      ).choices(FLOW_NAMES),
    )
    .option("--no-browser", "do not open a browser on this machine")
    .option("--no-qr", "do not show the device flow's QR code")
    .option(
      "--port <ports>",
      "callback port(s) for the loopback flow: 8765, 8765,8770 or 8765-8769 (default: any free port; env AUTHCTL_PORT)",
    )
    .option(
      "--timeout <duration>",
      "how long to wait for the browser or a paste (e.g. 300, 90s, 5m)",
      DEFAULT_TIMEOUT,
    )
    .option("--force", "log in again even when still logged in")
    .option(
      "--token-stdin",
      "store a personal access token (or any bearer token) read from stdin, for CI",
    )
    .option(
      "--with-token <token>",
      "store this token (it lands in your shell history: prefer --token-stdin)",
    )
    .option(
      "--validate-url <url>",
      "check a given token with a GET here instead of the userinfo endpoint",
    )
    .action(async (flags) => {
      const timeoutMs = parseDuration(flags.timeout, "--timeout");
      const { settings, deps } = await commandContext(flags, cli);
      if (flags.tokenStdin || flags.withToken !== undefined) {
        if (flags.withToken !== undefined) {
          cli.terminal.err(
            "Warning: a token given with --with-token lands in your shell history and is visible to other users in the process list; prefer --token-stdin.\n",
          );
        }
        const token = flags.tokenStdin
          ? await cli.terminal.readLine(deps.signal)
          : flags.withToken;
        if (!token) {
          throw new UsageError(
            "no_input",
            "No token on standard input. Pipe it in: … | login --token-stdin",
          );
        }
        const { loginWithToken } = await import("../app/login.ts");
        const result = await loginWithToken(deps, settings, token, {
          validateUrl: flags.validateUrl,
        });
        cli.terminal.err(
          `Stored the token${
            describeIdentity(result.credential.identity)
          } for profile "${settings.profile}".\n`,
        );
        return;
      }
      // Loaded only by login: keeps oauth4webapi and jose off `token`'s path.
      const { login } = await import("../app/login.ts");
      const result = await login(deps, settings, {
        flow: settings.flow,
        noBrowser: !flags.browser,
        qr: flags.qr,
        timeoutMs,
        force: flags.force,
      });
      const who = describeIdentity(result.credential.identity);
      const expiry = result.credential.expiresAt === undefined
        ? ""
        : ` (access token expires ${
          relativeTime(result.credential.expiresAt, cli.clock.now())
        })`;
      cli.terminal.err(
        result.loggedIn
          ? `Logged in${who} to ${result.credential.issuer} as profile "${settings.profile}".\n`
          : `Already logged in${who} to ${result.credential.issuer}${expiry}. Use --force to log in again.\n`,
      );
    });
}

/** " as alice (alice@example.com)", or "" when nothing is known. */
export function describeIdentity(
  identity?: {
    sub: string;
    name?: string;
    email?: string;
    preferred_username?: string;
  },
): string {
  if (!identity) return "";
  const name = identity.preferred_username ?? identity.name ?? identity.sub;
  const email = identity.email && identity.email !== name
    ? ` (${identity.email})`
    : "";
  return ` as ${name}${email}`;
}
