#!/usr/bin/env bash
# The main job, end to end: install what is missing, bring the flagship lab up, run its checks,
# show what is running, and tear it down again (also when a check fails). Exit code: the checks'.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 2
LAB=${1:-labs/pod-networking.lab.ts}
trap 'bin/podlab.js down "$LAB"' EXIT
bin/podlab.js up "$LAB" --check
status=$?
bin/podlab.js status "$LAB"
exit $status
