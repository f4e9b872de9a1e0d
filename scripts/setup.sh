#!/usr/bin/env bash
# Installs what authctl's demo and tests need, when it is missing:
#   - Deno 2.9, from the npm registry (the `deno` package ships the binary);
#   - Chromium, from Debian's packages (the tests' "person at the browser",
#     and the demo's stand-in for one on machines without a display).
# Safe to run again: it installs nothing that is already there.
set -euo pipefail

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1; fi
}

if ! command -v deno >/dev/null 2>&1 || ! deno --version 2>/dev/null | grep -q '^deno 2\.'; then
  say "installing Deno 2.9 from npm"
  npm install -g --no-fund --no-audit deno@2.9 >&2
fi
say "$(deno --version | head -n 1)"

chromium="${AUTHCTL_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium"
    as_root apt-get update -qq >&2 &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2 ||
      say "could not install chromium (needs root or sudo); the browser tests will fail"
  else
    say "no $chromium and no apt-get: install Chromium and set AUTHCTL_CHROMIUM to its path"
  fi
fi
[ -x "$chromium" ] && say "$("$chromium" --version 2>/dev/null | head -n 1)"

# Fetch the npm dependencies now, so the first command does not pause for it.
deno install --quiet >&2
