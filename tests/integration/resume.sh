#!/bin/bash
# resume: kill -9 a full `restore --yes` of the demo instance (the test build
# tests/integration/biso-recover-faults, BR_FAULT_KILL) at the start of each
# step, at each point of a swap (between two renames) and part way through
# the replay; then `restore --resume --yes` (the normal binary) must:
#   - exit 0 with every part equal to the backup (rsync -ani --checksum;
#     pg_dump against psql's restore of the dump, migrated);
#   - leave exactly one pre-restore copy of the webroot, the datadir and
#     the database, each holding the old instance;
#   - leave no <db>_restoring database and no staging tree.
# A plain start after the kill says that a run was interrupted and how to
# resume it; --resume without an interrupted run is refused.  With
# LANG=de_CH.UTF-8 (the run killed in the replay) both say it in German on
# the terminal, while the run log keeps the English text.  A resumed run
# killed again says in `status` the step number of the flow (5/6), as the
# wizard does.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}

# the demo instance marked old; dump_db, same_tree, reset, run
. "$top_srcdir/tests/lib/faults.sh"
fault_setup rs
ROOT_MODE=any     # a kept tree's root mode does not count
SAME_TREE_SHOW=1  # a tree that differs says where
command -v msgfmt >/dev/null || skip "msgfmt not installed (gettext)"
text_has "$(locale -a)" -ix 'de_CH.utf-\?8' || fail "the de_CH.UTF-8 locale is missing (tools/deps.sh generates it)"
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
export BISO_RECOVER_LOCALEDIR=$T/locale
LANG_RUN=C # the language of run(): only LANG chooses it

# The reference: an uninterrupted restore, and the points it passes.
reset
BR_FAULT_RECORD=$T/points run "$FAULTS" "$T/record.log"
[ $rc = 0 ] || { cat "$T/record.log"; fail "the recording run exited $rc"; }
dump_db biso > "$T/new.sql"
cmp -s "$T/new.sql" "$T/old.sql" && fail "the restore changed nothing in the database"

# --resume with nothing interrupted is refused, touching nothing
run "$BISO_RECOVER" "$T/nothing.log" --resume
[ $rc = 2 ] && grep -q "no interrupted restore to resume" "$T/nothing.log" ||
	{ cat "$T/nothing.log"; fail "--resume after a finished run: exit $rc"; }
echo "ok: --resume after a finished run is refused"

