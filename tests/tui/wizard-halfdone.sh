#!/bin/bash
# wizard-halfdone.sh: after a restore that ended half done (the test
# build's BR_FAULT_TERM stops its runner at the start of the database
# step: webroot, config and datadir replaced, exit 130), the wizard's
# first screen says so before its choices (newcomer 8.9: it was the normal
# one): "the restore of STAMP ended early after datadir (exit 130); not
# done: database, migrations, verify", the command that finishes it and
# the one that puts it back, each on one row, with the instance's
# --config; the choices stay below it.  The restore's wizard (1) shows the
# same notice on its first step screen ("Before you start").  In a 120x30
# tmux pane (the commands are longer than 80 columns), TERM=vt100
# NO_COLOR=1.  Skips (77) without tmux, php, rsync, a PostgreSQL server,
# root or the test build.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys
[ -x "$FAULTS" ] || skip "no test build $FAULTS (make check builds it)"
tmux_demo_setup wizhalf # CONF, TMUX_CMD; both gone on exit

set +e
BR_FAULT_TERM=step.database.start "$FAULTS" restore --yes --config "$CONF" < /dev/null > "$T/half.log" 2>&1
rc=$?
set -e
[ $rc = 130 ] || { cat "$T/half.log"; fail "the restore stopped at its database step: exit $rc, not 130"; }
st=$(ls "$S/log"/biso-recover-*.log | sed -n 's/.*biso-recover-\([0-9_]*\)\.log$/\1/p' | sort | tail -1)

$TMUX_CMD new-session -d -s wiz -x 120 -y 30 \
	"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 '$BISO_RECOVER' --config '$CONF'; echo \$? >'$T/exit'; sleep 600" ||
	fail "tmux new-session failed"
wait_for "What do you want to do\\?" 30 "the first screen"
shows_text "the restore of $st ended early after datadir (exit 130); not done: database, migrations," ||
	failscreen "the first screen does not name the half-done restore"
shows_text "verify" || failscreen "the first screen's notice lacks 'verify'"
shows "^ *to finish it, run:" || failscreen "the first screen: no 'to finish it, run:'"
shows_text "  biso-recover restore --only database,migrations,verify --config $CONF" ||
	failscreen "the first screen: no --only command on one row"
shows "^ *to put back what it replaced instead, run:" || failscreen "the first screen: no 'to put back'"
shows_text "  biso-recover rollback --config $CONF" || failscreen "the first screen: no rollback command"
shows "1  Restore this instance" || failscreen "the choices are gone below the notice"
echo "ok: the first screen names the half-done restore and both commands, above its choices"

keys 1
wait_for "Before you start" 60 "the restore's first step screen with its warnings"
shows_text "ended early after datadir" || failscreen "the restore's first screen does not name the half-done restore"
echo "ok: the restore's wizard names it before its first step"
keys Enter
wait_for "Enter run this step" 20 "the first step"
keys q
wait_for "Quit the wizard\\?" 10 "the quit question"
keys y
wait_for "exit code 130" 20 "the summary"
keys q
