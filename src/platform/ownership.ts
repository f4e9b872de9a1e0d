/**
 * Whether a file or directory can be trusted with what authctl keeps in it:
 * owned by this user, and not writable by others. One rule for the
 * credentials and for the configuration (which says where tokens go).
 *
 * @module
 */

/**
 * The user a file belongs to when that is not this process's user, or
 * undefined (also where owners do not apply).
 */
export function foreignOwner(
  info: Pick<Deno.FileInfo, "uid">,
): { owner: number; you: number } | undefined {
  const you = Deno.uid();
  if (you === null || info.uid === null || info.uid === you) return undefined;
  return { owner: info.uid, you };
}

/**
 * Why `info` cannot be trusted by this user (another owner, or a mode that
 * lets others write), or undefined when it can. POSIX only.
 */
export function untrusted(
  info: Pick<Deno.FileInfo, "uid" | "mode">,
): string | undefined {
  const foreign = foreignOwner(info);
  if (foreign) {
    return `it belongs to user ${foreign.owner}, not to you (${foreign.you})`;
  }
  const mode = info.mode ?? 0;
  if (mode & 0o022) {
    return `other users can write to it (mode ${(mode & 0o777).toString(8)})`;
  }
  return undefined;
}
