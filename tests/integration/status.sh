#!/bin/sh
# biso-recover status (issue 11): the newest run's state from its status
# file, written here by status-driver (statusfile_update(), as a runner
# writes it), in every state: no run (6), running (4), waiting for an
# answer (5), finished ok (0), finished with errors gone past (3), failed
# or aborted (1), a run whose process died or whose pid is another
# process's now (1, "the run's process died"), a garbled file (2, the file
# and line named).  --follow prints a line a second until the run ends and
# exits with the end's code.  No terminal: stdin is /dev/null, no setsid
# needed, and no lock file appears.  With LANG=de_CH.UTF-8 the labels,
# the state and the step's title are German.  Every line fits 80 columns.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
D=$top_builddir/tests/integration/status-driver
[ -x "$B" ] && [ -x "$D" ] || { echo "FAIL: $B or $D not built"; exit 1; }
T=$(mktemp -d /tmp/status-test.XXXXXX)
runner=
trap '[ -n "$runner" ] && kill $runner 2>/dev/null; rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
L=$T/log
F=$L/biso-recover-20261206_153000.status

# st WANT_RC WHAT [--follow]: run status; its output in $T/out, stderr $T/err
st() {
	want=$1 what=$2
	shift 2
	"$B" status --config /dev/null --log-dir "$L" "$@" </dev/null >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = "$want" ]; then ok "$what: exit $rc"; else fail "$what: exit $rc, expected $want"; cat "$T/out" "$T/err"; fi
	width=$(width "$T/out")
	[ "$width" -le 80 ] || { fail "$what: a line of $width columns, not 80"; cat "$T/out"; }
}
# width FILE: its widest line, leaving out a command to paste that names
# this test's directory (as long as the path)
width() { grep -vF "$T/" "$1" | LC_ALL=C.UTF-8 wc -L; }
has() { # has PATTERN WHAT: $T/out holds the line
	grep -q -- "$1" "$T/out" || { fail "$2: no '$1' in:"; cat "$T/out"; }
}

st 6 "no log directory"
has "^no run found: $L holds no status file" "no run"
mkdir -m 700 "$L"
st 6 "an empty log directory"

# a live runner: a process of ours with its real start time
sleep 1000 </dev/null >/dev/null 2>&1 &
runner=$!
common="run_id=20261206_153000 flow=restore pid=$runner start=auto nsteps=7"
"$D" "$F" $common state=running step=4 step_title=database step_state=running \
	done=1073741824 total=4294967296 rate=47185920 item=public.documents \
	"log=COPY public.documents: 10000 rows" || fail "driver"
st 4 "running"
has "^run 20261206_153000 (restore), pid $runner, started 20" "running"
has "^state: running, step 4/7 database (running)$" "running"
has "^progress: 1.0 GiB of 4.0 GiB (25%), 45.0 MiB/s$" "running"
has "^item: public.documents$" "running"
has "^last log line: COPY public.documents: 10000 rows$" "running"
# German (issue 15): the labels, the state and the step's title (the status
# file has its English msgid) in the operator's language; the last log
# line stays as the run log has it, English
if command -v msgfmt >/dev/null && locale -a | grep -qix 'de_CH.utf-\?8'; then
	mkdir -p "$T/locale/de/LC_MESSAGES"
	msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
	"$D" "$F" $common state=running step=4 "step_title=Restore the database" step_state=running \
		done=1073741824 total=4294967296 rate=47185920 item=public.documents \
		"log=COPY public.documents: 10000 rows" || fail "driver"
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 BISO_RECOVER_LOCALEDIR="$T/locale" \
		"$B" status --config /dev/null --log-dir "$L" </dev/null >"$T/out" 2>&1
	has "^Lauf 20261206_153000 (restore), PID $runner, gestartet 20" "German"
	has "^Zustand: läuft, Schritt 4/7 Datenbank wiederherstellen (läuft)$" "German"
	has "^Fortschritt: 1.0 GiB von 4.0 GiB (25%), 45.0 MiB/s$" "German"
	has "^Element: public.documents$" "German"
	has "^letzte Protokollzeile: COPY public.documents: 10000 rows$" "German"
	has "^aktualisiert: 20" "German"
else
	echo "skipped: German (no msgfmt or no de_CH.UTF-8 locale)"
fi
# (only in the log directory: /run/lock is shared with other runs' tests)
[ "$(find "$L" -name '*.lock' | wc -l)" = 0 ] || fail "status left a lock file in $L"

"$D" "$F" $common state=waiting step=5 step_title=migrations step_state=waiting \
	"question=Run the 3 pending migrations now? [y/N]" || fail "driver"
