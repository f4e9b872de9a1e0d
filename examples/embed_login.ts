/**
 * A small CLI of its own that uses authctl's login: `acme-mini login`,
 * `acme-mini whoami`, `acme-mini logout`. Its tokens are kept under its own
 * name ("acme-mini": config directory, keychain service, and
 * `ACME_MINI_CONFIG_DIR` to move the directory).
 *
 *   deno run --allow-net --allow-read --allow-write --allow-env --allow-run \
 *     --allow-sys=uid --allow-ffi examples/embed_login.ts \
 *     --issuer https://login.acme.example --client-id acme-cli login
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  AuthctlError,
  type AuthOptions,
  getAccessToken,
  login,
  logout,
  status,
} from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    issuer: { type: "string" },
    "client-id": { type: "string" },
    flow: { type: "string", default: "auto" },
  },
  allowPositionals: true,
});
const command = positionals[0] ?? "login";
if (!values.issuer || !values["client-id"]) {
  console.error(
    "usage: embed_login.ts --issuer URL --client-id ID [login|whoami|logout]",
  );
  Deno.exit(2);
}

const app: AuthOptions = {
  name: "acme-mini",
  issuer: values.issuer,
  clientId: values["client-id"],
  scopes: ["profile"],
  flow: values.flow as AuthOptions["flow"],
  // Messages for the person: this program's own wording around authctl's.
  prompts: {
    say: (text) => Deno.stderr.writeSync(new TextEncoder().encode(text)),
  },
};

try {
  if (command === "login") {
    const result = await login(app);
    console.log(
      result.loggedIn
        ? `acme-mini: logged in as ${result.credential.identity?.sub}`
        : "acme-mini: already logged in",
    );
  } else if (command === "whoami") {
    // A fresh token (refreshed when needed), then whatever API it is for.
    const token = await getAccessToken(app);
    const report = await status(app);
    console.log(
      `acme-mini: ${report.subject} (token of ${token.length} characters, expires ${report.expiresAt})`,
    );
  } else if (command === "logout") {
    const result = await logout(app);
    console.log(`acme-mini: logged out (revocation: ${result.revocation})`);
  } else {
    console.error(`acme-mini: unknown command "${command}"`);
    Deno.exit(2);
  }
} catch (err) {
  if (err instanceof AuthctlError) {
    console.error(`acme-mini: ${err.message}`);
    Deno.exit(err.exitCode);
  }
  throw err;
}
