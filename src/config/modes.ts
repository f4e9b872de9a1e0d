/**
 * The names the settings choose among (login flows, storage modes,
 * providers), declared once, in the settings layer: the configuration
 * checks them, and the stores, the flows and the CLI list them without
 * loading each other.
 *
 * @module
 */

/** Flow names `--flow` accepts. */
export const FLOW_NAMES = ["auto", "loopback", "device", "paste"] as const;

/** A `--flow` value. */
export type FlowName = typeof FLOW_NAMES[number];

/** The storage modes. */
export const STORAGE_MODES = ["auto", "keychain", "file"] as const;

/** `--storage`: where new credentials go. */
export type StorageMode = typeof STORAGE_MODES[number];

/** The values of `provider`: a kind, or a known provider with its presets. */
export const PROVIDER_NAMES = [
  "oidc",
  "oauth2",
  "github",
  "google",
  "microsoft",
] as const;

/**
 * How a provider takes a CI job's OIDC token: RFC 8693 token exchange, an
 * RFC 7523 client assertion (with the client credentials grant), or the
 * RFC 7523 jwt-bearer grant.
 */
export const EXCHANGE_METHODS = [
  "token-exchange",
  "client-assertion",
  "jwt-bearer",
] as const;

/** `exchange`: one of {@linkcode EXCHANGE_METHODS}. */
export type ExchangeMethod = typeof EXCHANGE_METHODS[number];

/** `provider`: the kind of provider, or a known one with its presets. */
export type ProviderName = typeof PROVIDER_NAMES[number];
