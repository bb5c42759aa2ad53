#!/bin/sh
# demo.sh: README command (1).  Installs the packages, builds biso-recover,
# builds the demo BISO instance and its backup set in ./demo-sandbox (with a
# throw-away PostgreSQL cluster on a Unix socket there; no system service is
# touched), and opens the wizard on the demo instance: its first screen's
# "Restore this instance" restores that set over it ("Take a backup" adds a
# backup to the set).  Arguments are passed on ("wizard restore" opens the
# restore directly).  The cluster is stopped when the wizard exits.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sandbox=${DEMO_SANDBOX:-$top/demo-sandbox}

"$top/tools/deps.sh"
[ -x configure ] || ./autogen.sh
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)" biso-recover)

"$top/share/demo/make-backup-set.sh" --force "$sandbox"
trap '"$top/share/demo/stop.sh" "$sandbox"' EXIT INT TERM
status=0
"$top/build/biso-recover" --config "$sandbox/biso-recover.conf" "$@" || status=$?
echo "demo: wizard exited with status $status; the sandbox is $sandbox"
exit "$status"
