#!/bin/bash
# restore-halfdone: a restore that ended half done (webroot, config and
# datadir replaced, the database not: the test build's BR_FAULT_TERM
# stops the runner with SIGTERM at the start of the database step, exit
# 130) is named first by the next restore in line mode (newcomer 8.9: only
# `status` said so): "the restore of STAMP ended early after datadir (exit
# 130); not done: database, migrations, verify", with the command that
# finishes it and the one that puts it back.  Both are taken from the
# output and run as printed (with --yes: no terminal here):
#   - the rollback: exit 0, the old webroot (OLD_MARKER) back, and the
#     next restore says nothing of the half-done run any more;
#   - after a second half-done run, the --only command: exit 0, the
#     database the dump's (the old table gone), it does not warn of the
#     run it finishes, and the next restore says nothing any more; a
#     newer dump written in between is not taken (the command names the
#     dump the half-done run chose).
# In German (LANG=de_CH.UTF-8) the notice is German.  A run stopped after
# only a check-only step (config) changed nothing: no notice.  A backup
# after a half-done run does not end it: the notice stays.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

. "$top_srcdir/tests/lib/faults.sh" # fault_setup, reset, run, dump_db
fault_setup halfdone
command -v msgfmt >/dev/null || skip "msgfmt not installed (gettext)"
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
export BISO_RECOVER_LOCALEDIR=$T/locale

half() { # LOG: a restore stopped at the start of its database step
	BR_FAULT_TERM=step.database.start run "$FAULTS" "$1"
	[ $rc = 130 ] || { cat "$1"; fail "the restore stopped before its database step: exit $rc, not 130"; }
	[ ! -e "$W/OLD_MARKER" ] || fail "the webroot was not replaced before the stop"
	psql -AtXc "SELECT 1 FROM pg_tables WHERE tablename = 'old_marker'" -d biso | grep -qx 1 ||
		fail "the database was replaced: the stop came too late"
}
notice() { # LOG: the next restore's plan, in line mode
	set +e
	"$BISO_RECOVER" restore --dry-run --config "$DEMO_CONFIG" < /dev/null > "$1" 2>&1
	rc=$?
	set -e
	[ $rc = 0 ] || { cat "$1"; fail "restore --dry-run after the half-done run: exit $rc"; }
}
stamp() { ls "$S/log"/biso-recover-*.log | sed -n 's/.*biso-recover-\([0-9_]*\)\.log$/\1/p' | sort | tail -1; }

reset
half "$T/half1.log"
st=$(stamp)
notice "$T/next1.log"
grep -qxF "warning: the restore of $st ended early after datadir (exit 130); not done: database, migrations, verify" "$T/next1.log" ||
	{ cat "$T/next1.log"; fail "the next restore does not say that the restore of $st ended half done"; }
grep -qxF "to finish it, run:" "$T/next1.log" || { cat "$T/next1.log"; fail "no 'to finish it' line"; }
# the command names the dump the half-done run chose (and --at its
# backups' time): a newer dump must not be taken (see below)
finish="  biso-recover restore --only database,migrations,verify --config $DEMO_CONFIG --dump "
back="  biso-recover rollback --config $DEMO_CONFIG"
grep -q -- "^$finish" "$T/next1.log" || { cat "$T/next1.log"; fail "no '$finish' line"; }
grep -qxF "to put back what it replaced instead, run:" "$T/next1.log" || { cat "$T/next1.log"; fail "no 'to put back' line"; }
grep -qxF -- "$back" "$T/next1.log" || { cat "$T/next1.log"; fail "no '$back' line"; }
echo "ok: the next restore names the half-done run, what is not done and both commands"

# German
set +e
env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 "$BISO_RECOVER" restore --dry-run \
	--config "$DEMO_CONFIG" < /dev/null > "$T/de.log" 2>&1
set -e
grep -qxF "Warnung: der restore-Lauf von $st endete vorzeitig nach datadir (Exit-Code 130); nicht erledigt: database, migrations, verify" "$T/de.log" ||
	{ cat "$T/de.log"; fail "the German notice is missing"; }
