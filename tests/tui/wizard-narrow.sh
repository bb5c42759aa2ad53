#!/bin/bash
# wizard-narrow.sh: what the wizard's step screens show of long texts, on
# the demo instance in a sandbox with a long path, tmux panes with
# TERM=vt100 NO_COLOR=1:
#   explain:  (80x20) the datadir step: the explanation pane never holds
#             only a marker (it held "(...)"), a cut one ends in "... (?
#             all)"; ? shows the whole explanation, source, target and what
#             the step replaces, scrolled with Down (it was cut and ended
#             "(more in the log)", where the rest never was); Down past its
#             end, then one Up moves at once;
#   log:      (80x20) the log scrolled back ([) at the config step is at its
#             newest lines again on the next step's screen (it stayed
#             scrolled back, hiding the step's result);
#   narrow:   (60x20) the webroot step: no row ends in a "/" (a path was
#             broken across rows there); the target's path keeps its end
#             (".../prod/webroot", shortened in its middle; it was cut at
#             the edge without a marker); the step list holds
#             " 5 migrations" with a space before its rule (it ran into it);
#             the key line drops "[ ] log" first and keeps "d leave" (it
#             was cut off);
#   narrow-backup: (60x20) the backup wizard: a cut heading ends in "...";
#             the step list tells "maintenance-on" from "-off" (both
#             "mainten..."); a summary result too long for its row goes on
#             under its column (it went on at the left edge);
#   german:   (80x24, de_CH) the step list names every step alike (it showed
#             "6 Instanz prüfen" among English names); ? says "andere
#             Taste: zurück" (it said "Taste zurück").
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
# a long tag: the sandbox's paths as long as a checkout's demo-sandbox
demo_test_setup wiznarrow-in-a-sandbox-whose-path-is-as-long-as-many-real-ones "chown of the datadir to www-data, runuser postgres"
CONF=$DEMO_CONFIG
TM="tmux -L biso-wiznarrow-$$ -f /dev/null"
trap '$TM kill-server >/dev/null 2>&1 || true; demo_test_cleanup' EXIT

screen() { $TM capture-pane -p -t wiz 2>/dev/null || true; }
has() { text_has "$(screen)" -E -- "$1"; }
failscreen() { printf -- '--- screen ---\n%s\n--------------\n' "$(screen)"; fail "$*"; }
wait_for() { # REGEX SECONDS WHAT
	local n=$(( $2 * 5 ))
	while [ "$n" -gt 0 ]; do
		has "$1" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	failscreen "after $2 s the screen does not show $3 (/$1/)"
}
keys() { $TM send-keys -t wiz "$@"; }
start() { # COLS ROWS CONFIG ARGS...
	local c=$1 r=$2 conf=$3
	shift 3
	$TM kill-server >/dev/null 2>&1 && sleep 0.3
	$TM new-session -d -s wiz -x "$c" -y "$r" \
		"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 $(printf '%q ' "$BISO_RECOVER" --config "$conf" "$@"); sleep 600" ||
		fail "tmux new-session failed"
}
quit_wizard() {
	keys q
	wait_for "Quit the wizard\\?" 10 "the quit question"
	keys y
	wait_for "exit code 130" 20 "the summary"
	keys q
	sleep 0.5
}

# ---- explain ------------------------------------------------------------
# (env_expected STAGING: a warning before the start, so that the log has
# lines to scroll back over)
WCONF=$T/warn.conf
{ cat "$CONF"; echo 'env_expected = "STAGING";'; } > "$WCONF"
start 80 20 "$WCONF" wizard restore --only config,datadir
wait_for "Step 2 of 6: Check config.php" 60 "the config step"
if has "Before you start"; then
	keys x
	wait_for "Enter run this step" 10 "the config step's keys"
fi
# ---- log (the config step, then the datadir step's screen)
keys '['
wait_for "Log \\([0-9]+ lines back" 5 "[log] the log scrolled back"
keys Enter
wait_for "Step 3 of 6: Restore the datadir" 60 "[log] the datadir step"
wait_for "Enter run this step" 10 "[log] the datadir step's keys"
has "lines back" && failscreen "[log] the log pane is still scrolled back on the next step"
has "step config done" || failscreen "[log] the config step's result is not in the log pane"
echo "ok: [log] the log is at its newest lines on the next step"
# the pane: the explanation's start in sight; a row of only a marker never
grep -Eq '^ +x (\(\.\.\.\)|\.\.\. \(\? all\)) *$' <<< "$(screen)" &&
	failscreen "[explain] the explanation pane holds only a marker"
has "x Copies attachments" || failscreen "[explain] the explanation's start is not in the pane"
keys '?'
wait_for "lq Step 3 of 6: Restore the datadir" 5 "[explain] the ? box"
text=""
for _ in $(seq 12); do
	s=$(screen)
	grep -q "(more in the log)" <<< "$s" && failscreen "[explain] the box says 'more in the log'"
	grep -Eq '/ *x *$' <<< "$s" && failscreen "[explain] a row of the box ends in '/': a path broken across rows"
	text="$text
$s"
	grep -q "lines [0-9]*-[0-9]* of [0-9]* (Up/Down)" <<< "$s" || break
	keys Down
	sleep 0.2
done
flat=$(cut -c7-74 <<< "$text" | tr "\n" " " | tr -s " ")
# (a path longer than the box is cut in its middle on a row of its own: its end)
for t in "Copies attachments" "points to is missing" "target:" "This step replaces" \
	"webroot.data.pre-restore-"; do
	grep -qF -- "$t" <<< "$flat" || { printf '%s\n' "$text"; fail "[explain] the ? box never shows '$t'"; }
