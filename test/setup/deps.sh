#!/usr/bin/env bash
# Installs what the test suite runs for real: Debian's docker-registry (distribution 2.8) and
# htpasswd, tmux (the terminal-rendering test), GNU time (the benchmark), SoftHSM2 and OpenSC's
# pkcs11-tool (the PKCS#11 tests: a software token and the tool that makes its keys), Debian trixie's cosign 2.5 unpacked under .cache/cosign
# and Debian forky's cosign 3.1 under .cache/cosign3 (the system's apt sources are left untouched). Idempotent: a second run only checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v tmux >/dev/null || need+=(tmux)
[ -x /usr/bin/time ] || need+=(time)
command -v softhsm2-util >/dev/null || need+=(softhsm2)
command -v pkcs11-tool >/dev/null || need+=(opensc)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "deps: installing ${need[*]} with apt-get" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

# fetch_cosign SUITE DIR: Debian SUITE's cosign package unpacked into .cache/DIR, through a private
# apt directory (its own sources, lists and archives; the system's apt sources are left untouched).
fetch_cosign() {
  local suite=$1 dir=$2
  local bin="$cache/$dir/usr/bin/cosign"
  [ -x "$bin" ] && return 0
  echo "deps: fetching Debian $suite's cosign into .cache/$dir" >&2
  local apt_dir="$cache/apt-$suite"
  rm -rf "$apt_dir" "$cache/$dir"
  mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/debs"
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri="http://deb.debian.org/debian"
  cat > "$apt_dir/sources/$suite.sources" <<SRC
Types: deb
URIs: $uri
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${opts[@]}" download cosign >/dev/null)
  dpkg -x "$apt_dir"/debs/cosign_*.deb "$cache/$dir"
  rm -rf "$apt_dir"
}

# cosign 2.5 (trixie) and cosign 3.1 (forky): the compatibility tests verify our output with both.
fetch_cosign trixie cosign
fetch_cosign forky cosign3
for dir in cosign cosign3; do
  bin="$cache/$dir/usr/bin/cosign"
  # Debian builds report "GitVersion: devel"; the package version comes from its changelog.
  deb=$(zcat "$cache/$dir/usr/share/doc/cosign/changelog.Debian.gz" 2>/dev/null | sed -n '1s/^cosign (\([^)]*\)).*/\1/p' || true)
  "$bin" version 2>/dev/null | grep -E '^GitVersion' | sed "s|^|$dir ${deb:-?}: |" >&2 || { echo "deps: cosign at $bin does not run" >&2; exit 1; }
done
