# Installs an authctl binary (or a branded one, e.g. acmectl) on Windows from
# a GitHub release: picks the x86_64 Windows file, verifies it against the
# release's SHA256SUMS, and installs it into a directory of your own.
#
#   irm https://github.com/OWNER/REPO/releases/latest/download/install.ps1 | iex
#   .\install.ps1 [-Version 1.4.0] [-Dir DIR] [-Repo OWNER/REPO] [-Name NAME] [-BaseUrl URL]
#
# Nothing is installed unless the checksum matches. No administrator needed.
param(
  [string]$Version = "latest",
  [string]$Dir = "",
  [string]$Repo = "",
  [string]$Name = "",
  [string]$BaseUrl = ""
)
$ErrorActionPreference = "Stop"
$ProgressPreference = "SilentlyContinue"

# The release workflow sets these two in the copy it publishes.
$DefaultName = "authctl"
$DefaultRepo = ""

function Fail([string]$Message) {
  [Console]::Error.WriteLine("install: $Message")
  exit 1
}
function Say([string]$Message) { [Console]::Error.WriteLine("install: $Message") }

if (-not $Name) { $Name = $DefaultName }
if (-not $Repo) { $Repo = $DefaultRepo }
if ($Name -notmatch '^[a-z0-9-]+$') {
  Fail "invalid -Name `"$Name`": use lowercase letters, digits and `"-`""
}
if (-not $Dir) { $Dir = Join-Path $env:LOCALAPPDATA "Programs\$Name" }
$Version = $Version -replace '^v', ''

if (-not $BaseUrl) {
  if (-not $Repo) { Fail "no release to install from: give -Repo OWNER/REPO (or -BaseUrl)" }
  $github = if ($env:AUTHCTL_INSTALL_GITHUB_URL) { $env:AUTHCTL_INSTALL_GITHUB_URL } else { "https://github.com" }
  if ($Version -eq "latest") {
    $BaseUrl = "$github/$Repo/releases/latest/download"
  } else {
    $BaseUrl = "$github/$Repo/releases/download/v$Version"
  }
}
# Plain http only to this machine (a local mirror or a test server).
if ($BaseUrl -notmatch '^(https://|http://(127\.0\.0\.1|localhost)(:\d+)?(/|$))') {
  Fail "refusing to download from `"$BaseUrl`": use an https URL"
}

$arch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture
if ($arch -ne [System.Runtime.InteropServices.Architecture]::X64) {
  Fail "no $Name build for the `"$arch`" processor on Windows"
}
$target = "x86_64-pc-windows-msvc"

$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("$Name-install-" + [System.Guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
  $sums = Join-Path $tmp "SHA256SUMS"
  try {
    Invoke-WebRequest -UseBasicParsing -Uri "$BaseUrl/SHA256SUMS" -OutFile $sums
  } catch {
    Fail "cannot download $BaseUrl/SHA256SUMS"
  }
  $pattern = '^([0-9a-f]{64})  (' + [regex]::Escape($Name) + '-[0-9A-Za-z.+-]+-' + [regex]::Escape($target) + '\.exe)$'
  $line = Get-Content $sums | Where-Object { $_ -match $pattern } | Select-Object -First 1
  if (-not $line) { Fail "the release has no $Name for $target (see $BaseUrl/SHA256SUMS)" }
  $null = $line -match $pattern
  $want = $Matches[1]
  $file = $Matches[2]

  Say "downloading $file"
  $download = Join-Path $tmp $file
  try {
    Invoke-WebRequest -UseBasicParsing -Uri "$BaseUrl/$file" -OutFile $download
  } catch {
    Fail "cannot download $BaseUrl/$file"
  }
  $got = (Get-FileHash -Algorithm SHA256 -Path $download).Hash.ToLowerInvariant()
  if ($got -ne $want) {
    Fail "checksum mismatch for ${file}: SHA256SUMS says $want, the download is $got. Nothing was installed."
  }
  Say "verified $file against SHA256SUMS"

  New-Item -ItemType Directory -Force -Path $Dir | Out-Null
  $dest = Join-Path $Dir "$Name.exe"
  # Same directory, then rename: a half-written file is never on PATH.
  $staged = Join-Path $Dir ".$Name.new.exe"
  Copy-Item -Force $download $staged
  Move-Item -Force $staged $dest
  Say "installed $dest"
  $userPath = [Environment]::GetEnvironmentVariable("Path", "User")
  if (-not (($userPath -split ';') -contains $Dir)) {
    Say "$Dir is not on your PATH; add it with: [Environment]::SetEnvironmentVariable('Path', `"$Dir;`$([Environment]::GetEnvironmentVariable('Path','User'))`", 'User')"
  }
} finally {
  Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
