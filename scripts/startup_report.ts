/**
 * `deno run --allow-all scripts/startup_report.ts [--runs N] [--summary FILE]
 * -- PROGRAM [ARGS…]`: the size of PROGRAM's file and the median wall time
 * of `PROGRAM ARGS…` (default `version`) over N runs (default 21, after two
 * warm-up runs), as a Markdown table appended to FILE (the release
 * workflow's job summary, `$GITHUB_STEP_SUMMARY`) and printed.
 *
 * @module
 */

import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "21" },
    summary: { type: "string" },
    label: { type: "string" },
  },
  allowPositionals: true,
});
const [program, ...rest] = positionals;
if (!program) {
  console.error(
    "usage: startup_report.ts [--runs N] [--summary FILE] -- PROGRAM [ARGS…]",
  );
  Deno.exit(2);
}
const args = rest.length ? rest : ["version"];
const runs = Math.max(1, Number(values.runs));
const size = (await Deno.stat(program)).size;
const times: number[] = [];
for (let i = 0; i < runs + 2; i++) {
  const start = performance.now();
  const out = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - start;
  if (!out.success) {
    console.error(
      `${program} ${args.join(" ")} failed (exit ${out.code}): ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
    Deno.exit(1);
  }
  if (i >= 2) times.push(elapsed);
}
times.sort((a, b) => a - b);
const median = times.length % 2
  ? times[(times.length - 1) / 2]
  : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
const name = values.label ?? program.split(/[\\/]/).pop()!;
const table = [
  `| file | size | median start of \`${args.join(" ")}\` (${runs} runs) |`,
  "| --- | --- | --- |",
  `| ${name} | ${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes) | ${
    median.toFixed(1)
  } ms |`,
  "",
].join("\n");
console.log(table);
if (values.summary) {
  await Deno.writeTextFile(values.summary, table + "\n", { append: true });
}
