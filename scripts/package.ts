/**
 * `deno task package OUT`: every file a release of a (branded) build
 * publishes, made for its name, repository and version.
 *
 * - the binaries for every target, and the bundle;
 * - `NAME-VERSION-TARGET.tar.gz` for macOS and Linux (the binary and its
 *   man page), which the Homebrew formula installs;
 * - `NAME.rb`, a Homebrew formula for a tap (macOS and Linux, arm64 and
 *   x64), with shell completions from `NAME completion …` and a test;
 * - `NAME.json`, a Scoop manifest with `checkver` and `autoupdate`;
 * - the winget manifests (version, installer, defaultLocale);
 * - `.deb` (built by Debian's `dpkg-deb`) and `.rpm` (built by
 *   `rpmbuild`, RPM's own builder) for Linux amd64 and arm64, each with
 *   the completions, a man page generated from the help, and a marker
 *   that tells `upgrade` the package manager owns the binary;
 * - `install.sh` and `install.ps1` that know the release's repository;
 * - `SHA256SUMS` of all of them.
 *
 * With `--binaries DIR` (the release workflow) the binaries and the bundle
 * are the compiled ones in DIR. Without it, the bundle is built here and
 * each target's "binary" is a stand-in: the bundle with a `#!` line that
 * runs it with Deno. The release is then complete and installable on this
 * machine (the tests install its `.deb`, and upgrade from it).
 *
 * It reads the same `AUTHCTL_BUILD_*` variables as `deno task build`, and
 * needs `AUTHCTL_BUILD_REPO` (OWNER/REPO), which the URLs name.
 *
 * Usage: `deno task package OUT [--binaries DIR]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { BuildInfo } from "../src/config/build_info.ts";
import {
  archiveName,
  artifactName,
  channels,
  debianArch,
  debName,
  packageMarker,
  packageVersion,
  rpmArch,
  rpmName,
  type Target,
  TARGETS,
} from "../src/config/distribution.ts";
import { PROGRAM_BRIEF } from "../src/cli/mod.ts";
import {
  build,
  BuildFailure,
  buildSettings,
  gitOutput,
  writeChecksums,
} from "./build.ts";
import { bundleName } from "./build_config.ts";
import { permissionFlags } from "./cli_args.ts";

const root = new URL("../", import.meta.url);

/** The schema version of the winget manifests written. */
export const WINGET_MANIFEST_VERSION = "1.28.0";

/** Linux targets: the ones packaged as .deb and .rpm. */
export const LINUX_TARGETS: Target[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
];

/** Targets shipped as archives (everything but Windows). */
export const ARCHIVE_TARGETS: Target[] = (Object.keys(TARGETS) as Target[])
  .filter((t) => !t.includes("windows"));

const WINDOWS_TARGET: Target = "x86_64-pc-windows-msvc";

/** The packages' one-line description (Homebrew wants fewer than 80 characters). */
const DEFAULT_DESCRIPTION =
  "Log in to an OAuth 2.0 / OpenID Connect provider; hand tokens to scripts";

/** What the packages say about the program, beyond its build settings. */
export interface PackageMeta {
  description: string;
  homepage: string;
  license: string;
  maintainer: string;
  publisher: string;
}

/** Options of {@linkcode makeRelease}. */
export interface PackageOptions {
  outDir: string;
  /** Directory of compiled binaries and the bundle, or undefined for stand-ins. */
  binaries?: string;
  env: Record<string, string>;
  log: (line: string) => void;
}

/** What {@linkcode makeRelease} made. */
export interface ReleaseResult {
  info: BuildInfo;
  outDir: string;
  /** Every file in the release, SHA256SUMS last. */
  files: string[];
}

