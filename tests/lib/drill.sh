# drill.sh: the set-up of the tests that run a drill (`biso-recover drill`)
# from an installed layout under script(1): drill-german.sh,
# drill-maintenance.sh (sourced; POSIX sh).  Defines skip and fail.
#
# drill_setup NAME: skips (77) without root, php, script(1) or a PostgreSQL
# server; makes T=/tmp/br-drill-NAME.XXXXXX, removed at exit (KEEP=1 keeps
# it) with the drill's sandbox cluster $T/sb stopped; the installed layout
# (mk/install.am) in $T/share (demo, drills, pgcluster.sh) and a home
# $T/home, exported as BISO_RECOVER_SHARE and HOME.
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

drill_setup() {
	[ "$(id -u)" = 0 ] || skip "needs root (the sandbox's cluster runs as postgres)"
	command -v php >/dev/null 2>&1 || skip "php is not installed"
	command -v script >/dev/null 2>&1 || skip "script (util-linux) is not installed"
	ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || [ -n "${PG_BINDIR:-}" ] || skip "no PostgreSQL server"
	T=$(mktemp -d "/tmp/br-drill-$1.XXXXXX") || fail "mktemp"
	chmod 755 "$T"
	trap drill_cleanup EXIT
	mkdir -p "$T/share" "$T/home"
	cp -R "$top_srcdir/share/demo" "$top_srcdir/share/drills" "$T/share/"
	cp "$top_srcdir/tests/lib/pgcluster.sh" "$T/share/demo/pgcluster.sh"
	export BISO_RECOVER_SHARE="$T/share" HOME="$T/home"
}

drill_cleanup() {
	[ -d "$T/sb/pg/pgdata" ] && "$T/share/demo/stop.sh" "$T/sb" >/dev/null 2>&1
	[ "${KEEP:-0}" = 1 ] && echo "kept: $T" || rm -rf "$T"
}
