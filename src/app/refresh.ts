/**
 * Renewing a credential with its refresh token, safely across processes:
 * under the profile's lock, read the store again (another process may have
 * refreshed already), refresh once, and save before anything is handed out.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import {
  AuthctlError,
  ErrorCode,
  interruptionOf,
  ProviderError,
  StorageError,
} from "../errors.ts";
import type { Reservation, StoredCredential } from "../store/types.ts";
import {
  canRefresh,
  isFresh,
  loadCredential,
  loginCommand,
  notLoggedIn,
  renewable,
} from "./credential.ts";
import type { AppDeps, TokenDeps } from "./deps.ts";
import type { Shield } from "../platform/interrupts.ts";
import type { RefreshExpectations, TokenSet } from "../oauth/mod.ts";

/** Whether a credential is fresh enough for what the caller hands out. */
export type Freshness = (
  credential: StoredCredential,
  now: number,
  minTtlMs: number,
) => boolean;

/** Options of {@linkcode freshCredential}. */
export interface RefreshOptions {
  /**
   * Refresh now, whatever the expiry (`token --force-refresh`): under the
   * same lock, so parallel forced calls still make one refresh.
   */
  force?: boolean;
}

/**
 * Returns a credential whose access token (or, with another `fresh`, ID
 * token) lives at least `minTtlMs` longer, refreshing it when needed. Throws
 * exit-4 errors when that is impossible.
 */
export async function freshCredential(
  deps: TokenDeps,
  settings: Settings,
  minTtlMs: number,
  fresh: Freshness = isFresh,
  options: RefreshOptions = {},
): Promise<StoredCredential> {
  const requestedAt = deps.clock.now();
  const first = await loadCredential(deps.store, settings);
  // Forced: only tokens another process obtained while this one waited for
  // the lock will do (compared as tokens, not times: a clock set back would
  // make an old refresh look new).
  const enough: Freshness = options.force
    ? (c) =>
      c.accessToken !== first.accessToken && !c.unusable &&
      c.retiredAt === undefined
    : fresh;
  if (enough(first, requestedAt, minTtlMs)) return first;
  if (!canRefresh(first)) throw expired(settings, first, options.force);
  const lock = await deps.locks.acquire(settings.profile, deps.signal);
  try {
    // Another process may have refreshed while this one waited.
    const current = await loadCredential(deps.store, settings);
    if (enough(current, deps.clock.now(), minTtlMs)) return current;
    if (!canRefresh(current)) throw expired(settings, current, options.force);
    // Obtained without a person (a CI token exchanged, client credentials):
    // no refresh token to lose; the same grant again.
    if (!current.refreshToken && renewable(current)) {
      const { renewUnattended } = await import("./unattended.ts");
      return await renewUnattended(deps, settings, current);
    }
    // Until the refresh request is sent, an interruption cancels (nothing
    // is lost yet); from then on, the shield defers it until the answer is
    // saved. `guard` is the signal of everything before.
    const guard = new AbortController();
    const interrupted = () => guard.abort(deps.signal.reason);
    deps.signal.addEventListener("abort", interrupted, { once: true });
    // Loaded only when a refresh is due: keeps `token` lean.
    const oauth = await import("../oauth/mod.ts");
    let session = await deps.connect({
      issuer: current.issuer,
      clientId: current.clientId,
      signal: guard.signal,
      // One deadline for the whole refresh (discovery, keys, the request):
      // --http-timeout bounds the operation, not each of its requests.
      deadline: Date.now() + deps.network.timeoutMs,
      // What is configured now, over what the tokens were obtained with
      // (which serves when nothing is configured, and never has the secret).
      settings: { ...current.provider, ...settings.provider },
    });
    // The refresh token goes back only to the endpoint that issued it: a
    // configuration changed since (by mistake, or by someone who could
    // write it) means a new login, never the token sent elsewhere.
    const endpoint = session.metadata.token_endpoint;
    if (current.tokenEndpoint && endpoint !== current.tokenEndpoint) {
      throw notLoggedIn(
        settings,
        `The tokens of profile "${settings.profile}" were issued by the token endpoint "${current.tokenEndpoint}", but the provider settings now name "${endpoint}". The refresh token is sent nowhere else: log in again.`,
        "token_endpoint_changed",
        loginCommand(settings, { force: true }),
      );
    }
    // Bound tokens are refreshed with proofs of the same key.
    if (current.dpop) session = await oauth.withDpop(session, current.dpop);
    // Everything that can fail before the request, fails before it: the
    // provider's keys are fetched now, not after the answer.
    await oauth.loadKeys(session);
    // …and the room for what the refresh brings is made now: a full disk,
    // a read-only or immutable file fails while the refresh token is good.
    const room = await reserve(deps, settings);
    const write = room
      ? (credential: StoredCredential) => room.commit(credential)
      : (credential: StoredCredential) =>
        deps.store.set(settings.profile, credential);
    const shield: Shield = deps.shield ?? ((fn) => fn(deps.signal));
    try {
      return await shield(async () => {
        // Shielded: what was abortable before no longer is.
        if (deps.shield) deps.signal.removeEventListener("abort", interrupted);
        if (guard.signal.aborted) throw interruptionOf(guard.signal.reason);
        // Who the tokens name: what the refresh says, the rest as known.
        const refresh = async (
          token: string,
          expected: RefreshExpectations,
        ) => {
          const tokens = await oauth.refreshTokenGrant(
            session,
            token,
            expected,
          );
          return {
            ...tokens,
            identity: oauth.withKnownClaims(tokens.identity, current.identity),
          };
        };
        return await refreshAndSave(deps, settings, refresh, current, write);
      });
    } finally {
      await room?.release();
    }
  } finally {
    lock.release();
  }
}

