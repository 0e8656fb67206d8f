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
# openssl: each lab's API server gets a CA and a serving certificate made at `up` (src/api/launch.ts).
# bird2: the BIRD 2 daemon that the calico CNI mode runs inside each node namespace (BGP).
# nginx: the ingress controller's server (run only inside a lab's controller pod, never as a host
# service); openssl: the lab CA and TLS certificates made at `up`; curl: http checks with a Host
# header or over HTTPS (SNI).
# chromium: the headless browser test/live/ui.test.ts drives the `podlab ui` page with.
PACKAGES=(iproute2 nftables iptables containernetworking-plugins iputils-ping dnsutils util-linux procps gcc libc6-dev dnsperf dnsmasq-base tcpdump traceroute conntrack bird2 nginx openssl curl chromium)
source scripts/apt-install.sh
APT_INSTALLED=()
apt_install setup "${PACKAGES[@]}"
# A freshly installed bird2 stays off at the next boot too.
if [[ " ${APT_INSTALLED[*]} " == *" bird2 "* ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  systemctl disable --now bird.service >/dev/null 2>&1 || true
fi
# Likewise nginx: podlab starts it in lab namespaces only; no nginx listens on the host.
if [[ " ${APT_INSTALLED[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
  systemctl disable --now nginx.service >/dev/null 2>&1 || true
fi

# kubectl, for the lab's API server (docs/kubectl.md): the machine's own when there is one, else
# Debian's kubernetes-client (an older 1.20; podlab's server answers it too).
if ! command -v kubectl >/dev/null; then
  apt_install setup kubernetes-client
fi

if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

sh native/build.sh >/dev/null
# podlab's first command builds what later ones reuse: the CLI's bundles and their code cache, the
# sandbox's evaluator, and the type check's snapshot (about 1.5 s once, in build/typecheck/ for
# every user). Done here, a learner's first `podlab validate` takes 0.2 s instead of 1.5. Only
# speed: a failure is no error.
echo "setup: building podlab's bundles and the type check's snapshot"
bin/podlab.js validate labs/pod-networking.lab.ts >/dev/null 2>&1 || echo "setup: (podlab validate failed; the first command will build them)"
echo "setup: ready ($(ip -V | head -1), CNI plugins in /usr/lib/cni, native binaries in build/native)"
