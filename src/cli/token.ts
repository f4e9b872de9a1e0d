/**
 * `authctl token`: prints the access token (alone) for scripts, or as JSON,
 * or as a Kubernetes ExecCredential; `--id-token` for the ID token.
 * `authctl header`: the same token as an `Authorization` header line.
 *
 * @module
 */

import { buildCommand } from "@stricli/core";
import type { AppDeps } from "../app/deps.ts";
import type { Settings } from "../config/settings.ts";
import type { StoredCredential } from "../store/types.ts";
import { UsageError } from "../errors.ts";
import { commandContext } from "./context.ts";
import {
  action,
  type CliContext,
  type CommonFlags,
  commonFlags,
  exactResource,
  minTtlFlag,
  resourceFlag,
  text,
  toggle,
} from "./flags.ts";

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
  /** The credential, when its tokens are DPoP-bound. */
  dpop?: StoredCredential;
}

/** `token`'s flags. */
interface TokenFlags extends CommonFlags {
  readonly format: typeof TOKEN_FORMATS[number];
  readonly json?: boolean;
  readonly idToken?: boolean;
  readonly minTtl: string;
  readonly forceRefresh?: boolean;
  readonly resource?: string;
}

/** Builds the `token` command (when it runs, or for help). */
export const tokenCommand = () =>
  buildCommand<TokenFlags, [], CliContext>({
    docs: {
      brief: "print a valid access token on stdout (exit 4 when there is none)",
    },
    parameters: {
      flags: {
        ...commonFlags,
        format: {
          kind: "enum",
          values: TOKEN_FORMATS,
          brief: "output format: plain, json or kubectl",
          default: "plain",
        },
        json: toggle("same as --format json"),
        idToken: toggle(
          "print the ID token instead (what a backend that accepts CLI ID tokens wants)",
        ),
        minTtl: minTtlFlag,
        forceRefresh: toggle(
          "refresh now, whatever the expiry (after your permissions changed)",
        ),
        resource: resourceFlag,
      },
    },
    func: action(async function (this: CliContext, flags: TokenFlags) {
      const format = flags.json ? "json" : flags.format;
      const { resource, ...rest } = flags;
      const { settings, deps } = await commandContext(
        rest,
        this.cli,
        exactResource(resource),
      );
      const handed = await handOut(deps, settings, flags);
      if (handed.dpop && !flags.idToken) {
        if (format === "kubectl") {
          const { requireBearer } = await import("../app/credential.ts");
          requireBearer(handed.dpop, "kubectl", settings);
        }
        this.cli.terminal.err(
          `Warning: this access token is bound to a proof-of-possession key (DPoP, thumbprint ${
            handed.dpop.dpop!.jkt
          }): alone it is refused; each request needs a fresh proof. Use "${this.cli.build.name} api URL".\n`,
        );
      }
      this.cli.terminal.out(render(handed, format, Boolean(flags.idToken)));
    }),
  });

/** `header`'s flags. */
interface HeaderFlags extends CommonFlags {
  readonly idToken?: boolean;
  readonly resource?: string;
  readonly minTtl: string;
  readonly method?: string;
  readonly url?: string;
}

/** Builds the `header` command (when it runs, or for help). */
export const headerCommand = () =>
  buildCommand<HeaderFlags, [], CliContext>({
    docs: {
      brief:
        'print "Authorization: Bearer <token>" for `curl -H @-` (the token never reaches an argv)',
    },
    parameters: {
      flags: {
        ...commonFlags,
        idToken: toggle("carry the ID token instead of the access token"),
        minTtl: minTtlFlag,
        method: text(
          "with DPoP-bound tokens: the method of the one request (default GET)",
          "method",
        ),
        url: text(
          'with DPoP-bound tokens: the URL of the one request; adds its "DPoP: <proof>" line',
          "url",
        ),
        resource: resourceFlag,
      },
    },
    func: action(async function (this: CliContext, flags: HeaderFlags) {
      const { resource, ...rest } = flags;
      const { settings, deps } = await commandContext(
        rest,
        this.cli,
        exactResource(resource),
      );
      const handed = await handOut(deps, settings, flags);
      if (handed.dpop && !flags.idToken) {
        if (flags.url === undefined) {
          const { requireBearer } = await import("../app/credential.ts");
          requireBearer(
            handed.dpop,
            `a bare Authorization header (without --url URL [--method M], for one request's proof)`,
            settings,
          );
        }
        const { dpopHeaderLines } = await import("../app/api.ts");
        this.cli.terminal.out(
          await dpopHeaderLines(handed.dpop, flags.method ?? "GET", flags.url!),
        );
        return;
      }
      this.cli.terminal.out(`Authorization: Bearer ${handed.token}\n`);
    }),
  });

async function handOut(
  deps: AppDeps,
  settings: Settings,
  flags: {
    readonly minTtl: string;
    readonly idToken?: boolean;
    readonly forceRefresh?: boolean;
  },
): Promise<HandedToken> {
  const { getIdToken, getToken } = await import("../app/token.ts");
  const options = {
    minTtlMs: parseMinTtl(flags.minTtl),
    forceRefresh: flags.forceRefresh,
  };
  if (flags.idToken) {
    const { idToken, expiresAt } = await getIdToken(deps, settings, options);
    return { token: idToken, expiresAt };
  }
  const credential = await getToken(deps, settings, options);
  return {
    token: credential.accessToken,
    expiresAt: credential.expiresAt,
    tokenType: credential.tokenType,
    scope: credential.grantedScope,
    dpop: credential.dpop ? credential : undefined,
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

/** `--min-ttl` in milliseconds; a usage error unless whole seconds. */
export function parseMinTtl(value: string): number {
  const minTtl = Number(value);
  if (!Number.isInteger(minTtl) || minTtl < 0) {
    throw new UsageError(
      "invalid_min_ttl",
      `Invalid --min-ttl "${value}". Give whole seconds, e.g. 60.`,
    );
  }
  return minTtl * 1000;
}