/**
 * Reserves room for the refreshed entry before anything is sent; a store
 * that cannot be written now is said now, with the grant intact.
 */
async function reserve(
  deps: Pick<AppDeps, "store">,
  settings: Settings,
): Promise<Reservation | undefined> {
  try {
    return await deps.store.reserve?.(settings.profile);
  } catch (err) {
    throw new StorageError(
      "store_not_writable",
      `The refreshed tokens could not be saved: ${
        (err as Error).message
      } So no refresh was made, and the stored tokens are intact. Free some space (or make the file writable), then run the command again.`,
      { cause: err },
    );
  }
}

/**
 * Sends the refresh request and saves its answer: the one stretch where an
 * interruption would lose the grant (the provider has already retired the
 * old refresh token when it answers).
 */
async function refreshAndSave(
  deps: Pick<AppDeps, "clock" | "registrations">,
  settings: Settings,
  refresh: (
    refreshToken: string,
    expected: RefreshExpectations,
  ) => Promise<TokenSet>,
  current: StoredCredential,
  write: (credential: StoredCredential) => Promise<void>,
): Promise<StoredCredential> {
  let tokens;
  try {
    tokens = await refresh(current.refreshToken!, {
      sub: current.identity?.sub,
      tid: current.identity?.tid,
      flow: current.flow,
    });
  } catch (err) {
    // Never retried: the entry is marked so nothing replays the old token.
    const retire = async (fix: string, code: string) => {
      await write({
        ...current,
        refreshToken: undefined,
        unusable: (err as Error).message,
      }).catch(() => {});
      return notLoggedIn(
        settings,
        `${(err as Error).message} ${fix}`,
        code,
      );
    };
    if (
      err instanceof AuthctlError && err.code === ErrorCode.refreshUnverified
    ) {
      // The provider answered (and retired the old refresh token), but the
      // answer could not be checked here: keep its refresh token, hand out
      // nothing of it, and let the next command refresh again.
      await save(write, {
        ...current,
        refreshToken: (err as { refreshToken?: string }).refreshToken ??
          current.refreshToken,
        retiredAt: deps.clock.now(),
      });
      throw new ProviderError(
        ErrorCode.refreshUnverified,
        `${err.message} The provider's new refresh token was saved; the access token was not used, and the next command refreshes again.`,
        { cause: err },
      );
    }
    if (err instanceof AuthctlError && err.code === ErrorCode.refreshRejected) {
      throw await retire("Log in again.", ErrorCode.refreshRejected);
    }
    if (err instanceof AuthctlError && err.code === ErrorCode.clientRejected) {
      const kept = await deps.registrations?.get(current.issuer);
      if (kept?.clientId === current.clientId) {
        // A registration the server forgot: the next login registers anew.
        await deps.registrations?.delete(current.issuer);
        throw await retire(
          "It was registered by an earlier login, and the server has forgotten it; log in again to register anew.",
          "registration_forgotten",
        );
      }
    }
    throw err;
  }
  const now = deps.clock.now();
  const renewed: StoredCredential = {
    ...current,
    accessToken: tokens.accessToken,
    tokenType: tokens.tokenType,
    expiresAt: tokens.expiresIn === undefined
      ? undefined
      : now + tokens.expiresIn * 1000,
    // No new refresh token: the old one stays valid (RFC 6749 §6).
    refreshToken: tokens.refreshToken ?? current.refreshToken,
    idToken: tokens.idToken ?? current.idToken,
    identity: tokens.identity,
    grantedScope: tokens.scope ?? current.grantedScope,
    obtainedAt: now,
    retiredAt: undefined,
  };
  await save(write, renewed);
  return renewed;
}

