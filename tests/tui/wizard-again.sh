#!/bin/bash
# wizard-again.sh: the restore wizard started within an hour of a finished
# restore asks first, as line mode does (tests/integration/restore-again.sh):
# a line-mode restore finishes, then `biso-recover wizard restore` in an
# 80x24 tmux pane (TERM=vt100 NO_COLOR=1 LANG=C) shows "Restore again?"
# before its first step, naming that run (its stamp, exit code and log) in
# run_again_text()'s words, nothing cut; n ends the wizard (exit 130) with
# no new step in the journal and no new kept copy; started again, y goes on
# to the first step, which then runs.  It failed before: the wizard went
# straight to its first step.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys
tmux_demo_setup wizagain # CONF, TMUX_CMD; both gone on exit

# wizard LABEL [OPTION]: the restore wizard in a new 80x24 vt100 pane; its
# exit code goes to $T/exit-LABEL.
wizard() {
	rm -f "$T/exit-$1"
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.5
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C LC_ALL=C '$BISO_RECOVER' --config '$CONF' wizard restore ${2:-}; echo \$? >'$T/exit-$1'; sleep 600" ||
		fail "tmux new-session failed"
}
# wait_exit LABEL CODE: the wizard exited with CODE within 10 s.
wait_exit() {
	local n=50
	while [ ! -s "$T/exit-$1" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	[ "$(cat "$T/exit-$1" 2>/dev/null)" = "$2" ] ||
		failscreen "[$1] exit $(cat "$T/exit-$1" 2>/dev/null), expected $2"
}
# the journal's step records (not the swaps'), and the kept webroots
steps() { grep -cE $'\t(started|working|done|failed|skipped)\t' "$S/log/journal" || true; }
kept() { ls -d "$S"/prod/webroot.pre-restore-* 2>/dev/null | wc -l; }

"$BISO_RECOVER" restore --yes --config "$CONF" > "$T/first.out" 2>&1 ||
	{ cat "$T/first.out"; fail "the first restore failed"; }
first_log=$(ls -t "$S"/log/biso-recover-*.log | head -n 1)
stamp=$(basename "$first_log" .log); stamp=${stamp#biso-recover-}
steps_before=$(steps)
kept_before=$(kept)

wizard no
wait_for "Restore again\\?" 60 "[no] the question before the first step"
# the dialog's text, its rows joined: the box is 72 wide at 80 columns,
# its text in columns 7 to 74
text=$(printf '%s\n' "$last_screen" | sed -n '/Restore again?/,/is changed\./p' | sed 1d |
	cut -c7-74 | tr '\n' ' ' | tr -s ' ')
for want in "the restore of $stamp finished at" "(exit 0), less than an hour ago" \
	"its log: $first_log;" "its summary: biso-recover status --config $CONF" \
	"'biso-recover rollback' would then no longer reach what was there before it" \
	"Start it again anyway? No, the default, stops the run here: nothing is changed."; do
	text_has "$text" -F -- "$want" || failscreen "[no] the question lacks \"$want\" (read: $text)"
done
shows "y yes, start it again +n/Enter no, stop here" || failscreen "[no] the key line does not offer y and n"
# nothing cut at 80x24: no path shortened, no "more in the log" (but the
# title line, which shortens a long webroot in its middle)
text_has "$(printf '%s\n' "$last_screen" | sed 1d)" -E '\.\.\.|…|more in the log' &&
	failscreen "[no] something on the question's screen is cut"
keys n
wait_for "stopped before any step: nothing was changed - exit code 130" 10 "[no] the summary after n"
keys q
wait_exit no 130
[ "$(steps)" = "$steps_before" ] || { cat "$S/log/journal"; fail "[no] a step ran after n: the journal has new step records"; }
[ "$(kept)" = "$kept_before" ] || fail "[no] a new kept copy of the webroot after n"
grep -q "the operator quit before step webroot" "$(ls -t "$S"/log/biso-recover-*.log | head -n 1)" ||
	fail "[no] the run log does not say the run stopped before its first step"
echo "ok: the wizard asks before a second restore, naming $stamp; n changed nothing"

wizard yes
wait_for "Restore again\\?" 60 "[yes] the question again (the run n stopped changed nothing)"
keys y
wait_for "Step 1 of 6" 10 "[yes] the first step after y"
wait_for "Enter run this step" 10 "[yes] the prompt of the first step"
keys Enter
wait_for "Confirm:" 10 "[yes] the webroot's confirmation"
keys y
wait_for "Step 2 of 6" 120 "[yes] step 2 after the webroot step ran"
[ "$(steps)" -gt "$steps_before" ] || fail "[yes] no step record after y"
[ "$(kept)" = $((kept_before + 1)) ] || fail "[yes] the webroot step kept no copy"
wait_for "Enter run this step" 10 "[yes] the prompt of step 2"
keys q
wait_for "Quit the wizard\\?" 10 "[yes] the quit question"
keys y
wait_for "Restore (STOPPED|ABORTED)" 30 "[yes] the summary"
keys q
wait_exit yes 130
echo "ok: y starts the restore again"

# --only webroot: the steps it leaves out are skipped from the start; the
# question is asked all the same, as line mode asks it (before, the wizard
# went to the webroot step without it)
steps_before=$(steps)
wizard only "--only webroot"
wait_for "Restore again\\?" 60 "[only] the question before the webroot step"
keys n
wait_for "exit code 130" 10 "[only] the summary after n"
keys q
wait_exit only 130
[ "$(steps)" = "$steps_before" ] || { cat "$S/log/journal"; fail "[only] a step ran after n"; }
echo "ok: restore --only webroot in the wizard asks too"
