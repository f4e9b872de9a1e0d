/**
 * Build-time defaults. The release build (`deno task build`) regenerates this
 * file with the values baked into a branded binary; from source every value is
 * empty and settings come from flags, the environment or the config file.
 *
 * @module
 */

import type { ProviderSettings } from "./provider_settings.ts";

/** Settings and identity baked into a binary at build time. */
export interface BuildInfo {
  /** Command name; also names the config directory and keychain service. */
  name: string;
  /** Version of this build. */
  version: string;
  /** Git commit the build was made from, or "" from source. */
  commit: string;
  /** Default issuer URL, or "". */
  issuer: string;
  /** Default public client ID, or "". */
  clientId: string;
  /** Default extra scopes. */
  scopes: string[];
  /** Default audience, or "". */
  audience: string;
  /** Default callback ports (e.g. "8765-8769"), or "" for an ephemeral port. */
  ports: string;
  /** Default provider settings (kind, endpoints, client authentication…). */
  provider: ProviderSettings;
  /**
   * `OWNER/REPO`: the GitHub repository whose releases `upgrade` and the
   * update notice read; "" or absent for a build without one (from source).
   */
  repo?: string;
  /** False when the build turned the update notice off. */
  updateNotice?: boolean;
}

/** The defaults of this build. */
export const buildInfo: BuildInfo = {
  name: "authctl",
  version: "0.1.0",
  commit: "",
  issuer: "",
  clientId: "",
  scopes: [],
  audience: "",
  ports: "",
  provider: {},
  repo: "",
  updateNotice: true,
};
