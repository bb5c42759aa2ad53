#!/bin/sh
# start.sh SANDBOX: start the demo's PostgreSQL cluster in SANDBOX/pg again
# after stop.sh (or tools/demo.sh's exit) stopped it: the same socket
# directory and port as make-backup-set.sh gave it (SANDBOX/env.sh), so the
# sandbox's env.sh and biso-recover.conf reach it as before.
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 SANDBOX" >&2
	exit 2
fi
# absolute: the server runs as postgres from another working directory,
# where a relative socket or data path would not resolve
SANDBOX=$(cd "${1%/}" 2>/dev/null && pwd) || { echo "start: no directory $1" >&2; exit 1; }
DEMO=$(cd "$(dirname "$0")" && pwd)
# installed (biso-recover drill): pgcluster.sh beside us; in the source tree: tests/lib
if [ -f "$DEMO/pgcluster.sh" ]; then . "$DEMO/pgcluster.sh"; else . "$DEMO/../../tests/lib/pgcluster.sh"; fi
if [ ! -d "$SANDBOX/pg/pgdata" ] || [ ! -f "$SANDBOX/env.sh" ]; then
	echo "start: no demo cluster in $SANDBOX/pg (or no $SANDBOX/env.sh); build one with $DEMO/make-backup-set.sh $SANDBOX" >&2
	exit 1
fi
. "$SANDBOX/env.sh"
if pgc_as_owner "$(pgc_bindir)/pg_ctl" -D "$SANDBOX/pg/pgdata" status >/dev/null 2>&1; then
	echo "start: cluster in $SANDBOX/pg is already running (socket $PGHOST, port $PGPORT)"
	exit 0
fi
pgc_resume "$SANDBOX/pg" "$PGPORT"
echo "start: cluster in $SANDBOX/pg started (socket $PGHOST, port $PGPORT)"
