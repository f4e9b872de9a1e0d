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
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    for (const file of ["cmdline", "environ"]) {
      if (pid === root && file === "environ" && !withRootEnviron) continue;
      try {
        text +=
          new TextDecoder().decode(Deno.readFileSync(`/proc/${pid}/${file}`)) +
          "\n";
      } catch { /* gone */ }
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return text;
}
