#!/usr/bin/env bash
# Installs what authctl's demo and tests need, when it is missing:
#   - Deno 2.9, from the npm registry (the `deno` package ships the binary);
#   - Chromium, from Debian's packages (the tests' "person at the browser",
#     and the demo's stand-in for one on machines without a display);
#   - dbus, gnome-keyring and libsecret-tools, from Debian's packages (a real
#     Secret Service for the keychain tests);
#   - openssl and curl (a test certificate authority; the install script);
#   - rpm, ruby and man-db (the release's packages, and their checks).
# Safe to run again: it installs nothing that is already there.
set -euo pipefail

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1; fi
}

if ! command -v deno >/dev/null 2>&1 || ! deno --version 2>/dev/null | grep -q '^deno 2\.'; then
  if ! command -v npm >/dev/null 2>&1; then
    # A bare Debian (e.g. CI's container) has no npm yet.
    say "installing Debian's npm, to fetch Deno with"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >&2
  fi
  say "installing Deno 2.9 from npm"
  npm install -g --no-fund --no-audit deno@2.9 >&2
fi
say "$(deno --version | head -n 1)"

chromium="${AUTHCTL_CHROMIUM:-/usr/bin/chromium}"
# Debian packages the tests need: the browser, and a Secret Service (gnome-keyring
# on a private D-Bus session) for the keychain tests.
missing=()
[ -x "$chromium" ] || missing+=(chromium)
command -v dbus-daemon >/dev/null 2>&1 || missing+=(dbus)
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || missing+=(libsecret-tools)
# openssl makes the tests' private certificate authority; curl is what
# scripts/install.sh downloads with.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
# git: the credential-helper tests run a real git against a local server.
command -v git >/dev/null 2>&1 || missing+=(git)
# The completion tests load the scripts in real zsh and fish (bash is here).
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
# strace: a store test watches the credentials directory being fsynced.
command -v strace >/dev/null 2>&1 || missing+=(strace)
# chattr (an immutable credentials file) and mount (a small full tmpfs): the
# disk tests make a store that refuses a write.
command -v chattr >/dev/null 2>&1 || missing+=(e2fsprogs)
command -v mount >/dev/null 2>&1 || missing+=(mount)
# The release's packages (deno task package, and its tests): rpmbuild (from
# Debian's rpm), dpkg-deb (Debian's own), ruby to check the Homebrew formula,
# man to read the packaged man page.
command -v rpmbuild >/dev/null 2>&1 || missing+=(rpm)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
command -v man >/dev/null 2>&1 || missing+=(man-db)
# The benchmark: GNU time for peak memory, and GitHub's gh to compare with.
[ -x /usr/bin/time ] || missing+=(time)
command -v gh >/dev/null 2>&1 || missing+=(gh)
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's ${missing[*]}"
    as_root apt-get update -qq >&2 &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
      say "could not install ${missing[*]} (needs root or sudo); the tests that need them will fail"
  else
    say "missing ${missing[*]} and no apt-get: install them (and set AUTHCTL_CHROMIUM to Chromium's path)"
  fi
fi
[ -x "$chromium" ] && say "$("$chromium" --version 2>/dev/null | head -n 1)"

# Fetch the npm dependencies now, so the first command does not pause for it.
deno install --quiet >&2
# `deno bundle` (the release build, and its tests) fetches esbuild from npm
# on first use: fetch it now, with this shell's network settings, so the
# build's tests (which run with a minimal environment) find it cached.
bundle_dir=$(mktemp -d)
printf 'export {};\n' >"$bundle_dir/warm.ts"
deno bundle --quiet "$bundle_dir/warm.ts" -o "$bundle_dir/warm.js" >&2 ||
  say "deno bundle could not fetch esbuild; the build tests will fail"
rm -rf "$bundle_dir"
