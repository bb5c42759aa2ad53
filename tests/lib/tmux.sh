# tests/lib/tmux.sh: a program in a tmux session, driven with send-keys and
# read with capture-pane, for the wizard tests (sourced; POSIX sh).
#
# The sourcing script sets TMUX_CMD ("tmux -L SOCKET -f /dev/null": a server
# of its own) and defines fail WHY; TMUX_TARGET is the session (default wiz),
# TMUX_CAPTURE further capture-pane options (default none, e.g. "-J -S -3000").
#   cap                          read the screen into $last_screen
#   shows REGEX                  $last_screen matches (grep -E)
#   shows_text TEXT              $last_screen holds TEXT (grep -F)
#   failscreen WHY               print the last screen, then fail WHY
#   wait_for REGEX SECONDS WHAT  read the screen until it matches, else
#                                failscreen "after SECONDS s the screen does
#                                not show WHAT (/REGEX/)"
#   keys KEY...                  send-keys to the session
#   type_text TEXT               send TEXT as it is (send-keys -l)
#   screen SESSION               print SESSION's screen
# For the tests with several clients of one run (sessions a to d), whose
# status files are in $LOG:
#   status_file                  the newest status file, or nothing
#   wait_status REGEX [SECONDS]  until the newest status file matches
#                                (grep -E, its lines joined; default 300 s),
#                                else print it and the screens, and fail

. "$top_srcdir/tests/lib/match.sh" # text_has

# tmux_demo_setup NAME: for a wizard test on the demo instance (after
# tests/lib/demo-test.sh): skip without tmux, demo_test_setup NAME, set
# CONF to its configuration and TMUX_CMD to a tmux server of this test's
# own; on exit the server is killed and the demo cleaned up.
tmux_demo_setup() {
	command -v tmux >/dev/null 2>&1 || skip "tmux is not installed"
	demo_test_setup "$1" "chown of the datadir to www-data, runuser postgres"
	CONF=$DEMO_CONFIG
	TMUX_CMD="tmux -L biso-$1-$$ -f /dev/null"
	trap '$TMUX_CMD kill-server >/dev/null 2>&1; demo_test_cleanup' EXIT
}

last_screen=""

cap() { last_screen=$($TMUX_CMD capture-pane -p ${TMUX_CAPTURE:-} -t "${TMUX_TARGET:-wiz}" 2>/dev/null || true); }
shows() { text_has "$last_screen" -E -- "$1"; }
shows_text() { text_has "$last_screen" -F -- "$1"; }

# The screen is printed here once: a fail() that prints $last_screen itself
# finds it empty.
failscreen() {
	printf -- '--- last screen ---\n%s\n-------------------\n' "$last_screen"
	last_screen=""
	fail "$*"
}

wait_for() {
	_tmux_n=$(( $2 * 5 ))
	while [ "$_tmux_n" -gt 0 ]; do
		cap
		shows "$1" && return 0
		sleep 0.2
		_tmux_n=$((_tmux_n - 1))
	done
	failscreen "after $2 s the screen does not show $3 (/$1/)"
}

keys() { $TMUX_CMD send-keys -t "${TMUX_TARGET:-wiz}" "$@"; }
type_text() { $TMUX_CMD send-keys -t "${TMUX_TARGET:-wiz}" -l "$1"; }
screen() { $TMUX_CMD capture-pane -p ${TMUX_CAPTURE:-} -t "$1" 2>/dev/null || true; }

status_file() { ls -t "$LOG"/biso-recover-*.status 2>/dev/null | head -1 || true; }
wait_status() {
	_tmux_n=$((${2:-300} * 10))
	while [ "$_tmux_n" -gt 0 ]; do
		_tmux_f=$(status_file)
		[ -n "$_tmux_f" ] && text_has "$(tr '\n' ' ' < "$_tmux_f")" -E -- "$1" && return 0
		sleep 0.1
		_tmux_n=$((_tmux_n - 1))
	done
	[ -n "$(status_file)" ] && cat "$(status_file)"
	for _tmux_s in a b c d; do screen $_tmux_s; done
	fail "the status file never matched: $1"
}
