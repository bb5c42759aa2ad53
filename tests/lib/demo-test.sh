# demo-test.sh: the start every end-to-end test on the demo instance shares.
#
# Source it from a bash test (set -euo pipefail), then:
#   demo_test_setup TAG [WHY-ROOT]
# It defines skip() and fail(), skips (exit 77) unless run as root with php,
# rsync, pg_dump and psql, makes T=$(mktemp -d /tmp/br-TAG.XXXXXX) (mode 755:
# the web user and postgres must reach below it) and S=$T/s, builds the demo
# backup set there (share/demo/make-backup-set.sh: a throw-away cluster, the
# instance and its backups), sources $S/env.sh (DEMO_*, PG*), and on exit
# stops the cluster and removes $T (KEEP=1 keeps it).  A test that sets its
# own EXIT trap must call demo_test_cleanup from it.

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# ro_dir DIR: make DIR unwritable, a read-only tmpfs mounted on it, else
# chattr +i; sets $why to what a write into it fails with, skips the test
# when neither works.  ro_dir_undo DIR takes it back (for the EXIT trap).
ro_dir() {
	if mount -t tmpfs -o ro,size=1m tmpfs "$1" 2>/dev/null; then
		why="Read-only file system"
	elif chattr +i "$1" 2>/dev/null; then
		why="Operation not permitted"
	else
		skip "neither a read-only tmpfs nor chattr +i works here"
	fi
}
ro_dir_undo() { if mountpoint -q "$1"; then umount "$1"; fi; chattr -i "$1" 2>/dev/null || true; }
. "$top_srcdir/tests/lib/match.sh" # text_has TEXT GREP-ARG...: matched without a pipe

# demo_test_stop_runners DIR: SIGTERM to every live runner whose status
# file is in DIR (a test that left a wizard or client gone leaves its runner
# waiting at a question, however long).
demo_test_stop_runners() {
	local f pid
	for f in "$1"/biso-recover-*.status; do
		[ -f "$f" ] || continue
		grep -q '^state=finished' "$f" && continue
		pid=$(sed -n 's/^pid=//p' "$f")
		[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
	done
}

demo_test_cleanup() {
	demo_test_stop_runners "$S/log"
	[ -f "$S/env.sh" ] && "$top_srcdir/share/demo/stop.sh" "$S" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}

# demo_slow_dump: the demo's dump ($DEMO_DUMP), made again as the demo
# makes it, with a table whose index calls a function that sleeps 10 ms a
# row (1500 rows): its replay takes at least 15 s on any machine.
demo_slow_dump() {
	psql -qX -v ON_ERROR_STOP=1 -U biso -d biso > /dev/null <<'SQL'
CREATE FUNCTION public.slow_key(i integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE
	AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0.01); RETURN i; END $$;
CREATE TABLE public.slow_rows (id integer PRIMARY KEY);
INSERT INTO public.slow_rows SELECT generate_series(1, 1500);
CREATE INDEX slow_rows_key ON public.slow_rows (public.slow_key(id));
SQL
	pg_dump --no-owner --no-privileges --clean --if-exists biso | gzip > "$DEMO_DUMP"
	text_has "$(zcat "$DEMO_DUMP")" "CREATE INDEX slow_rows_key" || fail "the slow dump lacks its index"
}

demo_test_setup() { # TAG [WHY-ROOT]
	local t
	[ "$(id -u)" = 0 ] || skip "needs root (${2:-chown of the datadir to www-data, runuser postgres})"
	for t in php rsync pg_dump psql; do command -v $t >/dev/null || skip "$t not installed"; done
	T=$(mktemp -d "/tmp/br-$1.XXXXXX")
	S=$T/s
	trap demo_test_cleanup EXIT
	chmod 755 "$T"
	"$top_srcdir/share/demo/make-backup-set.sh" "$S" > "$T/make.log" 2>&1 ||
		{ cat "$T/make.log"; fail "could not build the demo backup set"; }
	. "$S/env.sh"
}
