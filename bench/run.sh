#!/bin/sh
# make bench: every benchmark, each printing ratios against the real tool
# measured in the same run (see bench/README.md).  Needs root for the
# throw-away PostgreSQL cluster (runuser postgres) like the tests.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${BISO_RECOVER:=$(pwd)/biso-recover}"
export BISO_RECOVER
status=0
for b in "$here"/sql.sh "$here"/kept.sh "$here"/backup.sh "$here"/files.sh; do
	[ -f "$b" ] || continue
	echo "== $(basename "$b")"
	sh "$b" || status=1
done
exit $status
