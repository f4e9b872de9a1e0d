/**
 * A client ID when none is configured, in the order the MCP authorization
 * specification gives: a Client ID Metadata Document URL the profile or
 * build names, where the provider accepts one; else the registration kept
 * for this provider, while the provider still knows it; else a new RFC 7591
 * registration as a public native client, kept for the next logins.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { RedirectShape } from "../config/redirect.ts";
import {
  clientIsKnown,
  type ClientRegistrationRequest,
  type ProviderSession,
  redirectShape,
  registerClient,
  type RegisteredClient,
  withClient,
} from "../oauth/mod.ts";
import type { KeptRegistration } from "../store/registration_cache.ts";
import type { AppDeps } from "./deps.ts";

/** A client ID and how it was obtained. */
export interface ChosenClient {
  clientId: string;
  how: "metadata_document" | "kept_registration" | "registered";
}

/** What choosing a client needs of the authorization server. */
export interface RegistrationClient {
  readonly issuer: string;
  /** What its metadata says of registration and the device grant. */
  readonly metadata: {
    client_id_metadata_document_supported?: unknown;
    registration_endpoint?: string;
    device_authorization_endpoint?: string;
  };
  /** The shape of the loopback redirect URIs to register. */
  readonly redirectShape: RedirectShape;
  /** Whether the server still knows `clientId`. */
  knowsClient(clientId: string): Promise<boolean>;
  /** Registers a public native client (RFC 7591). */
  register(request: ClientRegistrationRequest): Promise<RegisteredClient>;
}

/** The {@linkcode RegistrationClient} of a protocol session. */
export function registrationClient(
  session: ProviderSession,
): RegistrationClient {
  return {
    issuer: session.issuer,
    metadata: session.metadata,
    redirectShape: redirectShape(session),
    knowsClient: (clientId) => clientIsKnown(withClient(session, clientId)),
    register: (request) => registerClient(session, request),
  };
}

/** Chooses the client ID for a login without one (see the module doc). */
export async function chooseClient(
  deps: Pick<AppDeps, "registrations" | "terminal" | "appName">,
  settings: Settings,
  provider: RegistrationClient,
): Promise<ChosenClient> {
  const document = settings.provider.clientIdMetadataDocument;
  if (
    document &&
    provider.metadata.client_id_metadata_document_supported === true
  ) {
    return { clientId: document, how: "metadata_document" };
  }
  const name = deps.appName ?? "authctl";
  const issuer = provider.issuer;
  const wanted = registrationRequest(name, settings, provider);
  const kept = await deps.registrations?.get(issuer);
  if (kept && covers(kept, wanted)) {
    if (await provider.knowsClient(kept.clientId)) {
      return { clientId: kept.clientId, how: "kept_registration" };
    }
    deps.terminal.err(
      `The authorization server "${issuer}" no longer knows client "${kept.clientId}" (registered ${
        new Date(kept.registeredAt).toISOString()
      }); registering again.\n`,
    );
    await deps.registrations?.delete(issuer);
  }
  if (!provider.metadata.registration_endpoint) {
    throw new UsageError(
      "missing_settings",
      `Profile "${settings.profile}" has no client ID configured (--client-id or AUTHCTL_CLIENT_ID), and the authorization server "${issuer}" offers no way to get one without it: no dynamic client registration (registration_endpoint)${
        document
          ? ", and it does not accept Client ID Metadata Documents (client_id_metadata_document_supported)"
          : ""
      }. Have a client registered for ${name} there and give its ID.`,
    );
  }
  const registered = await provider.register(wanted);
  await deps.registrations?.set(issuer, {
    clientId: registered.clientId,
    registeredAt: registered.issuedAt ?? Date.now(),
    redirectUris: registered.redirectUris,
    grantTypes: registered.grantTypes,
  });
  deps.terminal.err(
    `Registered with "${issuer}" as client "${registered.clientId}" (dynamic client registration, RFC 7591); the next logins there use it too.\n`,
  );
  return { clientId: registered.clientId, how: "registered" };
}

/**
 * What to register: the loopback redirect URI without a port (RFC 8252 §7.3
 * lets a native client use any port), plus each fixed port the profile
 * names; the device grant when the provider offers it.
 */
export function registrationRequest(
  clientName: string,
  settings: Pick<Settings, "ports">,
  provider: Pick<RegistrationClient, "redirectShape" | "metadata">,
): ClientRegistrationRequest {
  const shape = provider.redirectShape;
  const uris = [`http://${shape.host}${shape.path}`];
  const ports = shape.port !== undefined
    ? [shape.port]
    : settings.ports.filter((p) => p !== 0);
  for (const port of ports.slice(0, 10)) {
    uris.push(`http://${shape.host}:${port}${shape.path}`);
  }
  return {
    clientName,
    redirectUris: uris,
    deviceGrant: Boolean(provider.metadata.device_authorization_endpoint),
  };
}

/**
 * Whether a kept registration serves this login: it has every redirect URI
 * wanted. Grants are not compared: a server that left one out of the
 * registration would leave it out again.
 */
function covers(kept: KeptRegistration, wanted: ClientRegistrationRequest) {
  return wanted.redirectUris.every((u) => kept.redirectUris.includes(u));
}
