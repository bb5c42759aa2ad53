# faults.sh: the set-up of the tests that kill a restore with the fault
# build (tests/integration/biso-recover-faults, src/core/fault.h) and check
# what the kill left: resume.sh, fault-matrix.sh (sourced; bash).
#
# fault_setup NAME: skips (77) without the fault build $FAULTS, sets up the
# demo instance (demo_test_setup NAME) and marks it old in every part
# (OLD_MARKER in the webroot and the datadir, table old_marker); keeps it as
# $T/old (the webroot's parent), database biso_old and $T/old.sql.
# Sets W (webroot), P (its parent), B (the backup root), WEXCL.
#   dump_db DB            normalised pg_dump on stdout (migrations without
#                         their time)
#   same_tree SRC DST [rsync options]
#                         DST holds exactly SRC (rsync -ani --checksum:
#                         type, content, mode, mtime, symlinks; extra
#                         entries count); the root's own times do not (a
#                         rename into or out of it changes them), its mode
#                         neither with ROOT_MODE=any; SAME_TREE_SHOW=1 says
#                         the first differences on stderr
#   reset                 the old instance back in place (biso_old and
#                         biso_ref stay), no run log
#   run BINARY LOG [OPTIONS]
#                         restore --yes with the demo configuration, its
#                         output to LOG; $rc its exit (137 when the fault
#                         killed it: runner_fault_rc); LANG_RUN set: the run
#                         gets LANG=$LANG_RUN and no LANGUAGE/LC_ALL/LC_MESSAGES
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/runner-fault.sh"

dump_db() {
	pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict ' |
		awk -F '\t' '/^COPY public.migrations /{m=1; print; next} /^\\\.$/{m=0} m{print $1; next} {print}'
}

same_tree() {
	[ -d "$2" ] || return 1
	local out
	out=$(rsync -ani --checksum --delete --no-owner --no-group "${@:3}" "$1/" "$2/" 2>&1 |
		grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
	[ "${ROOT_MODE:-}" != any ] || out=$(printf '%s\n' "$out" | grep -v '^\.d\.\.[.t][p.]\.\.\.\.\. \./$' || true)
	[ -z "$out" ] || { [ "${SAME_TREE_SHOW:-}" != 1 ] || echo "$out" | head -5 >&2; return 1; }
}

fault_setup() {
	[ -x "$FAULTS" ] || skip "no test build $FAULTS (make check builds it)"
	demo_test_setup "$1" "chown of the datadir to www-data, runuser postgres"
	W=$DEMO_WEBROOT
	P=$(dirname "$W")
	B=$DEMO_BACKUP_ROOT
	# (config.php is compared by content; a copy of the datadir inside the
	# webroot, where the web server serves, makes it "neither": issue 16.5)
	WEXCL=(--exclude /data --exclude /config.php)
	# the old instance, marked so that old and new differ in every part
	echo old > "$W/OLD_MARKER"
	echo old > "$W/data/OLD_MARKER"
	chown www-data:www-data "$W/data/OLD_MARKER"
	psql -qX -U biso -d biso -c "CREATE TABLE old_marker (x int)"
	cp -a "$P" "$T/old"
	psql -qX -c "CREATE DATABASE biso_old TEMPLATE biso"
	dump_db biso > "$T/old.sql"
}

reset() {
	local db
	rm -rf "$P" "$S/log"
	cp -a "$T/old" "$P"
	for db in $(psql -AtXc "SELECT datname FROM pg_database WHERE datname LIKE 'biso%' AND datname NOT IN ('biso_old', 'biso_ref')"); do
		psql -qX -c "DROP DATABASE \"$db\" WITH (FORCE)"
	done
	psql -qX -c "CREATE DATABASE biso OWNER biso TEMPLATE biso_old"
}

run() {
	local bin=$1 log=$2
	shift 2
	set +e
	if [ -n "${LANG_RUN:-}" ]; then
		(env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG="$LANG_RUN" \
			"$bin" restore --yes --config "$DEMO_CONFIG" "$@"; exit $?) < /dev/null > "$log" 2>&1
	else
		("$bin" restore --yes --config "$DEMO_CONFIG" "$@"; exit $?) < /dev/null > "$log" 2>&1
	fi
	rc=$?
	set -e
	rc=$(runner_fault_rc "$log")
}