bad=0
check() { # POINT
	local point=$1 n
	if [ $rc != 0 ]; then
		echo "FAIL at $point: restore --resume --yes exited $rc:"; sed 's/^/    /' "$T/resume.log"; bad=1; return
	fi
	grep -q -e "was interrupted" -e "wurde unterbrochen" "$T/resume.log" || { echo "FAIL at $point: the resumed run does not say what was interrupted"; bad=1; }
	same_tree "$B/webroot" "$W" "${WEXCL[@]}" || { echo "FAIL at $point: the webroot is not the backup's"; bad=1; }
	same_tree "$B/data" "$W/data" || { echo "FAIL at $point: the datadir is not the backup's"; bad=1; }
	[ "$(dump_db biso)" = "$(cat "$T/new.sql")" ] || { echo "FAIL at $point: the database is not the dump's (pg_dump differs)"; bad=1; }
	n=$( (ls -d "$P"/webroot.pre-restore-* 2>/dev/null || true) | wc -l)
	[ "$n" = 1 ] || { echo "FAIL at $point: $n pre-restore copies of the webroot: $(ls -d "$P"/webroot.pre-restore-* 2>/dev/null)"; bad=1; }
	same_tree "$T/old/webroot" "$P"/webroot.pre-restore-* "${WEXCL[@]}" || { echo "FAIL at $point: the kept webroot is not the old one"; bad=1; }
	n=$( (ls -d "$P"/webroot.pre-restore-*/data "$P"/webroot.*data.pre-restore-* 2>/dev/null || true) | wc -l)
	[ "$n" = 1 ] || { echo "FAIL at $point: $n pre-restore copies of the datadir"; bad=1; }
	n=$(psql -AtXc "SELECT count(*) FROM pg_database WHERE datname LIKE 'biso\\_pre\\_restore\\_%'")
	[ "$n" = 1 ] || { echo "FAIL at $point: $n pre-restore copies of the database"; bad=1; }
	[ "$(dump_db "$(psql -AtXc "SELECT datname FROM pg_database WHERE datname LIKE 'biso\\_pre\\_restore\\_%'")")" = "$(cat "$T/old.sql")" ] ||
		{ echo "FAIL at $point: the kept database is not the old one"; bad=1; }
	n=$(psql -AtXc "SELECT count(*) FROM pg_database WHERE datname LIKE '%restoring%'")
	[ "$n" = 0 ] || { echo "FAIL at $point: a _restoring database is left"; bad=1; }
	if ls -d "$P"/*restoring* "$W"/*restoring* > /dev/null 2>&1; then
		echo "FAIL at $point: staging trees left: $(ls -d "$P"/*restoring* "$W"/*restoring* 2>/dev/null)"; bad=1
	fi
}

points=$(grep -e '^step\..*\.start$' -e '^swap\.' "$T/points"; grep -m1 '^replay\.' "$T/points" | sed 's/$/@10/')
# RESUME_POINTS="step.database.start" (or "") runs only those kill points
[ -z "${RESUME_POINTS+set}" ] || points=$RESUME_POINTS
first=1
for point in $points; do
	reset
	BR_FAULT_KILL=$point run "$FAULTS" "$T/kill.log"
	if [ $rc != 137 ] || ! grep -q "^fault: SIGKILL at ${point%@*}$" "$T/kill.log"; then
		cat "$T/kill.log"; fail "the run was not killed at $point (exit $rc)"
	fi
	sleep 1 # the next run's log carries the second
	if [ $first = 1 ]; then
		# the client of the killed runner names the command that
		# continues the run with the options in use (it said only that
		# the runner ended)
		grep -qxF "  biso-recover restore --resume --config $DEMO_CONFIG" "$T/kill.log" ||
			{ cat "$T/kill.log"; fail "the client of a killed runner does not name restore --resume --config"; }
		# a plain start says so and how to resume (a dry run: touches nothing)
		run "$BISO_RECOVER" "$T/plain.log" --dry-run
		grep -q "warning: the restore of [0-9_]* was interrupted: .*step [0-9], [a-z]*, was interrupted" "$T/plain.log" &&
			grep -q "biso-recover restore --resume" "$T/plain.log" ||
			{ cat "$T/plain.log"; fail "a plain start after a kill does not say that a run was interrupted"; }
		echo "ok: a plain start says: $(grep -m1 'was interrupted' "$T/plain.log")"
		first=0
	fi
	case $point in
	replay.*)
		# German on the terminal, English in the run log: the plain
		# start's warning (a dry run), then the resume
		LANG_RUN=de_CH.UTF-8 run "$BISO_RECOVER" "$T/plain-de.log" --dry-run
		de="der restore-Lauf von [0-9_]* wurde unterbrochen: Schritte 1-3 (webroot, config, datadir) um [0-9][0-9]:[0-9][0-9] abgeschlossen, aus den Sicherungen vom [0-9-]* [0-9:]*; Schritt 4, database, wurde während des Einspielens unterbrochen"
		grep -q "^Warnung: $de\$" "$T/plain-de.log" || { cat "$T/plain-de.log"; fail "a plain start after a kill in the replay does not say it in German"; }
		! grep -q "was interrupted" "$T/plain-de.log" || { cat "$T/plain-de.log"; fail "English in the German plain start"; }
		echo "ok: in German: $(grep -m1 'wurde unterbrochen' "$T/plain-de.log")"
		sleep 1
		rm -f "$S/log/"biso-recover-*.log
		LANG_RUN=de_CH.UTF-8 run "$BISO_RECOVER" "$T/resume.log" --resume
		grep -q "$de" "$T/resume.log" || { cat "$T/resume.log"; fail "restore --resume in German does not say what was interrupted in German"; }
		log=$(ls "$S/log/"biso-recover-*.log | head -n 1)
		grep -q "INFO  the restore of [0-9_]* was interrupted: steps 1-3 (webroot, config, datadir) finished at [0-9:]* from the backups of [0-9-]* [0-9:]*; step 4, database, was interrupted during the replay$" "$log" &&
			! grep -q "unterbrochen" "$log" || { cat "$log"; fail "the run log of the German resume does not keep the English text"; }
		echo "ok: restore --resume in German, its run log in English"
		;;
	*)
		run "$BISO_RECOVER" "$T/resume.log" --resume
		;;
	esac
	echo "killed at $point; resumed: $(grep -m1 -e 'was interrupted' -e 'wurde unterbrochen' "$T/resume.log" || true)"
	# what the interrupted step had done, from the journal: at a step's
	# start nothing; in the replay, the replay
	case $point in
	step.*.start) want="step [0-9], ${point#step.}, was interrupted at its start; nothing of it had changed" ;;
	replay.*) want=$de ;; # the German run above
	*) want="was interrupted" ;;
	esac
	want=${want/.start,/,}
	grep -q "$want" "$T/resume.log" || { echo "FAIL at $point: the resumed run does not say: $want"; bad=1; }
	check "$point"
done
[ $bad = 0 ] || fail "some resumes did not finish the restore as one run would (above)"

# A resumed run numbers its steps as the flow, the plan and the wizard do
# ("Step 5 of 6"): killed in the database step, resumed, and the resumed
# run killed at the start of the verify step, `status` says "at step 5/6
# Run migrations, ..." or "6/6 Verify the instance" (it said "2/3" or
# "3/3": the resumed run's steps were counted, not the flow's).
reset
BR_FAULT_KILL=step.database.start run "$FAULTS" "$T/num1.log"
[ $rc = 137 ] || { cat "$T/num1.log"; fail "the run was not killed at the database step (exit $rc)"; }
sleep 1
BR_FAULT_KILL=step.verify.start run "$FAULTS" "$T/num2.log" --resume
[ $rc = 137 ] || { cat "$T/num2.log"; fail "the resumed run was not killed at the verify step (exit $rc)"; }
set +e
env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=C "$BISO_RECOVER" status --config "$DEMO_CONFIG" > "$T/num-status.log" 2>&1
src=$?
set -e
# (the last step the status file got: the migrations done, or the verify
# step started when its write was not held back by the once-a-second rule)
[ $src = 1 ] && grep -q "died, at step \(5/6 Run migrations\|6/6 Verify the instance\)" "$T/num-status.log" ||
	{ cat "$T/num-status.log"; fail "status of a resumed run killed at the verify step does not say step 5/6 or 6/6 (exit $src)"; }
sf=$(ls -t "$S/log/"biso-recover-*.status | head -n 1)
grep -q "^step=[56]\$" "$sf" && grep -q "^nsteps=6\$" "$sf" ||
	{ cat "$sf"; fail "the status file of the resumed run does not number its steps of 6"; }
echo "ok: a resumed run's status numbers its steps as the flow: $(grep -m1 'died, at step' "$T/num-status.log")"
echo "resume: all $(echo $points | wc -w) kill points resumed"
