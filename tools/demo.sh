#!/bin/sh
# demo.sh: README command (1).  Installs the packages, builds biso-recover
# (the build tree's default target: the program and its catalogues in
# build/locale, so that LANG=de_CH.UTF-8 speaks German), builds the demo
# BISO instance and its backup set in ./demo-sandbox (with a throw-away
# PostgreSQL cluster on a Unix socket there; no system service is touched),
# and opens the wizard on the demo instance: its first screen's "Restore
# this instance" restores that set over it ("Take a backup" adds a backup to
# the set).  Arguments are passed on ("wizard restore" opens the restore
# directly).
# The build shows one line per phase; its output goes to BUILD/demo-build.log
# (on a failure: its last lines and its path).
# The cluster is stopped when the wizard exits (also on Ctrl-C, SIGTERM and
# SIGHUP: a closed terminal) - unless a run of the demo still works (the
# wizard left it with d, or the terminal went while a detached run goes on):
# then the cluster stays up while that run works, and a watcher in the
# background stops it at the run's end (its lines in SANDBOX/log/demo.log).
# For tests: DEMO_SKIP_DEPS=1 installs nothing, DEMO_BUILD_DIR=DIR builds
# there (default build/), DEMO_BUILD_ONLY=1 stops after the build,
# DEMO_SKIP_BUILD=1 uses DIR's biso-recover as it is.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sandbox=${DEMO_SANDBOX:-$top/demo-sandbox}
build=${DEMO_BUILD_DIR:-$top/build}
blog=$build/demo-build.log

# phase WHAT CMD...: one line for the phase, CMD's output into $blog; on a
# failure the log's tail and its path, and the demo ends
phase() {
	echo "demo: $1"
	shift
	if ! "$@" >>"$blog" 2>&1; then
		echo "demo: that failed; the last lines of $blog:" >&2
		tail -n 25 "$blog" >&2
		echo "demo: the whole build log: $blog" >&2
		exit 1
	fi
}

[ "${DEMO_SKIP_DEPS:-0}" = 1 ] || "$top/tools/deps.sh"
if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
	mkdir -p "$build"
	: >"$blog"
	[ -x configure ] || phase "autogen.sh: making the build system (the first time)" ./autogen.sh
	[ -f "$build/Makefile" ] ||
		phase "configure (in $build)" sh -c 'cd "$1" && "$2/configure" -q' sh "$build" "$top"
	phase "building biso-recover in $build (a few minutes the first time)" \
		make -C "$build" -s -j"$(nproc)"
fi
[ "${DEMO_BUILD_ONLY:-0}" = 1 ] && exit 0

"$top/share/demo/make-backup-set.sh" --force "$sandbox"
conf=$sandbox/biso-recover.conf

# run_going: a run of the demo instance still works or waits for an answer
# (status exit 4 or 5)
run_going() {
	rc=0
	"$build/biso-recover" status --config "$conf" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 4 ] || [ "$rc" = 5 ]
}

# stop the cluster once, at the end: at once when no run of the demo goes
# on; else a watcher (immune to the terminal's hangup) waits for the run's
# end and stops it then, as a drill's runner stops the drill's cluster
demo_end() {
	# a hangup now (the terminal closes meanwhile) does not cut it short
	trap - EXIT
	trap '' HUP
	set +e
	# the terminal went without a SIGHUP to this script (the wizard saw its
	# end first and exited; the SIGHUP came later or never): what is still
	# said goes to the sandbox's log, as after one
	if [ "$had_tty" = 1 ] && [ ! -t 1 ]; then
		exec </dev/null >>"$sandbox/log/demo.log" 2>&1
	fi
	if run_going; then
		echo "demo: a run of the demo still works on its PostgreSQL cluster ($build/biso-recover status --config $conf);"
		echo "demo: the cluster stays up until that run ends, then it is stopped (see $sandbox/log/demo.log);"
		echo "demo: to stop it now: $top/share/demo/stop.sh $sandbox"
		(
			trap '' HUP
			while run_going; do sleep 2; done
			echo "demo: $(date '+%F %T') the run ended"
			"$top/share/demo/stop.sh" "$sandbox"
		) </dev/null >>"$sandbox/log/demo.log" 2>&1 &
	else
		"$top/share/demo/stop.sh" "$sandbox" || true
	fi
}
# Ctrl-C and SIGTERM reach the wizard too, which decides (Ctrl-C asks
# first): the script only waits for its end.  A hangup closed the terminal:
# what is still said goes to the sandbox's log.
had_tty=0
[ -t 1 ] && had_tty=1
trap demo_end EXIT
trap : INT TERM
trap 'exec </dev/null >>"$sandbox/log/demo.log" 2>&1' HUP
status=0
"$build/biso-recover" --config "$conf" "$@" || status=$?
echo "demo: wizard exited with status $status; the sandbox is $sandbox"
exit "$status"
