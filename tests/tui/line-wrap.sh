#!/bin/bash
# line-wrap.sh: line mode fits its texts to the terminal with one wrapping
# function (frontend_wrap()) on every path, on the demo instance in a
# sandbox with a long path, tmux panes with TERM=vt100 NO_COLOR=1:
#   question: (80x24 and 60x20) the webroot's confirmation "... (kept as
#             PATH). Go on? Type yes:" breaks between words and leaves the
#             kept path whole on a row of its own (the question was written
#             as it was: the terminal cut it at its edge, inside the path);
#   ctrl-c:   (60x20) Ctrl-C at that question: the warning starts on a row
#             of its own after "^C" (it followed "^C" on the same row, and
#             its wrap was off by the question's columns);
#   plans:    (80x24) restore --dry-run and rollback --dry-run print their
#             plans (stdout) wrapped between words, a path whole, a
#             manual command one line (they were printed as they were:
#             the terminal broke words and paths);
#   rollback: (80x24) after a restore, the rollback's summary names the
#             path it put back on a row of its own ("put back: PATH"), as
#             the restore's "kept:" (it was broken in the result column);
#   wizard:   (80x24) the wizard's last line after q y: "biso-recover: NOT
#             finished, exit code 130; log:" ends its row, the log's path is
#             the next one, whole (the line ran over the edge, cut in the
#             path).
# Rows are read joined, with the scrollback (capture-pane -J -S -200): a row the program ended with a
# line end is a row, one the terminal folded is not.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
# a long tag: the sandbox's paths as long as a checkout's demo-sandbox
demo_test_setup linewrap-in-a-sandbox-whose-path-is-long "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
TMUX_CMD="tmux -L biso-linewrap-$$ -f /dev/null"
TMUX_CAPTURE="-J -S -200"
trap '$TMUX_CMD kill-server >/dev/null 2>&1; demo_test_cleanup' EXIT
. "$top_srcdir/tests/lib/tmux.sh"

start() { # COLS ROWS ARGS...
	local c=$1 r=$2
	shift 2
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.3
	$TMUX_CMD new-session -d -s wiz -x "$c" -y "$r" \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 $(printf '%q ' "$BISO_RECOVER" --config "$CONF" "$@"); sleep 600" ||
		fail "tmux new-session failed"
}
# has_row TEXT: a row of the screen (joined) is TEXT, blanks at its end aside
has_row() { sed 's/ *$//' <<< "$last_screen" | grep -qxF -- "$1"; }
# wait until no runner of this instance runs (a run ended by Ctrl-C or q)
runs_ended() {
	local n=150 rc
	while [ "$n" -gt 0 ]; do
		rc=0
		"$BISO_RECOVER" status --config "$CONF" >/dev/null 2>&1 || rc=$?
		[ "$rc" = 4 ] || [ "$rc" = 5 ] || return 0
		sleep 0.2
		n=$((n - 1))
	done
}

# ---- question -----------------------------------------------------------
for size in 80x24 60x20; do
	start "${size%x*}" "${size#*x}" restore
	wait_for "Go on\\? Type yes:" 60 "[question $size] the webroot's confirmation"
	kept=$(grep -oE -- "$DEMO_WEBROOT\\.pre-restore-[0-9_]+" <<< "$last_screen" | head -1) ||
		failscreen "[question $size] no kept path on the screen"
	has_row "$kept)." || failscreen "[question $size] the kept path $kept is not a row of its own"
	has_row "Go on? Type yes:" || failscreen "[question $size] 'Go on? Type yes:' is not a row of its own"
	echo "ok: [question $size] the kept path whole on its own row"
	if [ "$size" = 60x20 ]; then
		# ---- ctrl-c -----------------------------------------------------
		keys C-c
		wait_for "stopping before step webroot" 30 "[ctrl-c] the warning"
		grep -q "Type yes: \\^Cwarning" <<< "$last_screen" &&
			failscreen "[ctrl-c] the warning follows ^C on its row"
		grep -Eq "^warning: stopping before step webroot: cancelled by the( |$)" <<< "$last_screen" ||
			failscreen "[ctrl-c] the warning does not start a row"
		grep -Eq "opera$" <<< "$last_screen" && failscreen "[ctrl-c] a word broken at the edge"
		echo "ok: [ctrl-c] the warning on a row of its own, wrapped between words"
	else
		keys C-c
	fi
	runs_ended
