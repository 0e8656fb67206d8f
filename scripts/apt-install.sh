# Sourced by scripts/setup.sh and scripts/setup-bench.sh: `apt_install NAME PACKAGE...` installs
# the Debian packages of the list that are missing (as root), and none of them may start a
# service while it installs: Debian's bird2 would start a system-wide BIRD in the host's own
# namespace. policy-rc.d answering 101 is Debian's way to say "do not start services"; a
# policy-rc.d of the machine's own is left as it is. Returns 0 when nothing was missing.
apt_install() {
  local name=$1
  shift
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "$name: missing Debian packages: ${missing[*]} — run this script as root to install them" >&2
    exit 2
  fi
  echo "$name: installing ${missing[*]}"
  apt-get update -qq
  local policy=/usr/sbin/policy-rc.d own_policy=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  if [[ -n $own_policy ]]; then rm -f "$policy"; fi
  ((status == 0)) || exit "$status"
  APT_INSTALLED=("${missing[@]}")
}
