#!/bin/bash
# restore-stop: SIGTERM to `restore` while its database step builds an
# index that takes 40 s (newcomer 8.2: Ctrl-C took 12.5 s there, the build
# ran on to its end on the server).  The demo's dump gets a table whose
# index calls an IMMUTABLE function that sleeps 10 ms a row (4000 rows), as
# drill scenario 5 makes it.  The command and its runner end within 10 s
# (the build alone takes 40 s: no loaded machine blurs the difference),
# exit 130; the server log says the build was cancelled; the live database
# is untouched (pg_dump compared); the summary says what is left:
# "biso_restoring", for inspection, dropped by the next attempt.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup stop "chown of the datadir to www-data, runuser postgres"
LOG=$T/log

# the slow build goes into the dump by hand (made in biso it would take 40 s)
psql -qX -v ON_ERROR_STOP=1 -U biso -d biso > /dev/null <<'SQL'
CREATE FUNCTION public.slow_key(i integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE
	AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.01); RETURN i; END $$;
CREATE TABLE public.slow_rows (id integer PRIMARY KEY);
INSERT INTO public.slow_rows SELECT generate_series(1, 4000);
SQL
pg_dump --no-owner --no-privileges --clean --if-exists biso |
	sed 's/^-- PostgreSQL database dump complete$/CREATE INDEX slow_rows_key ON public.slow_rows USING btree (public.slow_key(id));\n\n&/' |
	gzip > "$DEMO_DUMP"
text_has "$(zcat "$DEMO_DUMP")" "^CREATE INDEX slow_rows_key" || fail "the slow dump lacks its index build"
# what the live database holds: it must stay so
psql -qX -U biso -d biso -c "INSERT INTO public.slow_rows VALUES (-1)"
dump_db() { # the live database, without pg_dump's random \restrict key
	pg_dump --no-owner --no-privileges -d biso | grep -v '^\\\(un\)\?restrict '
}
dump_db > "$T/before.sql"

building() { # the build runs (not the query asking)
	psql -X -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()
		AND state = 'active' AND query LIKE 'CREATE INDEX slow_rows_key%'"
}
from=$(($(wc -l < "$DEMO_PG_DIR/server.log") + 1))
"$BISO_RECOVER" restore --yes --only database --config "$S/biso-recover.conf" --log-dir "$LOG" \
	> "$T/out" 2>&1 &
pid=$!
for _ in $(seq 1200); do [ "$(building)" = 1 ] && break; sleep 0.1; done
[ "$(building)" = 1 ] || { kill $pid 2>/dev/null || true; cat "$T/out"; fail "the slow index build did not start"; }
runner=$(sed -n 's/^pid=//p' "$(ls -t "$LOG"/biso-recover-*.status | head -1)")
kill -TERM $pid
for _ in $(seq 100); do { kill -0 $pid || kill -0 "$runner"; } 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null || kill -0 "$runner" 2>/dev/null; then
	cat "$T/out"
	fail "restore (pid $pid, runner $runner) still runs 10 s after SIGTERM during a 40 s index build"
fi
set +e
wait $pid
rc=$?
set -e
[ $rc = 130 ] || { cat "$T/out"; fail "SIGTERM during the index build: exit $rc, not 130"; }
text_has "$(tail -n +"$from" "$DEMO_PG_DIR/server.log")" 'canceling statement due to user request' ||
	{ tail -n +"$from" "$DEMO_PG_DIR/server.log"; fail "the server log does not show the build cancelled"; }
[ "$(building)" = 0 ] || fail "the index build still runs on the server"
dump_db > "$T/after.sql"
cmp -s "$T/before.sql" "$T/after.sql" || { diff "$T/before.sql" "$T/after.sql" | head; fail "the live database changed"; }
grep -q 'database .*restore aborted: ' "$T/out" || { cat "$T/out"; fail "the summary's database row does not say it was aborted"; }
grep -q 'hint (database): .*"biso_restoring" is left for inspection and dropped by the next attempt' "$T/out" ||
	{ cat "$T/out"; fail "the summary does not say that biso_restoring is left"; }
echo "ok: SIGTERM during a 40 s index build ends restore and its runner within 10 s (exit 130), the build cancelled on the server, the live database untouched, biso_restoring named in the summary"
