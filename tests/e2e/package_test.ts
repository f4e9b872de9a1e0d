/**
 * `deno task package OUT`, the script the release workflow runs, for a
 * branded build with a pre-release version: every file it makes is checked
 * by the tool that will read it (Ruby for the formula, dpkg and rpm for the
 * packages, the schemas' required fields for Scoop and winget), the `.deb`
 * is installed on this machine and removed again, and the workflow's own
 * publish steps run against a fake release to show a tag push attaches
 * every file, listed in SHA256SUMS.
 */

import { parse as parseYaml } from "yaml";
import { assert, assertEquals, assertMatch } from "../support/assert.ts";
import { makeRelease, sha256File } from "../support/release.ts";
import { runProgram } from "../support/run.ts";

const root = new URL("../../", import.meta.url);
const NAME = "pkgtestctl";
const REPO = "acme/pkgtest";
const VERSION = "2.3.0-rc.1";
const BUILD = {
  AUTHCTL_BUILD_NAME: NAME,
  AUTHCTL_BUILD_REPO: REPO,
  AUTHCTL_BUILD_VERSION: VERSION,
  AUTHCTL_BUILD_LICENSE: "Apache-2.0",
  AUTHCTL_BUILD_PUBLISHER: "Acme Corp",
  AUTHCTL_BUILD_MAINTAINER: "Acme CLI team <cli@acme.example>",
};
const DOWNLOAD = `https://github.com/${REPO}/releases/download/v${VERSION}`;
const WINDOWS_EXE = `${NAME}-${VERSION}-x86_64-pc-windows-msvc.exe`;

function sh(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
) {
  return runProgram(command, args, {
    cwd: options.cwd,
    env: { ...Deno.env.toObject(), NO_COLOR: "1", ...options.env },
  });
}

