/**
 * The logout use case: forget the profile's credentials.
 *
 * @module
 */

import type { Settings } from "../config/settings.ts";
import type { AppDeps } from "./deps.ts";

/** What a logout did. */
export interface LogoutResult {
  profile: string;
  /** Whether anything was stored. */
  removed: boolean;
}

/** Removes the profile's stored credentials. */
export async function logout(
  deps: Pick<AppDeps, "store">,
  settings: Settings,
): Promise<LogoutResult> {
  const removed = await deps.store.delete(settings.profile);
  return { profile: settings.profile, removed };
}