grep -qxF "um ihn abzuschliessen, ausführen:" "$T/de.log" || { cat "$T/de.log"; fail "German: no 'abschliessen' line"; }
grep -q -- "^$finish" "$T/de.log" || { cat "$T/de.log"; fail "German: no '$finish' line"; }
echo "ok: the notice in German"

# the rollback as printed
cmd=$(sed -n 's/^  biso-recover rollback/rollback/p' "$T/next1.log")
set +e
# shellcheck disable=SC2086 # the printed command, split as a shell would
"$BISO_RECOVER" $cmd --yes < /dev/null > "$T/rollback.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/rollback.log"; fail "the printed rollback command: exit $rc"; }
[ -e "$W/OLD_MARKER" ] || fail "after the printed rollback the old webroot is not back"
notice "$T/next2.log"
grep -q "ended early" "$T/next2.log" && { cat "$T/next2.log"; fail "after the rollback the restore still names the half-done run"; }
echo "ok: the printed rollback command puts the webroot back; then nothing more is said"

# again half done, then the --only command as printed
reset
half "$T/half2.log"
# a newer dump comes in between (the nightly pg_dump of the manual
# layout): it holds the live database the half-done run never replaced
first=$(realpath "$(ls "$B/db"/biso_*.sql.gz | sort | tail -1)")
pg_dump -d biso | gzip > "$B/db/biso_$(date -d '+1 min' +%Y%m%d_%H%M%S).sql.gz"
notice "$T/next3.log"
cmd=$(sed -n 's/^  biso-recover restore --only/restore --only/p' "$T/next3.log")
[ -n "$cmd" ] || { cat "$T/next3.log"; fail "the second half-done run: no --only command"; }
case " $cmd " in
*" --dump $first "*) ;;
*) cat "$T/next3.log"; fail "the --only command does not name the dump the half-done run chose ($first)" ;;
esac
set +e
# shellcheck disable=SC2086
"$BISO_RECOVER" $cmd --yes < /dev/null > "$T/finish.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/finish.log"; fail "the printed --only command: exit $rc"; }
grep -q "ended early" "$T/finish.log" && { cat "$T/finish.log"; fail "the command that finishes it warns of the run it finishes"; }
psql -AtXc "SELECT 1 FROM pg_tables WHERE tablename = 'old_marker'" -d biso | grep -qx 1 &&
	fail "after the printed --only command the database is still the old one"
notice "$T/next4.log"
grep -q "ended early" "$T/next4.log" && { cat "$T/next4.log"; fail "after finishing it the restore still names the half-done run"; }
echo "ok: the printed --only command finishes the restore (exit 0, the dump's database); then nothing more is said"

# a run stopped after a step that changed nothing (config, check-only in
# the demo: no config_php_src) is not half done: no notice
reset
BR_FAULT_TERM=step.datadir.start run "$FAULTS" "$T/checkonly.log" --only config,datadir
[ $rc = 130 ] || { cat "$T/checkonly.log"; fail "the restore stopped before its datadir step: exit $rc, not 130"; }
grep -q "step config" "$T/checkonly.log" || { cat "$T/checkonly.log"; fail "the config step did not run"; }
notice "$T/next5.log"
grep -q "ended early" "$T/next5.log" &&
	{ cat "$T/next5.log"; fail "a run that changed nothing (only the check-only config step done) is named as half done"; }
echo "ok: a run stopped after a check-only step leaves no notice"

# a backup after the half-done run (the nightly cron) does not end it: the
# next restore still names it (the backup is the newest run)
reset
half "$T/half3.log"
st=$(stamp)
set +e
"$BISO_RECOVER" backup --config "$DEMO_CONFIG" < /dev/null > "$T/backup.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/backup.log"; fail "the backup after the half-done run: exit $rc"; }
notice "$T/next6.log"
grep -qxF "warning: the restore of $st ended early after datadir (exit 130); not done: database, migrations, verify" "$T/next6.log" ||
	{ cat "$T/next6.log"; fail "after a backup the next restore no longer names the half-done restore of $st"; }
echo "ok: a backup after the half-done run does not end it: the next restore still names it"
