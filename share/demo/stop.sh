#!/bin/sh
# stop.sh SANDBOX: stop the demo's throw-away PostgreSQL cluster that
# make-backup-set.sh left running in SANDBOX/pg.  Removes nothing; after it,
# `rm -rf SANDBOX` cleans up.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 SANDBOX" >&2
	exit 2
fi
# absolute, as start.sh: the server runs as postgres from elsewhere
SANDBOX=$(cd "${1%/}" 2>/dev/null && pwd) || { echo "stop: no directory $1" >&2; exit 1; }
DEMO=$(cd "$(dirname "$0")" && pwd)
# installed (biso-recover drill): pgcluster.sh beside us; in the source tree: tests/lib
if [ -f "$DEMO/pgcluster.sh" ]; then . "$DEMO/pgcluster.sh"; else . "$DEMO/../../tests/lib/pgcluster.sh"; fi
if [ ! -d "$SANDBOX/pg/pgdata" ]; then
	echo "stop: no demo cluster in $SANDBOX/pg" >&2
	exit 1
fi
pgc_stop "$SANDBOX/pg"
echo "stop: cluster in $SANDBOX/pg stopped"
