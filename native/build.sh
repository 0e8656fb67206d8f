#!/bin/sh
# Builds podlab's native programs from native/<name>.c into build/native/<name>
# (or $PODLAB_NATIVE_OUT, podlab's build folder when the package's is not writable):
# pause (the pod sandbox process), probe (the check client), workload (the
# built-in servers), spawner (starts podlab's commands for it), dnslat (the
# DNS benchmark's latency client) and contain (a container's last step: read-only
# mounts, private /tmp, unprivileged) and ptyrun (`kubectl exec -t`: a program on a pseudo-terminal).
# Tries a static binary first (no runtime libc dependency, smallest RSS);
# falls back to a dynamic link when static libc is not installed.
# Env: CC (default: cc), CFLAGS (extra flags appended).
set -eu

ROOT=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
OUT_DIR="${PODLAB_NATIVE_OUT:-$ROOT/build/native}"
CC=${CC:-cc}
FLAGS="-std=c99 -O2 -Wall -Wextra -Werror ${CFLAGS:-}"

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build.sh: no C compiler found ('$CC' is not on PATH)." >&2
    echo "build.sh: install one (Debian: apt-get install gcc libc6-dev) or set CC." >&2
    exit 1
fi

mkdir -p "$OUT_DIR"
TMP=
trap 'rm -f "$TMP"' EXIT

for name in pause probe workload spawner dnslat contain ptyrun; do
    SRC="$ROOT/native/$name.c"
    OUT="$OUT_DIR/$name"
    TMP="$OUT.tmp.$$"
    # shellcheck disable=SC2086
    if "$CC" $FLAGS -static -o "$TMP" "$SRC" 2>/dev/null; then
        mode=static
    else
        echo "build.sh: static link failed for $name, building a dynamic binary" >&2
        # shellcheck disable=SC2086
        "$CC" $FLAGS -o "$TMP" "$SRC"
        mode=dynamic
    fi
    strip "$TMP" 2>/dev/null || true
    mv -f "$TMP" "$OUT"
    echo "build.sh: built $OUT ($mode)"
done