done
# Down past its end, then one Up moves at once (the scroll is kept clamped)
for _ in $(seq 30); do keys Down; done
wait_for "lines [0-9]+-([0-9]+) of \\1 " 10 "[explain] the box's last page"
pos=$(grep -Eo "lines [0-9]+-[0-9]+ of [0-9]+" <<<"$(screen)")
n=${pos##* of }
keys Up
wait_for "lines [0-9]+-$((n - 1)) of $n " 10 "[explain] the page before the last after one Up ($pos before)"
keys x
wait_for "Enter run this step" 5 "[explain] the step screen after the box"
echo "ok: [explain] the pane shows the explanation's start; ? shows it all, scrolled"
quit_wizard

# ---- narrow ---------------------------------------------------------------
start 60 20 "$CONF" wizard restore
wait_for "Step 1 of 6: Restore the webroot" 60 "[narrow] the webroot step"
wait_for "Enter run this step" 10 "[narrow] the webroot step's keys"
line=$(grep -E "x target: " <<< "$(screen)") || failscreen "[narrow] no target line"
grep -Eq "x target: /[^ ]*\.\.\.[^ ]*/prod/webroot *$|x target: $DEMO_WEBROOT *$" <<< "$line" ||
	failscreen "[narrow] the target is not '.../prod/webroot' whole at its end: $line"
has " 5 migrations +x" || failscreen "[narrow] ' 5 migrations' runs into the step list's rule"
# no path is broken at a "/" across rows (newcomer 8, finding 24): no row
# of the step screen ends in one
grep -Eq '/ *$' <<< "$(screen)" && failscreen "[narrow] a row ends in '/': a path broken across rows"
# the key line keeps "d leave" and drops "[ ] log" (the log's rule names
# those keys; "d leave" was cut off)
last=$(screen | tail -n 1 | sed 's/ *$//')
[ "$last" = "Enter run this step  s skip  q quit  ? explain  d leave" ] ||
	failscreen "[narrow] the key line is '$last'"
echo "ok: [narrow] 60x20: the target keeps its end; the step list's names end before the rule; the key line keeps d leave"
quit_wizard

# ---- narrow-backup ----------------------------------------------------------
# (60x20) the backup wizard: a cut heading ends in "..." (it was cut without
# a mark); "maintenance-on" and "maintenance-off" stay apart in the step
# list (both were "mainten..."); in the summary a result too long for its
# row goes on under the result column (it went on at the left edge).
start 60 20 "$CONF" wizard backup
wait_for "Step 1 of 6: " 60 "[narrow-backup] the first step"
wait_for "Enter start all steps" 10 "[narrow-backup] the first step's keys"
has "Step 1 of 6: Switch maint[a-z ]*\.\.\." ||
	failscreen "[narrow-backup] the cut heading does not end in ..."
has "\] 1 [a-z]+\.\.\.-on " && has "\] 4 [a-z]+\.\.\.-off " ||
	failscreen "[narrow-backup] maintenance-on and -off are not told apart in the step list"
echo "ok: [narrow-backup] the cut heading ends in ...; the step list tells maintenance-on from -off"
keys Enter
wait_for "Backup finished" 120 "[narrow-backup] the summary"
s=$(screen)
row=$(grep -nE "^ *database +done +[0-9.]+s  " <<< "$s" | head -n 1) ||
	failscreen "[narrow-backup] no database row in the summary"
n=${row%%:*}
first=${row#*:}
col=$(sed -E 's/^( *database +done +[0-9.]+s  ).*/\1/' <<< "$first" | wc -c)
col=$((col - 1))
next=$(sed -n "$((n + 1))p" <<< "$s")
[ "$(printf '%s' "$first" | wc -c)" -gt 55 ] || failscreen "[narrow-backup] the database row fits: nothing to check"
lead=$(sed -E 's/^( *).*/\1/' <<< "$next" | tr -d '\n' | wc -c)
[ "$lead" = "$col" ] || failscreen "[narrow-backup] the database result goes on at column $lead, not under its column ($col)"
grep -Eq '/ *$' <<< "$s" && failscreen "[narrow-backup] a row of the summary ends in '/': a path broken across rows"
echo "ok: [narrow-backup] the summary's result goes on under its column, no path broken"
keys q
sleep 0.5

# ---- german ---------------------------------------------------------------
# (80x24, de_CH) the step list names every step alike (the short names: the
# German titles do not fit), not one German title among English names; the
# key line of ? reads "jede Taste: zurück" or "andere Taste: zurück" (it
# read "Taste zurück")
command -v msgfmt >/dev/null 2>&1 && text_has "$(locale -a)" -ix 'de_CH.utf-\?8' || {
	echo "SKIP [german]: no msgfmt or no de_CH.UTF-8 locale"
	echo "wizard-narrow: all checks passed"
	exit 0
}
mkdir -p "$T/locale/de/LC_MESSAGES"
msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
$TM kill-server >/dev/null 2>&1 && sleep 0.3
$TM new-session -d -s wiz -x 80 -y 24 \
	"env -u LANGUAGE -u LC_ALL -u LC_MESSAGES TERM=vt100 NO_COLOR=1 LANG=de_CH.UTF-8 BISO_RECOVER_LOCALEDIR='$T/locale' $(printf '%q ' "$BISO_RECOVER" --config "$CONF" wizard restore); sleep 600" ||
	fail "tmux new-session failed"
wait_for "Schritt 1 von 6" 60 "[german] the first step"
for n in "1 webroot" "2 config" "3 datadir" "4 database" "5 migrations" "6 verify"; do
	has "\] $n +x" || failscreen "[german] the step list does not show '$n'"
done
keys '?'
wait_for "(jede|andere) Taste: zurück" 5 "[german] the key line of ?"
echo "ok: [german] one kind of name in the step list; 'Taste: zurück' on the ? box"
echo "wizard-narrow: all checks passed"
