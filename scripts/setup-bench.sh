#!/usr/bin/env bash
# Installs what `npm run bench -- --peers` needs besides scripts/setup.sh's packages: Debian's
# Mininet (the peer a user could install instead of podlab) and bridge-utils (`brctl`, which
# Mininet's LinuxBridge switch runs). As root; idempotent: packages already present are not
# reinstalled. --no-install-recommends keeps Open vSwitch out (Mininet recommends it): the bench
# runs Mininet with Linux-bridge switches and no controller, and an OVS service would change the
# host. Run by the bench itself when --peers finds `mn` missing; never at test time.
set -euo pipefail
PACKAGES=(mininet bridge-utils)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "setup-bench: missing Debian packages: ${missing[*]} — run this script as root to install them" >&2
  exit 2
fi
echo "setup-bench: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-bench: ready ($(command -v mn), $(command -v brctl))"
