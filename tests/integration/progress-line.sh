#!/bin/bash
# Line mode's progress on a 80x24 vt100 terminal (script(1) gives one): no
# line drawn wider than 79 columns, and an error after a progress line
# starts on a line of its own (it began in the middle of the progress line).
# Without a terminal (a pipe, cron) no carriage return at all.  The source
# is a cut archive: files-restore draws its first progress line, then fails.
set -euo pipefail
top_builddir=$(cd "${top_builddir:-.}" && pwd)
B=${BISO_RECOVER:-$top_builddir/biso-recover}
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "SKIP: script(1) not installed"; exit 77; }
[ -x "$B" ] || fail "$B not built"
T=$(mktemp -d /tmp/progress-line.XXXXXX)
trap 'rm -rf "$T"' EXIT

L=$T/src/Beratungsfaelle-2024-mit-einem-sehr-langen-Ordnernamen/und-einem-zweiten-langen-Unterordner
mkdir -p "$L"
head -c 6000000 /dev/urandom > "$L/anhang-1.pdf"
head -c 6000000 /dev/urandom > "$L/anhang-2.pdf"
tar czf "$T/full.tgz" -C "$T" src
head -c 9000000 "$T/full.tgz" > "$T/cut.tgz"

run="$(printf '%q ' "$B" files-restore "$T/cut.tgz" "$T/dst")"
rc=0
TERM=vt100 NO_COLOR=1 script -qec "stty cols 80 rows 24; $run" /dev/null > "$T/tty" 2>&1 < /dev/null || rc=$?
# the error is on a row of its own: the bytes before it end a row (\n) or
# clear it (\r ESC[K)
err=$(grep -o $'.\\{0,4\\}biso-recover: ' "$T/tty" | head -1)
case "$err" in
"biso-recover: "|*$'\n'"biso-recover: "|*$'\r\e[K'"biso-recover: ") echo "ok: the error starts a row" ;;
*) cat -A "$T/tty"; fail "the error starts in the middle of the progress line" ;;
esac
# the progress lines: each drawn as \r ESC[K TEXT (an error after one
# starts so too: not counted)
prog=$(perl -0777 -ne 's/\r\n/\n/g; print "$1\n" while /\r\e\[K([^\r\n]+)/g' "$T/tty" |
	grep -v '^biso-recover: ' || true)
[ -n "$prog" ] || { cat -A "$T/tty"; fail "no progress line was drawn on the terminal"; }
long=$(printf '%s\n' "$prog" | awk 'length($0) > 79')
[ -z "$long" ] || { cat -A "$T/tty"; fail "progress lines wider than 79 columns: $long"; }
echo "ok: $(printf '%s\n' "$prog" | wc -l) progress line(s), each fits 79 columns"
[ "$rc" != 0 ] || fail "a cut archive restored (exit 0)"

# without a terminal: progress as whole lines, no carriage return
rc=0
"$B" files-restore "$T/cut.tgz" "$T/dst2" > "$T/pipe" 2>&1 < /dev/null || rc=$?
[ "$rc" != 0 ] || fail "a cut archive restored (exit 0, no terminal)"
if grep -q $'\r' "$T/pipe"; then cat -A "$T/pipe"; fail "a carriage return without a terminal"; fi
grep -q "biso-recover: " "$T/pipe" || { cat "$T/pipe"; fail "no error without a terminal"; }
echo "ok: no carriage return without a terminal"