/** Saves a refresh's result; a failure says what it may have cost. */
async function save(
  write: (credential: StoredCredential) => Promise<void>,
  credential: StoredCredential,
): Promise<void> {
  try {
    await write(credential);
  } catch (err) {
    throw new StorageError(
      "refresh_not_saved",
      `The tokens were refreshed but could not be saved: ${
        (err as Error).message
      } The provider may have retired the stored refresh token, so the next command may need a new login. Fix the storage problem, then run login.`,
      { cause: err },
    );
  }
}

function expired(
  settings: Settings,
  credential: StoredCredential,
  forced = false,
) {
  return notLoggedIn(
    settings,
    credential.unusable
      ? `The credentials of profile "${settings.profile}" were rejected by the provider (${credential.unusable}).`
      : forced
      ? `Profile "${settings.profile}" has no refresh token, so its tokens cannot be refreshed.`
      : credential.retiredAt !== undefined
      ? `The access token of profile "${settings.profile}" was refused by a server and there is no refresh token.`
      : `The access token of profile "${settings.profile}" has expired and there is no refresh token.`,
    credential.unusable
      ? "credentials_unusable"
      : forced
      ? "no_refresh_token"
      : credential.retiredAt !== undefined
      ? "token_refused"
      : "token_expired",
  );
}

/**
 * Retires the profile's access token after a server refused it: under the
 * profile's lock, so a refresh in flight is not undone, and only the token
 * that was refused (`accessToken`; undefined: whichever is stored), never a
 * newer one. The entry stays for `status`; the next command refreshes it,
 * or says to log in.
 */
export async function retireAccessToken(
  deps: Pick<AppDeps, "store" | "clock" | "locks" | "signal">,
  settings: Settings,
  accessToken?: string,
): Promise<void> {
  const lock = await deps.locks.acquire(settings.profile, deps.signal);
  try {
    const current = await loadCredential(deps.store, settings).catch(
      () => undefined,
    );
    if (
      current &&
      (accessToken === undefined || accessToken === current.accessToken)
    ) {
      await deps.store.set(settings.profile, {
        ...current,
        retiredAt: deps.clock.now(),
      });
    }
  } finally {
    lock.release();
  }
}
