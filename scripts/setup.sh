#!/usr/bin/env bash
# Installs what podlab needs on a fresh Debian 12 machine (as root): the Debian packages for the
# kernel plumbing and checks, the npm dependencies, and the native binaries. Idempotent:
# packages already present are not reinstalled.
set -euo pipefail
cd "$(dirname "$0")/.."

# iptables: the CNI portmap plugin (hostPort) programs iptables (nft backend) inside node namespaces.
# dnsutils: dig, for DNS checks. dnsperf and dnsmasq-base (the binary only, no system service):
# the DNS benchmark, which measures podlab-dns against dnsmasq. tcpdump: `podlab capture`;
# traceroute and conntrack: for learners, through `podlab exec`.
# bird2: the BIRD 2 daemon that the calico CNI mode runs inside each node namespace (BGP).
PACKAGES=(iproute2 nftables iptables containernetworking-plugins iputils-ping dnsutils util-linux procps gcc libc6-dev dnsperf dnsmasq-base tcpdump traceroute conntrack bird2)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]} — run this script as root to install them" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # No package may start a service while it installs: Debian's bird2 would start a system-wide BIRD
  # in the host's own namespace, and podlab needs only the binary (one BIRD per lab node, inside the
  # node's namespace). policy-rc.d answering 101 is Debian's way to say "do not start services".
  policy=/usr/sbin/policy-rc.d
  own_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || { if [[ -n $own_policy ]]; then rm -f "$policy"; fi; exit 1; }
  if [[ -n $own_policy ]]; then rm -f "$policy"; fi
  # And it stays off at the next boot.
  if [[ " ${missing[*]} " == *" bird2 "* ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
    systemctl disable --now bird.service >/dev/null 2>&1 || true
  fi
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

sh native/build.sh >/dev/null
echo "setup: ready ($(ip -V | head -1), CNI plugins in /usr/lib/cni, native binaries in build/native)"
