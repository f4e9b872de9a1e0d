#!/bin/sh
# Installs an authctl binary (or a branded one, e.g. acmectl) from a GitHub
# release: picks the file for this machine, verifies it against the
# release's SHA256SUMS, and installs it into a directory of your own.
#
#   curl -fsSL https://github.com/OWNER/REPO/releases/latest/download/install.sh | sh
#   sh install.sh [--version 1.4.0] [--dir ~/.local/bin] [--repo OWNER/REPO]
#                 [--name NAME] [--base-url URL]
#
# Nothing is installed unless the checksum matches. No root needed.
set -eu

# The release workflow sets these two in the copy it publishes.
NAME=authctl
REPO=

VERSION=latest
DIR="${INSTALL_DIR:-${HOME:-}/.local/bin}"
BASE_URL=
GITHUB_URL="${AUTHCTL_INSTALL_GITHUB_URL:-https://github.com}"

say() { printf '%s\n' "install: $*" >&2; }
die() { say "$*"; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --version) VERSION="${2:?--version needs a value}"; shift 2 ;;
    --dir) DIR="${2:?--dir needs a value}"; shift 2 ;;
    --repo) REPO="${2:?--repo needs a value}"; shift 2 ;;
    --name) NAME="${2:?--name needs a value}"; shift 2 ;;
    --base-url) BASE_URL="${2:?--base-url needs a value}"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" 2>/dev/null | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option \"$1\" (see --help)" ;;
  esac
done

case "$NAME" in
  ''|*[!a-z0-9-]*) die "invalid --name \"$NAME\": use lowercase letters, digits and \"-\"" ;;
esac
VERSION="${VERSION#v}"

if [ -z "$BASE_URL" ]; then
  [ -n "$REPO" ] || die "no release to install from: give --repo OWNER/REPO (or --base-url)"
  if [ "$VERSION" = latest ]; then
    BASE_URL="$GITHUB_URL/$REPO/releases/latest/download"
  else
    BASE_URL="$GITHUB_URL/$REPO/releases/download/v$VERSION"
  fi
fi
# Plain http only to this machine (a local mirror or a test server).
case "$BASE_URL" in
  https://*|http://127.0.0.1:*|http://127.0.0.1/*|http://localhost:*|http://localhost/*) ;;
  *) die "refusing to download from \"$BASE_URL\": use an https URL" ;;
esac

os=$(uname -s)
arch=$(uname -m)
case "$arch" in
  x86_64|amd64) arch=x86_64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) die "no $NAME build for the \"$arch\" processor" ;;
esac
case "$os" in
  Linux) target="$arch-unknown-linux-gnu" ;;
  Darwin) target="$arch-apple-darwin" ;;
  MINGW*|MSYS*|CYGWIN*) die "on Windows, use install.ps1 in PowerShell" ;;
  *) die "no $NAME build for \"$os\"" ;;
esac

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 2 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  die "neither curl nor wget is installed"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  die "neither sha256sum nor shasum is installed: cannot verify the download"
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t "$NAME-install")
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch "$BASE_URL/SHA256SUMS" "$tmp/SHA256SUMS" ||
  die "cannot download $BASE_URL/SHA256SUMS"
# The line for this machine: "<sha256>  NAME-VERSION-TARGET".
line=$(grep -E "^[0-9a-f]{64}  $NAME-[0-9A-Za-z.+-]+-$target\$" "$tmp/SHA256SUMS" | head -n 1)
[ -n "$line" ] || die "the release has no $NAME for $target (see $BASE_URL/SHA256SUMS)"
want=${line%% *}
file=${line##* }

say "downloading $file"
fetch "$BASE_URL/$file" "$tmp/$file" || die "cannot download $BASE_URL/$file"
got=$(sha256 "$tmp/$file")
[ "$got" = "$want" ] ||
  die "checksum mismatch for $file: SHA256SUMS says $want, the download is $got. Nothing was installed."
say "verified $file against SHA256SUMS"

mkdir -p "$DIR"
# Same directory, then rename: a half-written file is never on PATH.
cp "$tmp/$file" "$DIR/.$NAME.new"
chmod 755 "$DIR/.$NAME.new"
mv -f "$DIR/.$NAME.new" "$DIR/$NAME"
say "installed $DIR/$NAME"
case ":${PATH:-}:" in
  *":$DIR:"*) ;;
  *) say "$DIR is not on your PATH; add it, e.g.: export PATH=\"$DIR:\$PATH\"" ;;
esac
