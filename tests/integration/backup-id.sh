#!/bin/bash
# A backup's id is its start second (YYYYMMDD_HHMMSS).  When a dump of the
# manual layout (db/biso_<id>.sql.gz) or a backup set (data/<id>/,
# webroot/<id>/, manifest/<id>/) already has that id, the backup takes the
# next free second, says so in its plan and its log, and ends with exit 0;
# nothing that was there is overwritten (sha256sum -c of the old files).
# Before, it did all its work and then failed at the seal ("cannot
# publish ...: it exists already").  When every second of a minute from
# its start is taken, it is refused before the first step: maintenance
# mode never goes on, nothing is published.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup backup-id "chown of the datadir to www-data, runuser postgres"

BK=$DEMO_BACKUP_ROOT # the demo's root: the manual layout's dumps and flat copies
mkdir -p "$T/log"
applog=$DEMO_DATADIR/biso.log
backup() { "$BISO_RECOVER" backup --config "$S/biso-recover.conf" --log-dir "$T/log" "$@"; }
ons() { grep -c "INFO maintenance mode on" "$applog" || true; }
id_at() { date -d "@$1" +%Y%m%d_%H%M%S; }
# what was there before: every file, with its checksum
snapshot_sums() { (cd "$BK" && find . -type f ! -name '*.partial' -print0 | sort -z | xargs -0 sha256sum) > "$1"; }

# 1. Every second of the next two minutes has a manual dump: refused
#    before the first step, exit 1, nothing touched.
t0=$(date +%s)
for i in $(seq 0 119); do
	echo "-- dump $i" | gzip > "$BK/db/biso_$(id_at $((t0 + i))).sql.gz"
done
snapshot_sums "$T/before1.sums"
on0=$(ons)
set +e
backup > "$T/full.log" 2>&1
rc=$?
set -e
[ $rc = 1 ] || { cat "$T/full.log"; fail "a backup without a free id exited $rc, not 1"; }
grep -q "no free backup id in $BK" "$T/full.log" || { cat "$T/full.log"; fail "the refusal does not say that no id is free"; }
grep -q "nothing was touched" "$T/full.log" || { cat "$T/full.log"; fail "the refusal does not say that nothing was touched"; }
[ "$(ons)" = "$on0" ] || fail "maintenance mode went on for a backup without a free id"
[ ! -d "$BK/manifest" ] || fail "a manifest was written: $(ls "$BK/manifest")"
(cd "$BK" && sha256sum --quiet -c "$T/before1.sums") || fail "a file that was there changed"
[ "$(cd "$BK" && find . -type f | wc -l)" = "$(wc -l < "$T/before1.sums")" ] || fail "a file was added"
echo "ok: every second of a minute taken: refused before the first step, nothing touched"
for i in $(seq 0 119); do rm "$BK/db/biso_$(id_at $((t0 + i))).sql.gz"; done

# 2. The next 40 seconds taken, by turns by a manual dump and by a backup
#    set: the backup takes the first free second after them.
t0=$(date +%s)
taken=()
for i in $(seq 0 39); do
	id=$(id_at $((t0 + i)))
	taken+=("$id")
	if [ $((i % 2)) = 0 ]; then
		echo "-- manual dump $i" | gzip > "$BK/db/biso_$id.sql.gz"
	else
		mkdir -p "$BK/data/$id" "$BK/webroot/$id" "$BK/manifest/$id"
		echo "datadir $i" > "$BK/data/$id/f"
		echo "webroot $i" > "$BK/webroot/$id/f"
		echo "not a manifest $i" > "$BK/manifest/$id/MANIFEST"
	fi
done
snapshot_sums "$T/before2.sums"
backup --dry-run > "$T/plan.txt" 2>&1 || { cat "$T/plan.txt"; fail "--dry-run failed"; }
grep -q "^id: the next free second, [0-9_]* (db/biso_[0-9_]*\.sql\.gz\|data/[0-9_]*) is taken$" "$T/plan.txt" ||
	{ cat "$T/plan.txt"; fail "the plan does not say that the id moved on"; }
backup > "$T/run.log" 2>&1 || { cat "$T/run.log"; fail "the backup failed with its id taken"; }
# the run log says what took the id, and which it took
new=$(cat "$T"/log/biso-recover-*.log | sed -n 's/^.*backup id [0-9_]* is taken under .* exists): this backup is \([0-9_]*\)$/\1/p' | tail -n 1)
[ -n "$new" ] || { cat "$T/run.log"; fail "the run log does not say that the id was taken (started after the 40 seconds?)"; }
for id in "${taken[@]}"; do
	[ "$id" != "$new" ] || fail "the backup took the taken id $id"
done
[ -f "$BK/manifest/$new/MANIFEST" ] && [ -f "$BK/db/biso_$new.sql.gz" ] && [ -d "$BK/data/$new" ] ||
	fail "backup $new was not published"
(cd "$BK" && sha256sum --quiet -c "manifest/$new/SHA256SUMS") || fail "sha256sum -c rejects backup $new"
grep -qx "id $new" "$BK/manifest/$new/MANIFEST" || fail "the manifest's id is not $new"
(cd "$BK" && sha256sum --quiet -c "$T/before2.sums") || fail "a dump or set that was there changed"
grep -q "backup $new: $BK/manifest/$new/MANIFEST" "$T/run.log" || { cat "$T/run.log"; fail "the summary does not name backup $new"; }
echo "ok: the id taken by a manual dump or a backup set: backup $new, exit 0, nothing there overwritten"
