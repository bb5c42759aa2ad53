#!/bin/sh
# demo.sh: README command (1).  Installs the packages, builds biso-recover
# (the build tree's default target: the program and its catalogues in
# build/locale, so that LANG=de_CH.UTF-8 speaks German), builds the demo
# BISO instance and its backup set in ./demo-sandbox (with a throw-away
# PostgreSQL cluster on a Unix socket there; no system service is touched),
# and opens the wizard on the demo instance: its first screen's "Restore
# this instance" restores that set over it ("Take a backup" adds a backup to
# the set).  Arguments are passed on ("wizard restore" opens the restore
# directly).  The cluster is stopped when the wizard exits.
# For tests: DEMO_SKIP_DEPS=1 installs nothing, DEMO_BUILD_DIR=DIR builds
# there (default build/), DEMO_BUILD_ONLY=1 stops after the build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sandbox=${DEMO_SANDBOX:-$top/demo-sandbox}
build=${DEMO_BUILD_DIR:-$top/build}

[ "${DEMO_SKIP_DEPS:-0}" = 1 ] || "$top/tools/deps.sh"
[ -x configure ] || ./autogen.sh
mkdir -p "$build"
echo "demo: building biso-recover in $build (a few minutes the first time)"
(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } && make -s -j"$(nproc)")
[ "${DEMO_BUILD_ONLY:-0}" = 1 ] && exit 0

"$top/share/demo/make-backup-set.sh" --force "$sandbox"
trap '"$top/share/demo/stop.sh" "$sandbox"' EXIT INT TERM
status=0
"$build/biso-recover" --config "$sandbox/biso-recover.conf" "$@" || status=$?
echo "demo: wizard exited with status $status; the sandbox is $sandbox"
exit "$status"
