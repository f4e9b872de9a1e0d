/**
 * The release workflow's size and start-up line: a Markdown table appended
 * to the job summary, with the file's size and a median start time.
 */

import { assertEquals, assertMatch } from "../support/assert.ts";

Deno.test("startup report: size and median start time in the job summary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const summary = `${dir}/summary.md`;
    await Deno.writeTextFile(summary, "# earlier content\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../../scripts/startup_report.ts", import.meta.url).pathname,
        "--runs",
        "3",
        "--summary",
        summary,
        "--",
        Deno.execPath(),
        "--version",
      ],
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const text = await Deno.readTextFile(summary);
    const size = (await Deno.stat(Deno.execPath())).size;
    assertMatch(text, /^# earlier content\n/);
    assertMatch(
      text,
      new RegExp(
        `\\| deno \\| [\\d.]+ MiB \\(${size} bytes\\) \\| [\\d.]+ ms \\|`,
      ),
    );
    assertMatch(text, /median start of `--version` \(3 runs\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