st 5 "waiting for an answer"
has "^state: waiting for an answer, at step 5/7 migrations$" "waiting"
has "^question: Run the 3 pending migrations now? \[y/N\]$" "waiting"
# how to answer it (newcomer 8.10: nothing said so)
has "^next: to answer it, start the same command again (it attaches to this run):$" "waiting: next"
has "^  biso-recover restore --config /dev/null --log-dir $L$" "waiting: the command, with the instance's options"
has "^  biso-recover --config /dev/null --log-dir $L$" "waiting: the wizard"

# the runner dies without a word: the file still says waiting
kill $runner
wait $runner 2>/dev/null
st 1 "a waiting run whose process died"
has "^state: the run's process died, at step 5/7 migrations$" "died"
has "pid $runner is gone;" "died"
# what to do next: the restore's --resume with the instance's options
# (absolute), on a line of its own (status named no command)
has "^next: to continue it where it stopped, run:$" "died: next"
has "^  biso-recover restore --resume --config /dev/null --log-dir $(realpath "$L")$" "died: the command"
# another flow has no --resume: its plan, run again from the first step
sed -i 's/^flow=restore$/flow=backup/' "$F"
st 1 "a backup whose process died"
has "^  biso-recover backup --dry-run --config /dev/null --log-dir $(realpath "$L")$" "died backup: the command"
! grep -q -- "--resume" "$T/out" || fail "died backup: offers --resume, which only the restore has"
# dead before its first step: one sentence, not "died, at before ..."
"$D" "$F" run_id=20261206_153000 flow=restore pid=$runner start=1000 nsteps=7 state=running \
	step=0 || fail "driver"
st 1 "a run whose process died before its first step"
has "^state: the run's process died before the first step$" "died before the first step"
# its pid given to another process: this shell, started at another time
"$D" "$F" run_id=20261206_153000 flow=restore pid=$$ start=1000 nsteps=7 state=running \
	step=2 step_title=config || fail "driver"
st 1 "a running run whose pid is another process's now"
has "^state: the run's process died, at step 2/7 config$" "pid reuse"
has "(the pid is another process's now)" "pid reuse"
# the same in German, within 80 columns too
if [ -f "$T/locale/de/LC_MESSAGES/biso-recover.mo" ]; then
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 BISO_RECOVER_LOCALEDIR="$T/locale" \
		"$B" status --config /dev/null --log-dir "$L" </dev/null >"$T/out" 2>&1
	has "^Zustand: der Prozess des Laufs ist abgestürzt, bei Schritt 2/7 config$" "German, died"
	width=$(width "$T/out")
	[ "$width" -le 80 ] || { fail "German, died: a line of $width columns, not 80"; cat "$T/out"; }
fi

for e in "0 0 done" "3 3 finished with errors gone past" "1 1 a step failed" \
	"130 1 aborted" "2 1 refused before it changed anything"; do
	set -- $e
	code=$1 want=$2
	shift 2
	"$D" "$F" $common state=finished step=7 exit=$code "log=finished (exit $code)" || fail "driver"
	st "$want" "finished with exit $code"
	has "^state: finished, exit $code ($*)$" "finished $code"
done

# a run aborted half way: the --only command its summary (in its run log)
# names, English as the log has it
"$D" "$F" $common state=finished step=4 exit=130 "log=finished (exit 130)" || fail "driver"
cmd="  biso-recover restore --only database,migrations,verify --config /etc/x.conf"
printf '%s\n' "2026-12-06 15:31:00.000 INFO  summary follows" \
	"2026-12-06 15:31:00.000 INFO  step         state        time  result" \
	"2026-12-06 15:31:00.000 INFO  not done: database, migrations, verify" \
	"2026-12-06 15:31:00.000 INFO  to finish them, run:" \
	"2026-12-06 15:31:00.000 INFO  $cmd" \
	"2026-12-06 15:31:00.000 INFO  finished (exit 130)" > "$L/biso-recover-20261206_153000.log"
st 1 "an aborted run"
has "^next, as the run's summary says:$" "aborted: next"
has "^  not done: database, migrations, verify$" "aborted: what 'them' is (newcomer 8.10)"
has "^  to finish them, run:$" "aborted: what the command does"
grep -qxF -- "$cmd" "$T/out" || { fail "aborted: no '$cmd' in:"; cat "$T/out"; }
# in German the summary's lines are German (newcomer 8.10: English lines
# under a German heading), the command as it is
if [ -f "$T/locale/de/LC_MESSAGES/biso-recover.mo" ]; then
	env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 BISO_RECOVER_LOCALEDIR="$T/locale" \
		"$B" status --config /dev/null --log-dir "$L" </dev/null >"$T/out" 2>&1
	has "^weiter, wie die Zusammenfassung des Laufs sagt:$" "German, aborted: next"
	has "^  nicht erledigt: database, migrations, verify$" "German, aborted: not done"
	has "^  um sie zu erledigen, ausführen:$" "German, aborted: what the command does"
	grep -qxF -- "$cmd" "$T/out" || { fail "German, aborted: no '$cmd' in:"; cat "$T/out"; }
	grep -q "to finish\|not done" "$T/out" && { fail "German, aborted: English lines:"; cat "$T/out"; }