done

# ---- rollback -----------------------------------------------------------
# (80x24) a restore, then its rollback: the rollback's summary puts the path
# it put back on a row of its own, as the restore's "kept:" (it was the
# table's result column, the path broken at the edge)
ran() { # ARGS...: run to its end in an 80x24 pane, exit 0
	$TMUX_CMD kill-server >/dev/null 2>&1 && sleep 0.3
	$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 $(printf '%q ' "$BISO_RECOVER" --config "$CONF" "$@"); echo \"ended \$?\"; sleep 600" ||
		fail "tmux new-session failed"
	wait_for "^ended [0-9]+" 300 "[$1] the end"
	shows "^ended 0" || failscreen "[$*] did not exit 0"
}
# plan_wrapped WHAT: every row of the plan on the screen (joined) fits 80
# columns but a row that is one word (a path wider than a row, which the
# terminal folds); a line of the plan printed as it was (stdout) ran over
# the edge, the terminal breaking its words and paths anywhere
plan_wrapped() {
	local row LC_ALL=C.UTF-8 # ${#row}: characters
	grep -q "ended 0" <<< "$last_screen" || failscreen "[$1] did not end"
	while IFS= read -r row; do
		row=${row%"${row##*[! ]}"}
		# a manual command (five blanks) is whole, for a paste
		case $row in "     "[!\ ]*) continue ;; esac
		[ "${#row}" -le 80 ] && continue
		row=${row#"${row%%[! ]*}"}
		case $row in *" "*) failscreen "[$1] a row wider than 80 columns: $row" ;; esac
	done <<< "$last_screen"
}
ran restore --dry-run
shows "^   replaces( |$)" || failscreen "[restore --dry-run] no plan on the screen"
shows "^     gunzip -c [^ ]+\\.sql\\.gz \\| psql .* -d biso_restoring *$" ||
	failscreen "[restore --dry-run] the manual command gunzip | psql is not whole on one row"
plan_wrapped "restore --dry-run"
echo "ok: [restore --dry-run] the plan wrapped between words at 80 columns"
ran restore --yes
ran rollback --dry-run
plan_wrapped "rollback --dry-run"
echo "ok: [rollback --dry-run] the plan wrapped between words at 80 columns"
ran rollback --yes
back=$(grep -oE -- "$DEMO_WEBROOT\\.pre-restore-[0-9_]+" <<< "$last_screen" | head -1) ||
	failscreen "[rollback] no path put back on the screen"
grep -Eq "^webroot +done +[0-9.]+s +put back the kept copy *$" <<< "$last_screen" ||
	failscreen "[rollback] the webroot's row is not 'put back the kept copy'"
{ has_row "put back: $back" || { has_row "put back:" && has_row "$back"; }; } ||
	failscreen "[rollback] the path put back, $back, is not whole on a row of its own"
echo "ok: [rollback] the path put back whole on its own row"

# ---- wizard -------------------------------------------------------------
start 80 24 wizard restore
wait_for "Enter run this step" 60 "[wizard] the first step"
keys q
wait_for "Quit the wizard\\?" 10 "[wizard] the quit question"
keys y
# (the summary's headline: the quit question also says "exit code 130")
wait_for "Restore stopped before any step: nothing was changed - exit code 130" 20 "[wizard] the summary"
keys q
wait_for "NOT finished, exit code 130" 20 "[wizard] the last line"
has_row "biso-recover: NOT finished, exit code 130; log:" ||
	failscreen "[wizard] 'log:' does not end the last line's row"
grep -Eq "^$DEMO_SANDBOX/log/biso-recover-[0-9_]+\\.log *$" <<< "$last_screen" ||
	failscreen "[wizard] the log path is not a row of its own"
echo "ok: [wizard] the last line ends before the log path, which is whole on the next row"
echo "line-wrap: all checks passed"
