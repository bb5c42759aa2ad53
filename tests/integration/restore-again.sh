#!/bin/bash
# restore-again: `restore` started again after the first restore had
# already finished (the connection dropped near its end: there is no live
# run to attach to) does not start a second full restore over the first
# one's result without a word (review 10, finding 2): the second would keep
# the first one's result as its pre-restore copy, and rollback would no
# longer reach what was there before the first.
#   1. restore --yes: done (exit 0).
#   2. restore --dry-run: the plan mentions the first run, exit 0.
#   3. restore --yes again: refused with exit 7, naming the first run, its
#      end, exit code, log and `biso-recover status`, and --again; nothing
#      started (no second pre-restore copy, no new run in the journal).
#   4. without --yes on a terminal: asked, the default no: exit 7.
#   5. --again: the second restore runs (exit 0), a second copy is kept.
#   5b. a backup after it does not end the question: restore --yes is
#      refused (exit 7) and names the restore of 5, not the backup.
#   6. --only migrations,verify keeps nothing: not asked (exit 0).
#   7. nor does it end the question: restore --yes after it is refused
#      (exit 7) and names the restore of 5.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup again "chown of the datadir to www-data, runuser postgres"
C=$S/biso-recover.conf
CONF=$(realpath -m "$C")
WEB=$(dirname "$DEMO_WEBROOT")
copies() { ls -d "$WEB"/webroot.pre-restore-* 2>/dev/null | wc -l; }

# 1.
"$BISO_RECOVER" restore --yes --config "$C" > "$T/r1.log" 2>&1 || { cat "$T/r1.log"; fail "the first restore failed"; }
first=$(ls "$S/log" | sed -n 's/^biso-recover-\([0-9_]*\)\.status$/\1/p' | sort | tail -1)
[ -n "$first" ] && [ "$(copies)" = 1 ] || { ls "$S/log" "$WEB"; fail "the first restore left no status file or no kept webroot"; }
journal_before=$(cat "$S/log/journal")
echo "ok: the first restore ($first) finished"

# 2.
"$BISO_RECOVER" restore --dry-run --config "$C" > "$T/r2.log" 2>&1 || { cat "$T/r2.log"; fail "the dry run after it failed"; }
grep -q "the restore of $first finished at .* (exit 0), less than an hour ago" "$T/r2.log" &&
	grep -q "with --yes it is refused unless --again is given" "$T/r2.log" ||
	{ cat "$T/r2.log"; fail "the dry run does not mention the restore that just finished"; }
echo "ok: the dry run mentions it"

# 3.
set +e
"$BISO_RECOVER" restore --yes --config "$C" > "$T/r3.log" 2>&1
rc=$?
set -e
[ $rc = 7 ] || { cat "$T/r3.log"; fail "restore --yes again: exit $rc, expected 7"; }
for want in "the restore of $first finished at " "(exit 0), less than an hour ago" \
	"its log: $S/log/biso-recover-$first.log" "its summary: biso-recover status --config $CONF" \
	"'biso-recover rollback' would then no longer reach" "restore not started (exit 7): to start it again anyway, give --again"; do
	grep -qF -- "$want" <(tr '\n' ' ' < "$T/r3.log" | tr -s ' ') ||
		{ cat "$T/r3.log"; fail "restore --yes again does not say: $want"; }
done
[ "$(copies)" = 1 ] || { ls "$WEB"; fail "the refused restore kept a second copy"; }
[ "$(cat "$S/log/journal")" = "$journal_before" ] || fail "the refused restore wrote to the journal"
echo "ok: restore --yes again is refused (exit 7), names the first run and --again"

# 4.
if command -v script >/dev/null 2>&1; then
	set +e
	printf 'no\n' | script -qec "'$BISO_RECOVER' restore --config '$C'" /dev/null > "$T/r4.log" 2>&1
	rc=$?
	set -e
	[ $rc = 7 ] && grep -q "Start the restore again anyway? Type yes" "$T/r4.log" ||
		{ cat "$T/r4.log"; fail "restore on a terminal: exit $rc, expected the question and 7"; }
	[ "$(copies)" = 1 ] || fail "the restore answered no kept a second copy"
	echo "ok: on a terminal it asks, the default no (exit 7)"
fi

# 5.
"$BISO_RECOVER" restore --yes --again --config "$C" > "$T/r5.log" 2>&1 || { cat "$T/r5.log"; fail "restore --yes --again failed"; }
[ "$(copies)" = 2 ] || { ls "$WEB"; fail "restore --again kept no second copy"; }
echo "ok: --again restores again"
second=$(ls "$S/log" | sed -n 's/^biso-recover-\([0-9_]*\)\.status$/\1/p' | sort | tail -1)

# 5b.
sleep 1 # the backup's id is its second
"$BISO_RECOVER" backup --config "$C" > "$T/b.log" 2>&1 || { cat "$T/b.log"; fail "the backup after the restore failed"; }
set +e
"$BISO_RECOVER" restore --yes --config "$C" > "$T/r5b.log" 2>&1
rc=$?
set -e
[ $rc = 7 ] && grep -q "the restore of $second finished at " "$T/r5b.log" ||
	{ cat "$T/r5b.log"; fail "restore --yes after a restore and a backup: exit $rc, expected 7 naming the restore $second"; }
[ "$(copies)" = 2 ] || { ls "$WEB"; fail "the refused restore after the backup kept a third copy"; }
echo "ok: a backup after the restore does not end the question"

# 6.
"$BISO_RECOVER" restore --yes --only migrations,verify --config "$C" > "$T/r6.log" 2>&1 ||
	{ cat "$T/r6.log"; fail "restore --only migrations,verify after a restore was refused"; }
! grep -q "less than an hour ago" "$T/r6.log" || { cat "$T/r6.log"; fail "steps that keep nothing were asked about"; }
echo "ok: steps that keep nothing are not asked about"

# 7.
set +e
"$BISO_RECOVER" restore --yes --config "$C" > "$T/r7.log" 2>&1
rc=$?
set -e
[ $rc = 7 ] && grep -q "the restore of $second finished at " "$T/r7.log" ||
	{ cat "$T/r7.log"; fail "restore --yes after a restore and a run that kept nothing: exit $rc, expected 7 naming the restore $second"; }
echo "ok: a run that kept nothing after the restore does not end the question"
