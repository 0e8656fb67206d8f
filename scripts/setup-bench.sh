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
# No package may start a service while it installs (as scripts/setup.sh): policy-rc.d answering 101
# is Debian's way to say so. A policy-rc.d of the machine's own is left as it is.
policy=/usr/sbin/policy-rc.d
own_policy=
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { if [[ -n $own_policy ]]; then rm -f "$policy"; fi; exit 1; }
if [[ -n $own_policy ]]; then rm -f "$policy"; fi
echo "setup-bench: ready ($(command -v mn), $(command -v brctl))"
