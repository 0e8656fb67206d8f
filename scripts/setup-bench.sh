#!/usr/bin/env bash
# Installs what `npm run bench -- --peers` needs besides scripts/setup.sh's packages: Debian's
# Mininet (the peer a user could install instead of podlab) and bridge-utils (`brctl`, which
# Mininet's LinuxBridge switch runs). As root; idempotent: packages already present are not
# reinstalled. --no-install-recommends keeps Open vSwitch out (Mininet recommends it): the bench
# runs Mininet with Linux-bridge switches and no controller, and an OVS service would change the
# host. Run by the bench itself when --peers finds `mn` missing; never at test time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt-install.sh
apt_install setup-bench mininet bridge-utils
echo "setup-bench: ready ($(command -v mn), $(command -v brctl))"
