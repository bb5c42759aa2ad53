#!/bin/bash
# wizard-damaged.sh: the newest backup's dump fails its manifest's
# checksum (a byte of its gzip header flipped: the gzip stream still reads,
# only SHA256SUMS tells).  The restore wizard opens anyway, as for a cut
# dump: its first screen names the damaged backup and the newest complete
# dump, the database step is blocked, the backup list (o) marks the damaged
# dump DAMAGED, and the older dump chosen there is restored.  Line mode
# still refuses (exit 2), naming the damage.  On the demo instance in an
# 80x24 tmux pane, TERM=vt100 NO_COLOR=1.
# Skips (77) without tmux, php, rsync, a PostgreSQL server or root.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
. "$top_srcdir/tests/lib/tmux.sh" # cap, shows, failscreen, wait_for, keys, type_text
tmux_demo_setup wizdmg # CONF, TMUX_CMD; both gone on exit
BK=$(dirname "$(dirname "$DEMO_DUMP")")

# a backup with a manifest, then a byte of its dump's gzip header (the
# mtime, which gunzip does not check) flipped; a second after the demo's
# dump, which is named by its second as the backup's id is
sleep 1
"$BISO_RECOVER" backup --config "$CONF" > "$T/backup.log" 2>&1 || { cat "$T/backup.log"; fail "the backup failed"; }
newest=$(ls "$BK/manifest" | tail -n 1)
dump="$BK/db/biso_$newest.sql.gz"
[ -f "$dump" ] || fail "the backup wrote no $dump"
b=$(od -An -tu1 -j5 -N1 "$dump" | tr -d ' ')
printf "$(printf '\\%03o' $((255 - b)))" | dd of="$dump" bs=1 seek=5 conv=notrunc status=none
gunzip -t "$dump" || fail "the flipped header byte broke the gzip stream: the test proves less than it says"
older=$(basename "$DEMO_DUMP")
[ "$older" != "biso_$newest.sql.gz" ] || fail "the demo's dump is the new backup's"

# ---- line mode: still refused --------------------------------------------
set +e
"$BISO_RECOVER" restore --yes --config "$CONF" > "$T/line.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$T/line.out"; fail "[line] exit $rc, expected 2"; }
grep -q "backup $newest is damaged: db/biso_$newest.sql.gz: checksum mismatch" "$T/line.out" ||
	{ cat "$T/line.out"; fail "[line] the refusal does not name the damaged dump"; }
echo "ok: [line] restore --yes refuses the damaged backup, exit 2"

# ---- the wizard ----------------------------------------------------------
$TMUX_CMD new-session -d -s wiz -x 80 -y 24 \
	"env TERM=vt100 NO_COLOR=1 LANG=C.UTF-8 LC_ALL= '$BISO_RECOVER' --config '$CONF' wizard restore; echo \$? >'$T/exit'; sleep 600" ||
	fail "tmux new-session failed"
wait_for "Step 1 of 6|Refused before the first step" 120 "the wizard's first step"
shows "Refused before the first step" && failscreen "the wizard refused the damaged backup instead of opening"
# the first screen's notice: the damage and the newest complete dump (the
# dialog's text columns, 72 centred on 80, its lines joined with spaces)
sleep 1
cap
notice=$(printf '%s\n' "$last_screen" | cut -c7-74 | tr '\n' ' ' | tr -s ' ')
grep -Fq "backup $newest is damaged: db/biso_$newest.sql.gz: checksum mismatch" <<<"$notice" ||
	failscreen "the first screen does not name the damaged backup"
grep -Eq "The newest complete dump is [^ ]*$older" <<<"$notice" ||
	failscreen "the first screen does not name the newest complete dump"
keys x
for n in 1 2 3; do
	wait_for "Step $n of 6" 30 "step $n"
	wait_for "Enter run this step" 10 "the prompt of step $n"
	keys s
done
wait_for "Step 4 of 6" 30 "the database step"
wait_for "Enter or o: choose another dump" 10 "the blocked database step"
keys o
wait_for "Backup for step database" 10 "the backup list"
shows "DAMAGED +biso_$newest\\.sql\\.gz" || failscreen "the list does not mark the damaged dump DAMAGED"
# the cursor starts on the newest usable dump
keys Enter
wait_for "Enter run this step" 120 "the step with the older dump"
shows "Enter or o: choose another dump" && failscreen "the step is still blocked after choosing $older"
grep -q "step database: the operator chose $DEMO_DUMP" "$(ls -t "$S"/log/biso-recover-*.log | head -n 1)" ||
	fail "the run log does not record the chosen dump"
keys Enter
wait_for "Type biso to continue" 10 "the database's confirmation"
type_text biso
keys Enter
wait_for "Step 5 of 6" 300 "the migrations step after the database"
wait_for "Enter run this step" 30 "the prompt of step 5"
keys q
wait_for "Quit the wizard\\?" 10 "the quit question"
keys y
wait_for "Restore ABORTED" 60 "the summary"
shows "database +done" || failscreen "the summary does not say the database step is done"
keys q
n=50
while [ ! -s "$T/exit" ] && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
[ "$(cat "$T/exit" 2>/dev/null)" = 130 ] || failscreen "exit $(cat "$T/exit" 2>/dev/null), expected 130"
echo "ok: [wizard] the damaged dump named, marked DAMAGED in the list; the older one chosen and restored"
