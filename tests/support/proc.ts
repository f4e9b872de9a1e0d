/**
 * Sampling `/proc` for secrets in processes' argv and environment (Linux).
 *
 * @module
 */

/**
 * Collects the command lines and environments of `pid` and its descendants;
 * with `withRootEnviron` false, all but `pid`'s own environment (which holds
 * what the user put there).
 */
export function sampleProcesses(root: number, withRootEnviron = true): string {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch { /* gone */ }
  }
  let text = "";
  const queue: [number, string][] = [[root, ""]];
  while (queue.length) {
    const [pid, parentImage] = queue.shift()!;
    const image = imageOf(pid);
    // A child between fork and exec is still its parent's memory: what it
    // shows is the parent's own environment, not one handed to a child.
    if (pid !== root && image !== "" && image === parentImage) {
      queue.push(
        ...(children.get(pid) ?? []).map((c): [number, string] => [c, image]),
      );
      continue;
    }
    for (const file of ["cmdline", "environ"]) {
      if (pid === root && file === "environ" && !withRootEnviron) continue;
      try {
        text +=
          new TextDecoder().decode(Deno.readFileSync(`/proc/${pid}/${file}`)) +
          "\n";
      } catch { /* gone */ }
    }
    queue.push(
      ...(children.get(pid) ?? []).map((c): [number, string] => [c, image]),
    );
  }
  return text;
}

/** The executable and command line of `pid`, or "" once it is gone. */
function imageOf(pid: number): string {
  try {
    return Deno.readLinkSync(`/proc/${pid}/exe`) + "\0" +
      Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return "";
  }
}