/** Makes the whole release in `options.outDir`. */
export async function makeRelease(
  options: PackageOptions,
): Promise<ReleaseResult> {
  const { log, env } = options;
  const info = await buildSettings(env);
  if (!info.repo) {
    throw new BuildFailure(
      "AUTHCTL_BUILD_REPO is not set: the packages' URLs name the release's repository. Set it to OWNER/REPO (the release workflow sets it to the repository it runs in).",
      2,
    );
  }
  const meta = packageMeta(info, env);
  await Deno.mkdir(options.outDir, { recursive: true });
  const outDir = await Deno.realPath(options.outDir);
  for await (const entry of Deno.readDir(outDir)) {
    throw new BuildFailure(
      `${outDir} is not empty (it has ${entry.name}): give a new directory, so the release holds only what this run made.`,
      2,
    );
  }
  const epoch = Number(env.SOURCE_DATE_EPOCH || await commitTime() || 0);
  const work = await Deno.makeTempDir({ prefix: "package-" });
  try {
    // 1. The binaries and the bundle.
    const bundle = bundleName(info);
    if (options.binaries) {
      for (const file of [...binaryNames(info), bundle]) {
        try {
          await Deno.copyFile(
            `${options.binaries}/${file}`,
            `${outDir}/${file}`,
          );
        } catch (err) {
          throw new BuildFailure(
            `${options.binaries}/${file} is missing (${
              (err as Error).message
            }): --binaries needs every target's binary and the bundle of ${info.name} ${info.version}.`,
          );
        }
      }
      log(`took the binaries and the bundle from ${options.binaries}`);
    } else {
      const built = await build({
        outDir: `${work}/build`,
        targets: [],
        compile: false,
        requireCompile: false,
        env,
        log: (line) => log(`build: ${line}`),
      });
      await Deno.copyFile(`${built.outDir}/${bundle}`, `${outDir}/${bundle}`);
      const standIn = await standInBinary(`${outDir}/${bundle}`);
      for (const file of binaryNames(info)) {
        await Deno.writeFile(`${outDir}/${file}`, standIn, { mode: 0o755 });
      }
      log(
        "no --binaries: each target's binary is a stand-in (the bundle, run by Deno through its #! line)",
      );
    }
    for (const file of binaryNames(info)) {
      if (!file.endsWith(".exe")) await Deno.chmod(`${outDir}/${file}`, 0o755);
    }

    // 2. What the packages carry besides the binary, from the bundle.
    const docs = await documents(info, `${outDir}/${bundle}`, epoch);
    log("made the man page and the completions from the help");

    // 3. Archives, .deb and .rpm.
    for (const target of ARCHIVE_TARGETS) {
      await archive(info, target, outDir, docs, work, epoch);
    }
    for (const target of LINUX_TARGETS) {
      const files = await packagedFiles(
        info,
        meta,
        await Deno.readFile(`${outDir}/${artifactName(info, target)}`),
        docs,
      );
      const linux = { info, meta, target, outDir, work, epoch, files };
      await deb(linux);
      await rpm(linux);
    }
    log("made the archives, the .deb and the .rpm packages");

    // 4. Manifests, which name the files above by their hashes.
    const sha = async (file: string) => await sha256(`${outDir}/${file}`);
    await Deno.writeTextFile(
      `${outDir}/${info.name}.rb`,
      await homebrewFormula(info, meta, sha),
    );
    await Deno.writeTextFile(
      `${outDir}/${info.name}.json`,
      await scoopManifest(info, meta, sha),
    );
    for (const [file, text] of await wingetManifests(info, meta, sha, epoch)) {
      await Deno.writeTextFile(`${outDir}/${file}`, text);
    }
    await installers(info, outDir);
    log(
      "made the Homebrew formula, the Scoop and winget manifests, the installers",
    );

    // 5. SHA256SUMS of everything.
    const files: string[] = [];
    for await (const entry of Deno.readDir(outDir)) {
      if (entry.isFile) files.push(entry.name);
    }
    files.sort();
    await writeChecksums(outDir, files);
    log(`wrote SHA256SUMS of ${files.length} files in ${outDir}`);
    return { info, outDir, files: [...files, "SHA256SUMS"] };
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** Every target's binary file name. */
export function binaryNames(info: BuildInfo): string[] {
  return (Object.keys(TARGETS) as Target[]).map((t) => artifactName(info, t));
}

/** Package metadata: `AUTHCTL_BUILD_*` values, or defaults from the repository. */
export function packageMeta(
  info: BuildInfo,
  env: Record<string, string>,
): PackageMeta {
  const get = (key: string) => (env[`AUTHCTL_BUILD_${key}`] ?? "").trim();
  const owner = info.repo!.split("/")[0];
  const meta = {
    description: get("DESCRIPTION") || DEFAULT_DESCRIPTION,
    homepage: get("HOMEPAGE") || `https://github.com/${info.repo}`,
    license: get("LICENSE") || "Proprietary",
    maintainer: get("MAINTAINER") ||
      `${owner} <${owner}@users.noreply.github.com>`,
    publisher: get("PUBLISHER") || owner,
  };
  const problems: string[] = [];
  if (!/^[^<>\n]+ <[^<>\s@]+@[^<>\s@]+>$/.test(meta.maintainer)) {
    problems.push(
      `AUTHCTL_BUILD_MAINTAINER "${meta.maintainer}" is not "Name <email>", which Debian and RPM require.`,
    );
  }
  if (!/^https:\/\/\S+$/.test(meta.homepage)) {
    problems.push(
      `AUTHCTL_BUILD_HOMEPAGE "${meta.homepage}" is not an https URL.`,
    );
  }
  if (meta.description.length >= 80) {
    problems.push(
      `AUTHCTL_BUILD_DESCRIPTION is ${meta.description.length} characters: Homebrew and Debian want one line of fewer than 80.`,
    );
  }
  for (const [key, value] of Object.entries(meta)) {
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x1f"\\`$]/.test(value) || value.length > 200) {
      problems.push(
        `AUTHCTL_BUILD_${key.toUpperCase()} "${
          JSON.stringify(value).slice(1, -1)
        }" has quotes, backslashes, "$", control characters or is over 200 characters: the packages quote it as it is.`,
      );
    }
  }
  if (problems.length) {
    throw new BuildFailure(
      `Invalid package settings:\n  - ${problems.join("\n  - ")}`,
      2,
    );
  }
  return meta;
}

/**
 * The stand-in for a compiled binary: the bundle, run by Deno with the
 * binary's permission flags through its `#!` line.
 */
async function standInBinary(bundle: string): Promise<Uint8Array> {
  const permissions = await permissionFlags();
  const code = await Deno.readTextFile(bundle);
  return new TextEncoder().encode(
    `#!/usr/bin/env -S deno run --quiet --no-config --ext=js ${
      permissions.join(" ")
    }\n${code}`,
  );
}

/** The man page and the completion scripts. */
interface Documents {
  man: string;
  bash: string;
  zsh: string;
  fish: string;
}

/** Runs the bundle's help and completion commands to make the documents. */
async function documents(
  info: BuildInfo,
  bundle: string,
  epoch: number,
): Promise<Documents> {
  const permissions = await permissionFlags();
  const home = await Deno.makeTempDir({ prefix: "package-home-" });
  const denoDir = await cacheDir();
  const run = async (args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-config", ...permissions, bundle, ...args],
      env: {
        HOME: home,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        NO_COLOR: "1",
        CI: "1",
        // This machine's Deno cache, not the empty home's: nothing to fetch.
        DENO_DIR: denoDir,
      },
      clearEnv: true,
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (out.code !== 0) {
      throw new BuildFailure(
        `${info.name} ${args.join(" ")} failed (exit ${out.code}): ${
          new TextDecoder().decode(out.stderr)
        }`,
      );
    }
    return text;
  };
  try {
    const help = await run(["--help"]);
    const commands = commandNames(help);
    const sections: [string, string][] = [];
    for (const command of commands) {
      sections.push([command, await run([command, "--help"])]);
    }
    return {
      man: manPage(info, help, sections, epoch),
      bash: await run(["completion", "bash"]),
      zsh: await run(["completion", "zsh"]),
      fish: await run(["completion", "fish"]),
    };
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/** The command names in the program's help (its COMMANDS section). */
export function commandNames(help: string): string[] {
  const section = /\nCOMMANDS\n([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? "";
  return section.split("\n").map((line) => /^ {2}(\S+) {2,}/.exec(line)?.[1])
    .filter((name): name is string => Boolean(name));
}

/** A man(7) page: the program's help, then each command's, as written. */
export function manPage(
  info: BuildInfo,
  help: string,
  sections: [string, string][],
  epoch: number,
): string {
  const date = new Date(epoch * 1000).toISOString().slice(0, 10);
  const verbatim = (text: string) =>
    [".nf", ...text.replace(/\n+$/, "").split("\n").map(roffLine), ".fi"]
      .join("\n");
  const lines = [
    `.TH ${info.name.toUpperCase()} 1 "${date}" "${info.name} ${info.version}" "User Commands"`,
    ".SH NAME",
    `${roff(info.name)} \\- ${roff(PROGRAM_BRIEF)}`,
    ".SH SYNOPSIS",
    `.B ${roff(info.name)}`,
    "\\fICOMMAND\\fR [\\fIFLAGS\\fR]",
    ".SH DESCRIPTION",
    verbatim(help),
    ".SH COMMANDS",
  ];
  for (const [command, text] of sections) {
    lines.push(`.SS "${roff(`${info.name} ${command}`)}"`, verbatim(text));
  }
  lines.push(
    ".SH SEE ALSO",
    `https://github.com/${info.repo}`,
  );
  return lines.join("\n") + "\n";
}

/** Escapes text for roff. */
function roff(text: string): string {
  return text.replaceAll("\\", "\\e").replaceAll("-", "\\-");
}

/** One line of verbatim text: a leading "." or "'" is not a request. */
function roffLine(line: string): string {
  const escaped = roff(line);
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

/** Lays out `files` (path → content, mode) under `dir`. */
async function layout(
  dir: string,
  files: PackageFile[],
): Promise<void> {
  for (const [path, content, mode] of files) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), {
      recursive: true,
      mode: 0o755,
    });
    if (typeof content === "string") {
      await Deno.writeTextFile(full, content, { mode });
    } else {
      await Deno.writeFile(full, content, { mode });
    }
    await Deno.chmod(full, mode);
  }
}

/** A file a package installs: its path under `/`, content and mode. */
type PackageFile = [string, Uint8Array | string, number];

/** One Linux package to build: what it holds, and where. */
interface LinuxPackage {
  info: BuildInfo;
  meta: PackageMeta;
  target: Target;
  outDir: string;
  work: string;
  epoch: number;
  /** Every file but the package manager's marker. */
  files: PackageFile[];
}

/** The package's files with the marker naming its package manager. */
function withMarker(
  pkg: LinuxPackage,
  manager: "deb" | "rpm",
): PackageFile[] {
  return [
    ...pkg.files,
    [`usr/${packageMarker(pkg.info.name)}`, `${manager}\n`, 0o644],
  ];
}

/** What a Linux package installs (but its marker), by path under `/`. */
async function packagedFiles(
  info: BuildInfo,
  meta: PackageMeta,
  binary: Uint8Array,
  docs: Documents,
): Promise<PackageFile[]> {
  const n = info.name;
  return [
    [`usr/bin/${n}`, binary, 0o755],
    [`usr/share/man/man1/${n}.1.gz`, await gzip(docs.man), 0o644],
    [`usr/share/bash-completion/completions/${n}`, docs.bash, 0o644],
    [`usr/share/zsh/vendor-completions/_${n}`, docs.zsh, 0o644],
    [`usr/share/fish/vendor_completions.d/${n}.fish`, docs.fish, 0o644],
    [`usr/share/doc/${n}/copyright`, copyright(info, meta), 0o644],
  ];
}

function copyright(info: BuildInfo, meta: PackageMeta): string {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: ${info.name}
Source: https://github.com/${info.repo}

Files: *
Copyright: ${meta.publisher}
License: ${meta.license}
`;
}

/** `NAME-VERSION-TARGET.tar.gz`: the binary as `NAME`, and `NAME.1`. */
async function archive(
  info: BuildInfo,
  target: Target,
  outDir: string,
  docs: Documents,
  work: string,
  epoch: number,
): Promise<void> {
  const dir = `${work}/archive-${target}`;
  await layout(dir, [
    [
      info.name,
      await Deno.readFile(`${outDir}/${artifactName(info, target)}`),
      0o755,
    ],
    [`${info.name}.1`, docs.man, 0o644],
  ]);
  await run("tar", [
    "--sort=name",
    `--mtime=@${epoch}`,
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-cf",
    `${work}/${target}.tar`,
    "-C",
    dir,
    info.name,
    `${info.name}.1`,
  ]);
  await Deno.writeFile(
    `${outDir}/${archiveName(info, target)}`,
    await gzip(await Deno.readFile(`${work}/${target}.tar`)),
  );
}

/** A `.deb`, built by `dpkg-deb`. */
async function deb(pkg: LinuxPackage): Promise<void> {
  const { info, meta, target, outDir, epoch } = pkg;
  const dir = `${pkg.work}/deb-${target}`;
  const files = withMarker(pkg, "deb");
  await layout(dir, files);
  const size = files.reduce(
    (sum, [, content]) =>
      sum +
      (typeof content === "string"
        ? new TextEncoder().encode(content).length
        : content.length),
    0,
  );
  await layout(dir, [[
    "DEBIAN/control",
    `Package: ${info.name}
Version: ${packageVersion(info.version)}
Architecture: ${debianArch(target)}
Maintainer: ${meta.maintainer}
Installed-Size: ${Math.ceil(size / 1024)}
Section: utils
Priority: optional
Homepage: ${meta.homepage}
Description: ${meta.description.replace(/\.$/, "")}
 ${info.name} logs a person or a pipeline in to an OAuth 2.0 / OpenID
 Connect provider from a terminal and hands the tokens to what needs them.
`,
    0o644,
  ]]);
  await run("dpkg-deb", [
    "--build",
    "--root-owner-group",
    "-Zxz",
    dir,
    `${outDir}/${debName(info, target)}`,
  ], { SOURCE_DATE_EPOCH: String(epoch) });
}

/** An `.rpm`, built by `rpmbuild` from a spec that copies the files. */
async function rpm(pkg: LinuxPackage): Promise<void> {
  const { info, meta, target, outDir, epoch } = pkg;
  const top = `${pkg.work}/rpm-${target}`;
  const tree = `${top}/SOURCES/tree`;
  const files = withMarker(pkg, "rpm");
  await layout(tree, files);
  const list = files.map(([path, , mode]) =>
    `%attr(${mode.toString(8).padStart(4, "0")},root,root) /${path}`
  ).join("\n");
  const spec = `Name: ${info.name}
Version: ${packageVersion(info.version)}
Release: 1
Summary: ${meta.description.replace(/\.$/, "")}
License: ${meta.license}
URL: ${meta.homepage}
Packager: ${meta.maintainer}
Vendor: ${meta.publisher}
AutoReqProv: no
%define debug_package %{nil}
%define __strip /bin/true
%global __os_install_post %{nil}
%global _build_id_links none
%global _buildhost reproducible
%global source_date_epoch_from_changelog 0
%global use_source_date_epoch_as_buildtime 1
%global clamp_mtime_to_source_date_epoch 1

%description
${info.name} logs a person or a pipeline in to an OAuth 2.0 / OpenID
Connect provider from a terminal and hands the tokens to what needs them.

%install
cp -a %{_sourcedir}/tree/. %{buildroot}/

%files
${list}
`;
  await Deno.mkdir(`${top}/SPECS`, { recursive: true });
  await Deno.writeTextFile(`${top}/SPECS/${info.name}.spec`, spec);
  await run("rpmbuild", [
    "-bb",
    "--quiet",
    "--define",
    `_topdir ${top}`,
    "--target",
    `${rpmArch(target)}-linux`,
    `${top}/SPECS/${info.name}.spec`,
  ], { SOURCE_DATE_EPOCH: String(epoch) });
  await Deno.copyFile(
    `${top}/RPMS/${rpmArch(target)}/${rpmName(info, target)}`,
    `${outDir}/${rpmName(info, target)}`,
  );
}

/** The formula's Ruby class name, as Homebrew derives it from the file name. */
export function formulaClass(name: string): string {
  return (name[0].toUpperCase() + name.slice(1)).replace(
    /-([a-z0-9])/g,
    (_, c: string) => c.toUpperCase(),
  );
}

/** Whether `license` reads as an SPDX identifier Homebrew accepts. */
function spdx(license: string): boolean {
  return /^[A-Za-z0-9.+-]+$/.test(license) && license !== "Proprietary";
}

/** The Homebrew formula for a tap. */
export async function homebrewFormula(
  info: BuildInfo,
  meta: PackageMeta,
  sha: (file: string) => Promise<string>,
): Promise<string> {
  const base =
    `https://github.com/${info.repo}/releases/download/v${info.version}`;
  const block = async (target: Target, indent: string) => {
    const file = archiveName(info, target);
    return `${indent}url "${base}/${file}"\n${indent}sha256 "${await sha(
      file,
    )}"`;
  };
  const n = info.name;
  return `# Generated by \`deno task package\` for ${n} ${info.version}: do not edit.
# Publish it in the tap ${channels(info)!.brewTapRepo} as Formula/${n}.rb;
# then: brew install ${channels(info)!.brewFormula}
class ${formulaClass(n)} < Formula
  desc "${meta.description.replace(/\.$/, "")}"
  homepage "${meta.homepage}"
  version "${info.version}"
  license ${spdx(meta.license) ? `"${meta.license}"` : ":cannot_represent"}

  on_macos do
    on_arm do
${await block("aarch64-apple-darwin", "      ")}
    end
    on_intel do
${await block("x86_64-apple-darwin", "      ")}
    end
  end

  on_linux do
    on_arm do
${await block("aarch64-unknown-linux-gnu", "      ")}
    end
    on_intel do
${await block("x86_64-unknown-linux-gnu", "      ")}
    end
  end

  def install
    bin.install "${n}"
    man1.install "${n}.1"
    generate_completions_from_executable(bin/"${n}", "completion", shells: [:bash, :zsh, :fish])
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/${n} version")
  end
end
`;
}

/** The Scoop manifest, for a bucket. */
export async function scoopManifest(
  info: BuildInfo,
  meta: PackageMeta,
  sha: (file: string) => Promise<string>,
): Promise<string> {
  const file = artifactName(info, WINDOWS_TARGET);
  const repo = `https://github.com/${info.repo}`;
  const url = (version: string, name: string) =>
    `${repo}/releases/download/v${version}/${name}#/${info.name}.exe`;
  const manifest = {
    version: info.version,
    description: meta.description,
    homepage: meta.homepage,
    license: meta.license,
    architecture: {
      "64bit": {
        url: url(info.version, file),
        hash: await sha(file),
      },
    },
    bin: `${info.name}.exe`,
    checkver: { github: repo },
    autoupdate: {
      architecture: {
        "64bit": {
          url: url("$version", `${info.name}-$version-${WINDOWS_TARGET}.exe`),
        },
      },
      hash: { url: "$baseurl/SHA256SUMS" },
    },
  };
  return JSON.stringify(manifest, null, 2) + "\n";
}

/** The three winget manifests: [file name, text]. */
export async function wingetManifests(
  info: BuildInfo,
  meta: PackageMeta,
  sha: (file: string) => Promise<string>,
  epoch: number,
): Promise<[string, string][]> {
  const id = channels(info)!.wingetId;
  const file = artifactName(info, WINDOWS_TARGET);
  const header = (type: string) =>
    `# Generated by \`deno task package\`: do not edit.\n# yaml-language-server: $schema=https://aka.ms/winget-manifest.${type}.${WINGET_MANIFEST_VERSION}.schema.json\n\n`;
  const q = (value: string) => JSON.stringify(value);
  const common = `PackageIdentifier: ${q(id)}\nPackageVersion: ${
    q(info.version)
  }\n`;
  const end = (type: string) =>
    `ManifestType: ${type}\nManifestVersion: ${WINGET_MANIFEST_VERSION}\n`;
  return [
    [
      `${id}.yaml`,
      header("version") + common + "DefaultLocale: en-US\n" + end("version"),
    ],
    [
      `${id}.installer.yaml`,
      header("installer") + common +
      `InstallerType: portable
Commands:
  - ${q(info.name)}
ReleaseDate: ${new Date(epoch * 1000).toISOString().slice(0, 10)}
Installers:
  - Architecture: x64
    InstallerUrl: ${
        q(`https://github.com/${info.repo}/releases/download/v${info.version}/${file}`)
      }
    InstallerSha256: ${(await sha(file)).toUpperCase()}
` + end("installer"),
    ],
    [
      `${id}.locale.en-US.yaml`,
      header("defaultLocale") + common +
      `PackageLocale: en-US
Publisher: ${q(meta.publisher)}
PackageName: ${q(info.name)}
PackageUrl: ${q(meta.homepage)}
License: ${q(meta.license)}
ShortDescription: ${q(meta.description)}
Moniker: ${q(info.name)}
` + end("defaultLocale"),
    ],
  ];
}

/** install.sh and install.ps1, knowing this release's name and repository. */
async function installers(info: BuildInfo, outDir: string): Promise<void> {
  const edit = async (
    file: string,
    edits: [string, string][],
  ): Promise<string> => {
    let text = await Deno.readTextFile(new URL(`scripts/${file}`, root));
    for (const [from, to] of edits) {
      const lines = text.split("\n");
      const i = lines.indexOf(from);
      if (i < 0) {
        throw new BuildFailure(
          `scripts/${file} no longer has the line ${from} that the release sets.`,
        );
      }
      lines[i] = to;
      text = lines.join("\n");
    }
    return text;
  };
  await Deno.writeTextFile(
    `${outDir}/install.sh`,
    await edit("install.sh", [
      ["NAME=authctl", `NAME=${info.name}`],
      ["REPO=", `REPO=${info.repo}`],
    ]),
    { mode: 0o755 },
  );
  await Deno.writeTextFile(
    `${outDir}/install.ps1`,
    await edit("install.ps1", [
      ['$DefaultName = "authctl"', `$DefaultName = "${info.name}"`],
      ['$DefaultRepo = ""', `$DefaultRepo = "${info.repo}"`],
    ]),
  );
}

async function gzip(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  // gzip -n: no name or time in the header, so equal input gives equal bytes.
  const child = new Deno.Command("gzip", {
    args: ["-9", "-n", "-c"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const [out] = await Promise.all([
    child.output(),
    writer.write(bytes).then(() => writer.close()),
  ]);
  if (out.code !== 0) {
    throw new BuildFailure(
      `gzip failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return out.stdout;
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return new Uint8Array(digest).toHex();
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(command, {
      args,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new BuildFailure(
        `${command} is not installed: the release needs it (on Debian or Ubuntu: apt-get install ${
          command === "rpmbuild"
            ? "rpm"
            : command === "dpkg-deb"
            ? "dpkg"
            : command
        }).`,
      );
    }
    throw err;
  }
  if (out.code !== 0) {
    throw new BuildFailure(
      `${command} ${args.join(" ")} failed (exit ${out.code}):\n${
        new TextDecoder().decode(out.stderr)
      }${new TextDecoder().decode(out.stdout)}`,
    );
  }
}

/** Deno's cache directory (`deno info --json`). */
async function cacheDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

function commitTime(): Promise<string> {
  return gitOutput(["log", "-1", "--format=%ct"]);
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { binaries: { type: "string" } },
  });
  if (positionals.length !== 1) {
    console.error(
      "package: give the output directory: deno task package OUT [--binaries DIR]",
    );
    Deno.exit(2);
  }
  try {
    const result = await makeRelease({
      outDir: positionals[0],
      binaries: values.binaries,
      env: Deno.env.toObject(),
      log: (line) => console.error(`package: ${line}`),
    });
    for (const file of result.files) console.log(`${result.outDir}/${file}`);
  } catch (err) {
    if (err instanceof BuildFailure) {
      console.error(`package: ${err.message}`);
      Deno.exit(err.exitCode);
    }
    throw err;
  }
}
