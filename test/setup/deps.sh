#!/usr/bin/env bash
# Installs what the test suite runs for real: Debian's docker-registry (distribution 2.8) and
# htpasswd, tmux (the terminal-rendering test), GNU time (the benchmark), and Debian trixie's cosign 2.5 unpacked under .cache/cosign (the system's apt sources
# are left untouched). Idempotent: a second run only checks.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v tmux >/dev/null || need+=(tmux)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "deps: installing ${need[*]} with apt-get" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

cosign_bin="$cache/cosign/usr/bin/cosign"
if [ ! -x "$cosign_bin" ]; then
  echo "deps: fetching Debian trixie's cosign into .cache/cosign" >&2
  apt_dir="$cache/apt"
  rm -rf "$apt_dir"
  mkdir -p "$apt_dir/sources" "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/debs"
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri="http://deb.debian.org/debian"
  cat > "$apt_dir/sources/trixie.sources" <<SRC
Types: deb
URIs: $uri
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_dir/sources"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
        -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  apt-get "${opts[@]}" update -qq
  (cd "$apt_dir/debs" && apt-get "${opts[@]}" download cosign >/dev/null)
  dpkg -x "$apt_dir"/debs/cosign_*.deb "$cache/cosign"
  rm -rf "$apt_dir"
fi
"$cosign_bin" version 2>/dev/null | grep -E '^GitVersion' >&2 || { echo "deps: cosign at $cosign_bin does not run" >&2; exit 1; }
