#!/bin/bash
# A backup root the backup cannot write into (a read-only mount, chattr +i)
# is refused by the preflight, before maintenance mode goes on: the dry run
# says the plan would fail (exit 1, as the real run), the real run is
# refused with "nothing was touched", names the directory and why, and its
# hint says what to do.  Before, the dry run printed the whole plan (exit
# 0) and the real run switched production into maintenance mode, then
# failed at the dump ("cannot create .../db/....partial: Read-only file
# system").  A root that is writable but whose db/ is not is refused too.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BISO_RECOVER=${BISO_RECOVER:-$top_srcdir/build/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup backup-readonly "a read-only mount or chattr +i, chown of the datadir"

RO=$T/ro
mkdir -p "$RO" "$T/log"
trap 'ro_dir_undo "$RO"; chattr -i "$DEMO_BACKUP_ROOT/db" 2>/dev/null; demo_test_cleanup' EXIT
ro_dir "$RO"
touch "$RO/x" 2>/dev/null && fail "$RO can be written: the test proves nothing"

applog=$DEMO_DATADIR/biso.log
backup() { "$BISO_RECOVER" backup --config "$S/biso-recover.conf" --log-dir "$T/log" "$@"; }
ons() { grep -c "INFO maintenance mode on" "$applog" || true; }
maint=$DEMO_DATADIR/maintenance.on

# refused ROOT DIR WHY: the dry run and the real run into ROOT are refused
# before the first step, naming DIR and WHY
refused() {
	local root=$1 dir=$2 why=$3 rc on0
	set +e
	backup --backup-root "$root" --dry-run > "$T/plan.out" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] || { cat "$T/plan.out"; fail "the dry run into $root exited $rc, not 1"; }
	grep -q "the plan would fail: the backup cannot write into $dir: $why" "$T/plan.out" ||
		{ cat "$T/plan.out"; fail "the dry run does not say that $dir cannot be written ($why)"; }
	grep -q "HINT: Give --backup-root DIR on a disk that can be written, or fix the mount (read-only?) or the permissions of $dir\." "$T/plan.out" ||
		{ cat "$T/plan.out"; fail "the dry run's hint does not say what to do"; }
	! grep -q "^Backup plan" "$T/plan.out" || { cat "$T/plan.out"; fail "the dry run printed a plan"; }
	on0=$(ons)
	set +e
	backup --backup-root "$root" > "$T/run.out" 2>&1
	rc=$?
	set -e
	[ $rc = 1 ] || { cat "$T/run.out"; fail "the backup into $root exited $rc, not 1"; }
	grep -q "nothing was touched: the backup cannot write into $dir: $why" "$T/run.out" ||
		{ cat "$T/run.out"; fail "the backup was not refused before its first step"; }
	! grep -q "step maintenance-on" "$T/run.out" || { cat "$T/run.out"; fail "the backup ran maintenance-on"; }
	[ "$(ons)" = "$on0" ] || fail "maintenance mode went on for a backup into $root"
	[ ! -e "$maint" ] || fail "$maint is there"
	! grep -q "run it again" "$T/run.out" || { cat "$T/run.out"; fail "the refusal says to run it again"; }
}

# 1. The backup root itself cannot be written (it has no db/ yet)
refused "$RO" "$RO" "$why"
echo "ok: a read-only backup root: dry run and backup refused before maintenance-on"

# 2. The root can be written, its db/ not (chattr +i): named too
if chattr +i "$DEMO_BACKUP_ROOT/db" 2>/dev/null; then
	refused "$DEMO_BACKUP_ROOT" "$DEMO_BACKUP_ROOT/db" "Operation not permitted"
	chattr -i "$DEMO_BACKUP_ROOT/db"
	echo "ok: a backup root whose db/ is immutable: refused before maintenance-on"
else
	echo "chattr +i does not work here: the db/ case is not checked"
fi

# 3. Writable again: the probe leaves nothing behind, the backup is taken
backup --backup-root "$DEMO_BACKUP_ROOT" > "$T/ok.out" 2>&1 || { cat "$T/ok.out"; fail "the backup into a writable root failed"; }
! find "$DEMO_BACKUP_ROOT" -name '.biso-recover-probe-*' | grep -q . || fail "a probe file was left"
echo "ok: a writable root: backed up, no probe file left"