fi
rm "$L/biso-recover-20261206_153000.log"

# a long last log line (a replay's statement) is cut to 80 columns with a
# mark; only a command may be wider
long="replaying COPY public.documents (id, title, body, created_at, updated_at, owner_id, folder_id, checksum) FROM stdin"
sleep 1000 </dev/null >/dev/null 2>&1 &
runner=$!
"$D" "$F" run_id=20261206_153000 flow=restore pid=$runner start=auto nsteps=7 state=running step=4 \
	step_title=database step_state=running "log=$long" || fail "driver"
st 4 "a long last log line"
has "^last log line: replaying COPY public.documents" "long line"
grep -q -e '…$' -e '\.\.\.$' "$T/out" || fail "long line: not marked as cut"
sed 's/…/./g' "$T/out" | awk 'length > 80 && !/^  biso-recover /' | grep -q . && { fail "lines wider than 80 columns:"; cat "$T/out"; }
kill $runner
wait $runner 2>/dev/null
runner=

# the newest run is the one reported
"$D" "$L/biso-recover-20261206_170000.status" run_id=20261206_170000 flow=restore \
	pid=$$ start=auto nsteps=7 state=running step=1 step_title=webroot || fail "driver"
st 4 "the newest of two runs"
has "^run 20261206_170000 (restore)" "newest"
rm "$L/biso-recover-20261206_170000.status"

# --follow on a run that ends: a line per write, the last one the end
sleep 1000 </dev/null >/dev/null 2>&1 &
runner=$!
common="run_id=20261206_153000 flow=restore pid=$runner start=auto nsteps=7"
"$D" "$F" $common state=running step=4 step_title=database step_state=running \
	done=10 total=100 || fail "driver"
"$B" status --config /dev/null --log-dir "$L" --follow </dev/null >"$T/follow" 2>&1 &
follower=$!
n=0
while ! grep -q "step 4/7 database running" "$T/follow" && [ $n -lt 600 ]; do
	sleep 0.1; n=$((n + 1))
done
"$D" "$F" $common state=finished step=7 exit=0 || fail "driver"
wait $follower
rc=$?
[ $rc = 0 ] && ok "--follow exits 0 when the run finishes" || fail "--follow exit $rc"
grep -q "^[0-9:]* step 4/7 database running, 10 B of 100 B (10%)$" "$T/follow" &&
	tail -n 1 "$T/follow" | grep -q "^[0-9:]* finished, exit 0 (done)$" &&
	ok "--follow: the running line, then the end" || { fail "--follow output:"; cat "$T/follow"; }
kill $runner
wait $runner 2>/dev/null
runner=

# a garbled status file: named with its line, exit 2
printf 'biso-recover-status 1\nrun_id=x\npid=12x\n' >"$F"
st 2 "a garbled status file"
grep -q "$F:3: the status file $F has a bad value for pid" "$T/err" ||
	{ fail "garbled: stderr:"; cat "$T/err"; }

# newcomer 8.19: status removes the sockets killed runners left (here in
# <log_dir>/run), never a live runner's; python3 makes them as a runner
# does and ages them 2 minutes (a younger one may be a runner starting)
if command -v python3 >/dev/null 2>&1; then
	mkdir -p "$L/run"
	chmod 700 "$L/run"
	python3 - "$L/run" > "$T/live.pid" <<'EOF' &
import os, socket, sys, time
d = sys.argv[1]
def sock(name, live):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    p = os.path.join(d, name)
    s.bind(p)
    if live:
        s.listen(8)
    else:
        s.close()
    t = time.time() - 120
    os.utime(p, (t, t), follow_symlinks=False)
    return s
sock("20261206_150000-6a44759b.sock", False)
live = sock("20261206_150001-6a44759b.sock", True)
print(os.getpid(), flush=True)
time.sleep(60)
EOF
	live=$!
	for _ in $(seq 100); do [ -s "$T/live.pid" ] && break; sleep 0.1; done
	"$B" status --config /dev/null --log-dir "$L" </dev/null >"$T/out" 2>&1
	if [ ! -e "$L/run/20261206_150000-6a44759b.sock" ] && [ -S "$L/run/20261206_150001-6a44759b.sock" ]; then
		ok "status removes a killed runner's socket and keeps a live one's"
	else
		fail "status: the dead socket $( [ -e "$L/run/20261206_150000-6a44759b.sock" ] && echo stays || echo went), the live one $( [ -S "$L/run/20261206_150001-6a44759b.sock" ] && echo stays || echo went)"
	fi
	kill $live 2>/dev/null
	wait $live 2>/dev/null
fi

[ $fails = 0 ] || exit 1