async function ok(command: string, args: string[], cwd?: string) {
  const out = await sh(command, args, { cwd });
  assertEquals(out.code, 0, `${command} ${args.join(" ")}:\n${out.stderr}`);
  return out.stdout;
}

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("package: a branded release, every file checked by what reads it", async (t) => {
  const out = await Deno.makeTempDir({ prefix: "package-" });
  try {
    const files = await makeRelease(out, BUILD);
    const sha = (file: string) => sha256File(`${out}/${file}`);

    await t.step(
      "every file is listed in SHA256SUMS, and each hash holds",
      async () => {
        const listed = (await Deno.readTextFile(`${out}/SHA256SUMS`)).trim()
          .split("\n").map((line) => line.split("  ")[1]);
        assertEquals(listed, files.filter((f) => f !== "SHA256SUMS"));
        await ok(
          "sha256sum",
          ["--check", "--strict", "--quiet", "SHA256SUMS"],
          out,
        );
        for (
          const expected of [
            `${NAME}.rb`,
            `${NAME}.json`,
            `acme.${NAME}.yaml`,
            `acme.${NAME}.installer.yaml`,
            `acme.${NAME}.locale.en-US.yaml`,
            `${NAME}_2.3.0~rc.1_amd64.deb`,
            `${NAME}_2.3.0~rc.1_arm64.deb`,
            `${NAME}-2.3.0~rc.1-1.x86_64.rpm`,
            `${NAME}-2.3.0~rc.1-1.aarch64.rpm`,
            `${NAME}-${VERSION}-aarch64-apple-darwin.tar.gz`,
            `${NAME}-${VERSION}-x86_64-unknown-linux-gnu`,
            WINDOWS_EXE,
            `${NAME}-${VERSION}.bundle.js`,
            "install.sh",
            "install.ps1",
          ]
        ) assert(files.includes(expected), `${expected} is in the release`);
      },
    );

    await t.step(
      "Homebrew formula: ruby -c passes; its URLs and hashes are the release's archives",
      async () => {
        const formula = await Deno.readTextFile(`${out}/${NAME}.rb`);
        assertMatch(await ok("ruby", ["-c", `${out}/${NAME}.rb`]), /Syntax OK/);
        // Negative control: ruby -c does reject a broken formula.
        const broken = `${out}/../broken-${NAME}.rb`;
        await Deno.writeTextFile(broken, formula.replace(/\n {2}end\n/, "\n"));
        try {
          assert((await sh("ruby", ["-c", broken])).code !== 0);
        } finally {
          await Deno.remove(broken);
        }
        assertMatch(formula, /^class Pkgtestctl < Formula$/m);
        assertMatch(formula, new RegExp(`^  version "${VERSION}"$`, "m"));
        assertMatch(formula, /^ {2}license "Apache-2.0"$/m);
        const pairs = [
          ...formula.matchAll(/url "([^"]+)"\n\s+sha256 "([0-9a-f]{64})"/g),
        ];
        assertEquals(pairs.length, 4, "macOS and Linux, arm64 and x64");
        const archives = [];
        for (const [, url, hash] of pairs) {
          assert(url.startsWith(`${DOWNLOAD}/`), url);
          const file = url.slice(DOWNLOAD.length + 1);
          archives.push(file);
          assertEquals(hash, await sha(file), file);
          // What `bin.install` and `man1.install` take is in the archive.
          const listing = await ok("tar", ["-tzf", `${out}/${file}`]);
          assertEquals(listing.trim().split("\n").sort(), [NAME, `${NAME}.1`]);
        }
        assertEquals(archives.sort(), [
          `${NAME}-${VERSION}-aarch64-apple-darwin.tar.gz`,
          `${NAME}-${VERSION}-aarch64-unknown-linux-gnu.tar.gz`,
          `${NAME}-${VERSION}-x86_64-apple-darwin.tar.gz`,
          `${NAME}-${VERSION}-x86_64-unknown-linux-gnu.tar.gz`,
        ]);
        assertMatch(
          formula,
          /on_macos do\n {4}on_arm do\n {6}url "[^"]+aarch64-apple-darwin/,
        );
        assertMatch(
          formula,
          /on_linux do\n {4}on_arm do\n {6}url "[^"]+aarch64-unknown-linux-gnu/,
        );
        assert(
          formula.includes(
            `generate_completions_from_executable(bin/"${NAME}", "completion"`,
          ),
        );
        assert(formula.includes(`shell_output("#{bin}/${NAME} version")`));
      },
    );

    await t.step(
      "Scoop manifest: parses, only schema properties, version required, hash of the .exe",
      async () => {
        const manifest: Json = JSON.parse(
          await Deno.readTextFile(`${out}/${NAME}.json`),
        );
        // ScoopInstaller/Scoop schema.json: "required": ["version"], and
        // additionalProperties false at the top, in architecture and autoupdate.
        const allowed = [
          "##",
          "_comment",
          "architecture",
          "autoupdate",
          "bin",
          "checkver",
          "cookie",
          "depends",
          "description",
          "env_add_path",
          "env_set",
          "extract_dir",
          "extract_to",
          "hash",
          "homepage",
          "innosetup",
          "installer",
          "license",
          "msi",
          "notes",
          "persist",
          "post_install",
          "pre_install",
          "psmodule",
          "shortcuts",
          "suggest",
          "uninstaller",
          "url",
          "version",
        ];
        for (const key of Object.keys(manifest)) {
          assert(allowed.includes(key), key);
        }
        assertEquals(manifest.version, VERSION);
        assertMatch(manifest.version, /^[\w\-.+_]+$/);
        assertEquals(manifest.license, "Apache-2.0");
        const x64 = manifest.architecture["64bit"];
        assertEquals(Object.keys(x64).sort(), ["hash", "url"]);
        assertEquals(x64.url, `${DOWNLOAD}/${WINDOWS_EXE}#/${NAME}.exe`);
        assertEquals(x64.hash, await sha(WINDOWS_EXE));
        assertEquals(manifest.bin, `${NAME}.exe`);
        assertEquals(manifest.checkver, {
          github: `https://github.com/${REPO}`,
        });
        assertEquals(
          manifest.autoupdate.architecture["64bit"].url,
          `https://github.com/${REPO}/releases/download/v$version/${NAME}-$version-x86_64-pc-windows-msvc.exe#/${NAME}.exe`,
        );
        assertEquals(manifest.autoupdate.hash, { url: "$baseurl/SHA256SUMS" });
      },
    );

    await t.step(
      "winget manifests: parse, the schemas' required fields, schema 1.28.0, the .exe's hash",
      async () => {
        const read = async (file: string): Promise<Json> => {
          const text = await Deno.readTextFile(`${out}/${file}`);
          return { text, doc: parseYaml(text) };
        };
        const id = `acme.${NAME}`;
        // Required fields of manifest.{version,installer,defaultLocale}.1.28.0.json.
        const required: Record<string, string[]> = {
          version: [
            "PackageIdentifier",
            "PackageVersion",
            "DefaultLocale",
            "ManifestType",
            "ManifestVersion",
          ],
          installer: [
            "PackageIdentifier",
            "PackageVersion",
            "Installers",
            "ManifestType",
            "ManifestVersion",
          ],
          defaultLocale: [
            "PackageIdentifier",
            "PackageVersion",
            "PackageLocale",
            "Publisher",
            "PackageName",
            "License",
            "ShortDescription",
            "ManifestType",
            "ManifestVersion",
          ],
        };
        const files: Record<string, string> = {
          version: `${id}.yaml`,
          installer: `${id}.installer.yaml`,
          defaultLocale: `${id}.locale.en-US.yaml`,
        };
        for (const [type, file] of Object.entries(files)) {
          const { text, doc } = await read(file);
          for (const key of required[type]) {
            assert(doc[key] !== undefined, `${file}: ${key}`);
          }
          assertEquals(doc.ManifestType, type);
          assertEquals(doc.ManifestVersion, "1.28.0");
          assert(
            text.includes(
              `$schema=https://aka.ms/winget-manifest.${type}.1.28.0.schema.json`,
            ),
          );
          assertEquals(doc.PackageIdentifier, id);
          assertMatch(
            doc.PackageIdentifier,
            // deno-lint-ignore no-control-regex
            /^[^.\s\\/:*?"<>|\x01-\x1f]{1,32}(\.[^.\s\\/:*?"<>|\x01-\x1f]{1,32}){1,7}$/,
          );
          assertEquals(doc.PackageVersion, VERSION);
        }
        const installer = (await read(files.installer)).doc;
        assertEquals(installer.InstallerType, "portable");
        assertEquals(installer.Commands, [NAME]);
        assertEquals(installer.Installers.length, 1);
        const [x64] = installer.Installers;
        assertEquals(x64.Architecture, "x64");
        assertEquals(x64.InstallerUrl, `${DOWNLOAD}/${WINDOWS_EXE}`);
        assertMatch(x64.InstallerSha256, /^[A-Fa-f0-9]{64}$/);
        assertEquals(x64.InstallerSha256.toLowerCase(), await sha(WINDOWS_EXE));
        const locale = (await read(files.defaultLocale)).doc;
        assertEquals(locale.Publisher, "Acme Corp");
        assertEquals(locale.License, "Apache-2.0");
        assert(locale.ShortDescription.length <= 256);
      },
    );

    await t.step(
      "installers know the release's name and repository",
      async () => {
        const sh = (await Deno.readTextFile(`${out}/install.sh`)).split("\n");
        assert(sh.includes(`NAME=${NAME}`) && sh.includes(`REPO=${REPO}`));
        const ps1 = (await Deno.readTextFile(`${out}/install.ps1`)).split("\n");
        assert(ps1.includes(`$DefaultName = "${NAME}"`));
        assert(ps1.includes(`$DefaultRepo = "${REPO}"`));
      },
    );

    const deb = `${out}/${NAME}_2.3.0~rc.1_amd64.deb`;
    await t.step(
      ".deb: metadata, then dpkg -i: on PATH, bash completion, man page, upgrade refused; dpkg -r removes it all",
      async () => {
        const field = async (name: string) =>
          (await ok("dpkg-deb", ["-f", deb, name])).trim();
        assertEquals(await field("Package"), NAME);
        assertEquals(await field("Version"), "2.3.0~rc.1");
        assertEquals(await field("Architecture"), "amd64");
        assertEquals(
          await field("Maintainer"),
          "Acme CLI team <cli@acme.example>",
        );
        assertEquals(await field("Homepage"), `https://github.com/${REPO}`);
        const arm = `${out}/${NAME}_2.3.0~rc.1_arm64.deb`;
        assertEquals(
          (await ok("dpkg-deb", ["-f", arm, "Architecture"])).trim(),
          "arm64",
        );
        const contents = await ok("dpkg-deb", ["-c", deb]);
        assertMatch(
          contents,
          new RegExp(`-rwxr-xr-x root/root .* \\./usr/bin/${NAME}\\n`),
        );

        // This machine's own architecture is installed.
        const native = `${out}/${NAME}_2.3.0~rc.1_${
          Deno.build.arch === "x86_64" ? "amd64" : "arm64"
        }.deb`;
        // Minimal images tell dpkg to leave out /usr/share/man: not this page.
        await ok("dpkg", [
          `--path-include=/usr/share/man/man1/${NAME}.1.gz`,
          "-i",
          native,
        ]);
        let installed = true;
        try {
          const version = await sh("bash", ["-c", `${NAME} version`], {
            env: {
              PATH: Deno.env.get("PATH")!,
              HOME: Deno.env.get("HOME")!,
              ...(Deno.env.get("DENO_DIR")
                ? { DENO_DIR: Deno.env.get("DENO_DIR")! }
                : {}),
            },
          });
          assertEquals(version.code, 0, version.stderr);
          assertMatch(
            version.stdout,
            new RegExp(`^${NAME} ${VERSION.replaceAll(".", "\\.")} `),
          );
          const completion = await ok("bash", [
            "-c",
            `source /usr/share/bash-completion/completions/${NAME} && complete -p ${NAME}`,
          ]);
          assertMatch(completion, new RegExp(`^complete .* ${NAME}\\n$`));
          const man = await sh("man", ["-P", "cat", NAME], {
            env: { MANWIDTH: "100", PATH: Deno.env.get("PATH")! },
          });
          assertEquals(man.code, 0, man.stderr);
          assertMatch(man.stdout, /^PKGTESTCTL\(1\)/);
          assert(
            man.stdout.includes(`${NAME} upgrade`),
            "the page has every command's help",
          );
          // The package owns the binary: upgrade says how to update it instead.
          const upgrade = await sh(`/usr/bin/${NAME}`, ["upgrade"], {
            env: {
              PATH: Deno.env.get("PATH")!,
              HOME: Deno.env.get("HOME")!,
              PKGTESTCTL_GITHUB_URL: "http://127.0.0.1:9",
            },
          });
          assertEquals(upgrade.code, 1, upgrade.stderr);
          assert(
            upgrade.stderr.includes(
              `/usr/bin/${NAME} was installed by dpkg (a .deb package); upgrade it the same way: download the newest ${NAME}_*.deb`,
            ),
            upgrade.stderr,
          );
          await ok("dpkg", ["-r", NAME]);
          installed = false;
          assert(
            (await sh("dpkg", ["-s", NAME])).code !== 0,
            "no longer installed",
          );
          for (
            const path of [
              `/usr/bin/${NAME}`,
              `/usr/lib/${NAME}`,
              `/usr/share/man/man1/${NAME}.1.gz`,
              `/usr/share/bash-completion/completions/${NAME}`,
              `/usr/share/doc/${NAME}`,
            ]
          ) {
            await Deno.lstat(path).then(
              () => assert(false, `${path} is left behind`),
              () => {},
            );
          }
        } finally {
          if (installed) await sh("dpkg", ["--purge", NAME]);
        }
      },
    );

    await t.step(
      ".rpm: rpm -qip and rpm -qlp show the metadata and the same files as the .deb",
      async () => {
        const rpmFile = `${out}/${NAME}-2.3.0~rc.1-1.x86_64.rpm`;
        const info = await ok("rpm", ["-qip", rpmFile]);
        for (
          const [key, value] of [
            ["Name", NAME],
            ["Version", "2.3.0~rc.1"],
            ["Architecture", "x86_64"],
            ["License", "Apache-2.0"],
            ["URL", `https://github.com/${REPO}`],
            ["Packager", "Acme CLI team <cli@acme.example>"],
          ]
        ) {
          assertMatch(
            info,
            new RegExp(
              `^${key}\\s*: ${value.replace(/[.+~<>]/g, "\\$&")}$`,
              "m",
            ),
          );
        }
        const arm = await ok("rpm", [
          "-qip",
          `${out}/${NAME}-2.3.0~rc.1-1.aarch64.rpm`,
        ]);
        assertMatch(arm, /^Architecture: aarch64$/m);
        const listed = (await ok("rpm", ["-qlp", rpmFile])).trim().split("\n");
        const inDeb = (await ok("dpkg-deb", ["-c", deb])).split("\n")
          .map((line) => line.split(/\s+/).at(-1)!)
          .filter((path) => path && !path.endsWith("/"))
          .map((path) => path.slice(1)).sort();
        assertEquals(listed.sort(), inDeb);
      },
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("package: the release workflow's publish job attaches every file, listed in SHA256SUMS (a fake release, a fake gh)", async () => {
  const work = await Deno.makeTempDir({ prefix: "publish-" });
  try {
    // What the build jobs left in the draft release: each target's binary
    // and the bundle (stand-ins here).
    const full = await makeRelease(`${work}/made`, BUILD);
    const draft = `${work}/draft`;
    await Deno.mkdir(draft);
    for (const file of full) {
      if (
        file.startsWith(`${NAME}-${VERSION}`) && !/\.(tar\.gz|rpm)$/.test(file)
      ) {
        await Deno.copyFile(`${work}/made/${file}`, `${draft}/${file}`);
      }
    }
    // A checkout to run the job in.
    const checkout = `${work}/checkout`;
    await Deno.mkdir(checkout);
    for (
      const entry of ["deno.json", "deno.lock", "main.ts", "src", "scripts"]
    ) {
      await Deno.symlink(new URL(entry, root).pathname, `${checkout}/${entry}`);
    }
    // gh, npm and sudo as the runner would have them, recording calls.
    const bin = `${work}/bin`;
    const published = `${work}/published`;
    await Deno.mkdir(bin);
    await Deno.mkdir(published);
    await Deno.writeTextFile(
      `${bin}/gh`,
      `#!/usr/bin/env bash
set -euo pipefail
echo "gh $*" >> "$CALLS"
[ "$1 $2" = "release download" ] || [ "$1 $2" = "release upload" ] || [ "$1 $2" = "release edit" ] || { echo "fake gh: $*" >&2; exit 1; }
tag="$3"; [ "$tag" = "$TAG" ] || { echo "wrong tag $tag" >&2; exit 1; }
shift 3
case "$1" in
  --repo) ;;
esac
if [ "$*" = "--repo $GITHUB_REPOSITORY --draft=false" ]; then exit 0; fi
files=(); dir=""; pattern=""; repo=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --pattern) pattern="$2"; shift 2 ;;
    --clobber) shift ;;
    *) files+=("$1"); shift ;;
  esac
done
[ "$repo" = "$GITHUB_REPOSITORY" ] || { echo "wrong repo $repo" >&2; exit 1; }
if [ -n "$dir" ]; then
  mkdir -p "$dir"
  for f in "$DRAFT"/$pattern; do cp "$f" "$dir/"; done
else
  for f in "\${files[@]}"; do cp "$f" "$PUBLISHED/"; done
fi
`,
      { mode: 0o755 },
    );
    for (const tool of ["npm", "sudo"]) {
      await Deno.writeTextFile(
        `${bin}/${tool}`,
        `#!/bin/sh\necho "${tool} $*" >> "$CALLS"\n`,
        { mode: 0o755 },
      );
    }
    const { doc } = {
      doc: parseYaml(
        await Deno.readTextFile(new URL(".github/workflows/release.yml", root)),
      ),
    };
    const job = doc.jobs.publish;
    // The workflow's env, with GitHub's expressions as a tag push gives them.
    const expression = (value: string) =>
      String(value).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
        if (expr === "github.repository") return REPO;
        if (expr === "github.sha") {
          return "0123456789abcdef0123456789abcdef01234567";
        }
        if (expr === "github.ref_name") return `v${VERSION}`;
        if (expr === "github.token") return "fake-token";
        if (expr === "vars.AUTHCTL_BUILD_NAME") return NAME;
        if (expr.startsWith("vars.")) {
          return BUILD[expr.slice(5) as keyof typeof BUILD] ?? "";
        }
        throw new Error(`unexpected expression ${expr}`);
      });
    const env: Record<string, string> = {
      PATH: `${bin}:${Deno.env.get("PATH")}`,
      HOME: Deno.env.get("HOME")!,
      ...(Deno.env.get("DENO_DIR")
        ? { DENO_DIR: Deno.env.get("DENO_DIR")! }
        : {}),
      GITHUB_REPOSITORY: REPO,
      CALLS: `${work}/calls`,
      DRAFT: draft,
      PUBLISHED: published,
      NO_COLOR: "1",
    };
    for (const [key, value] of Object.entries(doc.env)) {
      env[key] = expression(value as string);
    }
    const steps = job.steps as Json[];
    for (const step of steps) {
      if (step.uses) {
        if (String(step.uses).startsWith("actions/attest-build-provenance@")) {
          assertEquals(step.with["subject-path"], "release/*");
        }
        continue;
      }
      const stepEnv = { ...env };
      for (const [key, value] of Object.entries(step.env ?? {})) {
        stepEnv[key] = expression(value as string);
      }
      const out = await new Deno.Command("bash", {
        args: ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run],
        cwd: checkout,
        env: stepEnv,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(
        out.code,
        0,
        `${step.name}:\n${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const calls = (await Deno.readTextFile(`${work}/calls`)).trim().split("\n");
    assertEquals(
      calls.at(-1),
      `gh release edit v${VERSION} --repo ${REPO} --draft=false`,
      "published last",
    );
    // Everything `deno task package` makes was attached, and the sums hold.
    const attached: string[] = [];
    for await (const entry of Deno.readDir(published)) {
      attached.push(entry.name);
    }
    assertEquals(attached.sort(), [...full].sort());
    await ok(
      "sha256sum",
      ["--check", "--strict", "--quiet", "SHA256SUMS"],
      published,
    );
    const listed =
      (await Deno.readTextFile(`${published}/SHA256SUMS`)).trim().split("\n")
        .length;
    assertEquals(listed, full.length - 1);
    // The packages were made from the draft's binaries (--binaries), not rebuilt.
    assertEquals(
      await sha256File(
        `${published}/${NAME}-${VERSION}-x86_64-unknown-linux-gnu`,
      ),
      await sha256File(`${draft}/${NAME}-${VERSION}-x86_64-unknown-linux-gnu`),
    );
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
