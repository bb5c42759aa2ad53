#!/bin/bash
# rollback: after a finished `restore --yes` of the demo instance,
# `rollback --yes` puts back the webroot, the datadir and the database the
# restore replaced: each is again what it was before the restore
# (rsync -ani --checksum of the whole webroot with its datadir and
# config.php; pg_dump compared), and what the restore had put in place is
# kept as *.pre-rollback-*, though the nightly backup ran after the
# restore (rollback skips runs of other flows in the journal), a
# restore refused before it replaced anything (a cut dump, exit 2: no
# restore to roll back, nor an earlier run of the next one) and a
# `restore --only verify`, which replaces nothing either.  A second
# rollback undoes the first: the restored instance is live again.  Each
# rollback is the command the summary before offers, pasted as it is (with
# the --config of the run).  A restore split over two runs (the first
# killed at the database step, `restore --only database,migrations,verify`
# after it) is rolled back whole.  With the datadir inside the webroot and
# kept apart from the kept webroot, the rollback swaps both, the webroot
# first, and each lands in the right tree.  With the datadir kept inside
# the kept webroot gone, it is refused.
set -euo pipefail
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
BISO_RECOVER=${BISO_RECOVER:-$top_builddir/biso-recover}

. "$top_srcdir/tests/lib/demo-test.sh"
demo_test_setup rb "chown of the datadir to www-data, runuser postgres"
W=$DEMO_WEBROOT
P=$(dirname "$W")
B=$DEMO_BACKUP_ROOT

dump_db() {
	pg_dump --no-owner --no-privileges -d "$1" | grep -v '^\\\(un\)\?restrict ' |
		awk -F '\t' '/^COPY public.migrations /{m=1; print; next} /^\\\.$/{m=0} m{print $1; next} {print}'
}
# same_tree SRC DST [rsync options]: DST holds exactly SRC (type, content,
# mode, owner, mtime); the root's own times do not count (renames in it)
same_tree() {
	local out
	[ -d "$2" ] || { echo "$2 is missing" >&2; return 1; }
	out=$(rsync -ani --checksum --delete "${@:3}" "$1/" "$2/" 2>&1 |
		grep -v '^\.d\.\.t\.\.\.\.\.\. \./$' || true)
	[ -z "$out" ] || { echo "$out" | head -10 >&2; return 1; }
}
run() { # LOG COMMAND [OPTIONS]
	local log=$1
	shift
	set +e
	# (a restore: --again, they follow each other on purpose; restore-again.sh
	# tests the question)
	if [ "$1" = restore ]; then set -- "$@" --again; fi
	("$BISO_RECOVER" "$@" --config "$DEMO_CONFIG"; exit $?) < /dev/null > "$log" 2>&1
	rc=$?
	set -e
}
# pasted LOG FROM TEXT: run, with --yes, the command FROM offers on the
# line after "TEXT, run:" ("  biso-recover ..."), as an operator pastes it
# (no --config added) in another directory than FROM's run was started in
pasted() {
	local log=$1 cmd
	cmd=$(sed -n "/$3, run:\$/{n;s/^  biso-recover //p}" "$2")
	[ -n "$cmd" ] || { cat "$2"; fail "$2 offers no '$3, run:' and a command on the next line"; }
	read -ra cmd <<< "$cmd"
	set +e
	(cd / && "$BISO_RECOVER" "${cmd[@]}" --yes; exit $?) < /dev/null > "$log" 2>&1
	rc=$?
	set -e
}

# The instance before: marked, so that old and restored differ in each part.
echo old > "$W/OLD_MARKER"
echo old > "$W/data/OLD_MARKER"
chown www-data:www-data "$W/data/OLD_MARKER"
psql -qX -U biso -d biso -c "CREATE TABLE old_marker (x int)"
cp -a "$W" "$T/before"
dump_db biso > "$T/before.sql"

# Without a terminal (setsid: none to open) a wrong --only is named, not
# the missing terminal: the options are checked first (rollback: the line
# mode's cli_run_flow(); restore: the detached start).
for cmd in rollback restore; do
	set +e
	setsid -w "$BISO_RECOVER" $cmd --only bogus --config "$DEMO_CONFIG" < /dev/null > "$T/bogus.log" 2>&1
	rc=$?
	set -e
	[ $rc = 2 ] && grep -q 'unknown step "bogus"' "$T/bogus.log" && ! grep -q "no terminal" "$T/bogus.log" ||
		{ cat "$T/bogus.log"; fail "$cmd --only bogus without a terminal: exit $rc, not the unknown step"; }
done
echo "ok: without a terminal, --only bogus is named as an unknown step"

# Nothing restored yet: nothing to roll back, nothing touched.
run "$T/none.log" rollback --yes
[ $rc = 2 ] && grep -q "no restore to roll back" "$T/none.log" ||
	{ cat "$T/none.log"; fail "rollback without a restore: exit $rc"; }
echo "ok: a rollback with no restore in the journal is refused"

# started with a relative --config: the command it offers names the
# absolute path (pasted in another directory it read another file)
set +e
(cd "$(dirname "$DEMO_CONFIG")" && "$BISO_RECOVER" restore --yes --config "./$(basename "$DEMO_CONFIG")"; exit $?) \
	< /dev/null > "$T/restore.log" 2>&1
rc=$?
set -e
[ $rc = 0 ] || { cat "$T/restore.log"; fail "the restore exited $rc"; }
grep -qx "  biso-recover rollback --config $(realpath "$DEMO_CONFIG")" "$T/restore.log" ||
	{ cat "$T/restore.log"; fail "the restore's summary does not offer the rollback with its absolute --config on a line of its own"; }

# The nightly backup runs after the restore (it logs into the datadir):
# the restore is still the one to roll back.
run "$T/backup.log" backup
[ $rc = 0 ] || { cat "$T/backup.log"; fail "the backup after the restore exited $rc"; }
cp -a "$W" "$T/restored"
dump_db biso > "$T/restored.sql"
[ "$(cat "$T/restored.sql")" != "$(cat "$T/before.sql")" ] || fail "the restore changed nothing in the database"
good=$(ls -d "$P"/webroot.pre-restore-* | sed 's/.*pre-restore-//')

# A restore refused before anything was replaced (a cut dump: exit 2) is no
# restore to roll back: the plan and the rollback below (the command the
# good restore offered) undo the good restore.  Before, the refused run was
# "the newest restore": "replaced nothing that can be put back", and the
# good restore's kept copies were left to put back by hand (review 10,
# finding 1).
zcat "$(ls -t "$B"/db/*.sql.gz | head -n 1)" > "$T/whole.sql"
head -c $(($(stat -c %s "$T/whole.sql") / 2)) "$T/whole.sql" | gzip > "$T/cut.sql.gz"
sleep 1
run "$T/cut.log" restore --yes --dump "$T/cut.sql.gz"
[ $rc = 2 ] && grep -q "refused before anything was replaced" "$T/cut.log" ||
	{ cat "$T/cut.log"; fail "the restore with a cut dump was not refused before anything was replaced (exit $rc)"; }
same_tree "$T/restored" "$W" && [ "$(dump_db biso)" = "$(cat "$T/restored.sql")" ] ||
	fail "the refused restore with a cut dump changed the instance"
# Nor is a verification run after it (restore --only verify): it replaced
# nothing.  Before, it was "the newest restore" too, with nothing to put
# back.
sleep 1
run "$T/verify.log" restore --yes --only verify
[ $rc = 0 ] || { cat "$T/verify.log"; fail "restore --only verify after the restore exited $rc"; }

# The plan names the run and what goes back; it touches nothing.
run "$T/plan.log" rollback --dry-run
[ $rc = 0 ] && grep -q "puts back what the restore of [0-9-]* [0-9:]* (run $good) replaced" "$T/plan.log" &&
	! grep -q "not put back\|earlier run" "$T/plan.log" ||
	{ cat "$T/plan.log"; fail "rollback --dry-run after a refused restore and a verification run: exit $rc, not the plan of the restore $good alone"; }
same_tree "$T/restored" "$W" || fail "rollback --dry-run changed the webroot"

sleep 1 # the rollback's kept names carry the second
pasted "$T/rollback.log" "$T/restore.log" "to put back what this restore replaced"
[ $rc = 0 ] || { cat "$T/rollback.log"; fail "rollback --yes exited $rc"; }
same_tree "$T/before" "$W" || { cat "$T/rollback.log"; fail "after the rollback the webroot (with its datadir and config.php) is not what it was before the restore"; }
[ "$(dump_db biso)" = "$(cat "$T/before.sql")" ] || fail "after the rollback the database is not what it was before the restore (pg_dump differs)"
k=$(ls -d "$P"/webroot.pre-rollback-*)
same_tree "$T/restored" "$k" --exclude /data || fail "the restored webroot is not kept as $k"
same_tree "$T/restored/data" "$k/data" --no-perms || fail "the restored datadir is not kept in $k"
[ "$(stat -c %a "$k/data")" = 700 ] || fail "the kept datadir $k/data is mode $(stat -c %a "$k/data"), not 0700"
kdb=$(psql -AtXc "SELECT datname FROM pg_database WHERE datname LIKE 'biso\\_pre\\_rollback\\_%'")
[ -n "$kdb" ] && [ "$(dump_db "$kdb")" = "$(cat "$T/restored.sql")" ] || fail "the restored database is not kept as biso_pre_rollback_*"
[ "$(psql -AtXc "SELECT count(*) FROM pg_database WHERE datname LIKE 'biso\\_pre\\_restore\\_%'")" = 0 ] ||
	fail "the restore's kept database is still there beside the live one"
sed -n '/^Summary:/,$p' "$T/rollback.log"
# cleanup lists the rollback's kept copies as it lists a restore's
run "$T/cleanup.log" cleanup --dry-run
[ $rc = 0 ] && grep -qF "$k" "$T/cleanup.log" && grep -qF "$kdb" "$T/cleanup.log" ||
	{ cat "$T/cleanup.log"; fail "cleanup --dry-run does not list the rollback's kept copies $k and $kdb"; }
echo "ok: rollback puts back the webroot, datadir and database of before the restore, though a restore refused after it (a cut dump) came later; the restored ones are kept ($k, $kdb)"

# A second rollback undoes the first.
sleep 1
pasted "$T/undo.log" "$T/rollback.log" "to undo this rollback"
[ $rc = 0 ] || { cat "$T/undo.log"; fail "the rollback of the rollback exited $rc"; }
grep -q "rolling back the rollback of" "$T/undo.log" || { cat "$T/undo.log"; fail "the second rollback does not say it undoes the first"; }
same_tree "$T/restored" "$W" || fail "after undoing the rollback the webroot is not the restored one"
[ "$(dump_db biso)" = "$(cat "$T/restored.sql")" ] || fail "after undoing the rollback the database is not the restored one"
echo "ok: a second rollback undoes the first"

# The optional log database (log_database in the configuration): a restore
# that replaced it kept it as <logdb>_pre_restore_<time> beside the main
# database's copy; the rollback puts both back (pg_dump compared with what
# they were before the restore) and keeps what the restore had put in place
# as <logdb>_pre_rollback_<time>.
psql -qX -c "CREATE DATABASE biso_log OWNER biso"
psql -qX -U biso -d biso_log -c "CREATE TABLE audit (id int PRIMARY KEY, what text)" \
	-c "INSERT INTO audit SELECT g, 'before ' || g FROM generate_series(1, 50) g"
psql -qX -c "CREATE DATABASE biso_logsrc OWNER biso"
psql -qX -U biso -d biso_logsrc -c "CREATE TABLE audit (id int PRIMARY KEY, what text)" \
	-c "INSERT INTO audit SELECT g, 'from the backup ' || g FROM generate_series(1, 500) g"
mkdir -p "$T/logset"
cp -a "$B/." "$T/logset/"
pg_dump --no-owner --no-privileges --clean --if-exists -d biso_logsrc | gzip > "$T/logset/db/biso_log_29991231_000000.sql.gz"
{ cat "$DEMO_CONFIG"; printf 'log_database = {\n  enabled = true;\n  dbname = "biso_log";\n};\n'; } > "$T/log.conf"
dump_db biso > "$T/log-before.sql"
dump_db biso_log > "$T/logdb-before.sql"
logrun() { # LOG COMMAND [OPTIONS]
	local log=$1
	shift
	set +e
	("$BISO_RECOVER" "$@" --config "$T/log.conf" --backup-root "$T/logset"; exit $?) < /dev/null > "$log" 2>&1
	rc=$?
	set -e
}
sleep 1
logrun "$T/logrestore.log" restore --yes --only database
[ $rc = 0 ] || { cat "$T/logrestore.log"; fail "the restore with the log database exited $rc"; }
[ "$(dump_db biso_log)" = "$(dump_db biso_logsrc)" ] || fail "the restore did not replace the log database"
sleep 1
logrun "$T/logrollback.log" rollback --yes --only database
[ $rc = 0 ] || { cat "$T/logrollback.log"; fail "the rollback after a restore with the log database exited $rc"; }
[ "$(dump_db biso)" = "$(cat "$T/log-before.sql")" ] || fail "after the rollback the database is not what it was before the restore"
[ "$(dump_db biso_log)" = "$(cat "$T/logdb-before.sql")" ] ||
	{ cat "$T/logrollback.log"; fail "after the rollback the log database is not what it was before the restore (pg_dump differs)"; }
klog=$(psql -AtXc "SELECT datname FROM pg_database WHERE datname LIKE 'biso\\_log\\_pre\\_rollback\\_%'")
[ -n "$klog" ] && [ "$(dump_db "$klog")" = "$(dump_db biso_logsrc)" ] || fail "the restored log database is not kept as biso_log_pre_rollback_*"
[ "$(psql -AtXc "SELECT count(*) FROM pg_database WHERE datname LIKE 'biso\\_log\\_pre\\_restore\\_%'")" = 0 ] ||
	fail "the restore's kept log database is still there beside the live one"
echo "ok: rollback puts back the log database too ($klog kept)"

# A restore split over two runs is one restore: the first run ended before
# its last step (killed at the start of the database step, as a dropped
# SSH session or an operator's abort leaves it: webroot, config.php and
# datadir replaced), the nightly backup ran, and `restore --only
# database,migrations,verify` (what the summary offers) did the rest.  The
# rollback puts back every part the restore replaced, the first run's
# webroot and datadir with the second run's database (rsync and pg_dump
# compared with the instance before the first run); it said before that
# "that run did not replace the webroot" and left the restored files on the
# old database.  (The second run continues the first: it does only steps the
# first did not do.)
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}
[ -x "$FAULTS" ] || skip "no test build $FAULTS (make check builds it)"
echo split > "$W/SPLIT_MARKER"
psql -qX -U biso -d biso -c "CREATE TABLE split_marker (x int)"
rm -rf "$T/split-before"
cp -a "$W" "$T/split-before"
dump_db biso > "$T/split-before.sql"
sleep 1
set +e
BR_FAULT_KILL=step.database.start "$FAULTS" restore --yes --config "$DEMO_CONFIG" < /dev/null > "$T/split1.log" 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "ended without finishing the run" "$T/split1.log" ||
	{ cat "$T/split1.log"; fail "the first run of the split restore was not killed at the database step (exit $rc)"; }
! same_tree "$T/split-before" "$W" 2>/dev/null || fail "the first run of the split restore replaced no files"
sleep 1
# (into a root of its own: the second run restores the backup the first
# one chose, not this one)
mkdir -p "$T/split-backups"
run "$T/split-backup.log" backup --backup-root "$T/split-backups"
[ $rc = 0 ] || { cat "$T/split-backup.log"; fail "the backup between the two runs exited $rc"; }
sleep 1
run "$T/split2.log" restore --yes --only database,migrations,verify
[ $rc = 0 ] || { cat "$T/split2.log"; fail "restore --only database,migrations,verify exited $rc"; }
[ "$(dump_db biso)" != "$(cat "$T/split-before.sql")" ] || fail "the second run of the split restore did not replace the database"
run "$T/split-plan.log" rollback --dry-run
[ $rc = 0 ] || { cat "$T/split-plan.log"; fail "rollback --dry-run after the split restore exited $rc"; }
if grep -q "did not replace the webroot" "$T/split-plan.log" || ! grep -q "earlier run [0-9_]* of the same restore" "$T/split-plan.log" ||
	! grep -q "webroot\.pre-restore-" "$T/split-plan.log"; then
	cat "$T/split-plan.log"; fail "the rollback's plan after a split restore does not put back the webroot the first run replaced"
fi
sed -n '/^Rollback plan/,/^3\./p' "$T/split-plan.log"
sleep 1
run "$T/split-rollback.log" rollback --yes
[ $rc = 0 ] || { cat "$T/split-rollback.log"; fail "the rollback of the split restore exited $rc"; }
same_tree "$T/split-before" "$W" ||
	{ cat "$T/split-rollback.log"; fail "after the rollback of the split restore the webroot (with datadir and config.php) is not what it was before its first run"; }
[ "$(dump_db biso)" = "$(cat "$T/split-before.sql")" ] || fail "after the rollback of the split restore the database is not what it was before (pg_dump differs)"
echo "ok: rollback of a restore split over two runs puts back the webroot and datadir of the first run and the database of the second"

# Both swaps with the datadir inside the webroot (webroot/data, the default
# layout): a restore killed at its config step (the webroot swapped, the
# live datadir carried into the new one) and continued by `restore --only
# config,datadir,database,migrations,verify` keeps the old webroot as
# webroot.pre-restore-<first run> without data/ and the old datadir beside
# it, out of the webroot, as webroot.data.pre-restore-<second run>: the
# kept datadir is not inside the kept webroot, so the rollback swaps both,
# the webroot first.  That swap carries the restored datadir (in the
# restored webroot) into the old webroot; the datadir's swap then puts the
# old datadir in its place at webroot/data and keeps the restored one
# beside its kept copy, out of the webroot.  Checked: the plan and the run
# put both back (neither "came back with the webroot"), in that order;
# webroot and datadir are what they were before the first run (rsync -ani
# --checksum of the webroot with its datadir); the restored webroot is
# kept without a datadir in it, the restored datadir as
# webroot.data.pre-rollback-<time> (0700), nothing else is left in the
# webroot; the rollback of that rollback (the same two swaps) brings the
# restored instance back whole.  The order cannot put the datadir into the
# wrong tree: the datadir step swaps the live path webroot/data, which the
# webroot's swap has just filled with the restored datadir.
echo both > "$W/BOTH_MARKER"
echo both > "$W/data/BOTH_MARKER"
chown www-data:www-data "$W/data/BOTH_MARKER"
rm -rf "$T/both-before"
cp -a "$W" "$T/both-before"
sleep 1
set +e
BR_FAULT_KILL=step.config.start "$FAULTS" restore --yes --config "$DEMO_CONFIG" < /dev/null > "$T/both1.log" 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "ended without finishing the run" "$T/both1.log" ||
	{ cat "$T/both1.log"; fail "the first run of the restore was not killed at the config step (exit $rc)"; }
kw=$(ls -td "$P"/webroot.pre-restore-* | head -n 1)
[ -e "$kw/BOTH_MARKER" ] && [ ! -e "$kw/data" ] && [ -e "$W/data/BOTH_MARKER" ] ||
	fail "the killed restore did not keep the old webroot ($kw) without its datadir, carried into the new one"
sleep 1
run "$T/both2.log" restore --yes --only config,datadir,database,migrations,verify
[ $rc = 0 ] || { cat "$T/both2.log"; fail "restore --only config,datadir,database,migrations,verify exited $rc"; }
kd=$(ls -td "$P"/webroot.data.pre-restore-* 2>/dev/null | head -n 1 || true)
[ -e "$kd/BOTH_MARKER" ] && [ ! -e "$W/data/BOTH_MARKER" ] ||
	{ cat "$T/both2.log"; fail "the second run did not keep the old datadir beside the webroot ($kd)"; }
rm -rf "$T/both-restored"
cp -a "$W" "$T/both-restored"
run "$T/both-plan.log" rollback --dry-run
[ $rc = 0 ] && grep -q "^ *source: $kw " "$T/both-plan.log" && grep -q "^ *source: $kd " "$T/both-plan.log" &&
	! grep -q "came back with the webroot" "$T/both-plan.log" ||
	{ cat "$T/both-plan.log"; fail "the rollback's plan does not put back both the webroot $kw and the datadir $kd"; }
sleep 1
run "$T/both-rollback.log" rollback --yes
[ $rc = 0 ] || { cat "$T/both-rollback.log"; fail "the rollback of webroot and datadir exited $rc"; }
same_tree "$T/both-before" "$W" ||
	{ cat "$T/both-rollback.log"; fail "after the rollback of both swaps the webroot (with its datadir) is not what it was before the restore"; }
rw=$(ls -td "$P"/webroot.pre-rollback-* | head -n 1)
rd=$(ls -td "$P"/webroot.data.pre-rollback-* 2>/dev/null | head -n 1 || true)
same_tree "$T/both-restored" "$rw" --exclude /data || fail "the restored webroot is not kept as $rw"
[ ! -e "$rw/data" ] || fail "the restored webroot $rw keeps a datadir: $(ls -A "$rw/data" | head -3)"
same_tree "$T/both-restored/data" "$rd" --no-perms || fail "the restored datadir is not kept as $rd"
[ "$(stat -c %a "$rd")" = 700 ] || fail "the kept datadir $rd is mode $(stat -c %a "$rd"), not 0700"
[ "$(ls -A "$W" | grep -c 'data')" = "$(ls -A "$T/both-before" | grep -c 'data')" ] ||
	fail "the webroot holds another datadir than before: $(ls -A "$W")"
wl=$(grep -n "^put back: $kw$" "$T/both-rollback.log" | head -n 1 | cut -d: -f1)
dl=$(grep -n "^put back: $kd$" "$T/both-rollback.log" | head -n 1 | cut -d: -f1)
[ -n "$wl" ] && [ -n "$dl" ] && [ "$wl" -lt "$dl" ] ||
	{ cat "$T/both-rollback.log"; fail "the rollback did not put back the webroot and then the datadir"; }
sleep 1
run "$T/both-undo.log" rollback --yes
[ $rc = 0 ] || { cat "$T/both-undo.log"; fail "the rollback of the rollback of both swaps exited $rc"; }
same_tree "$T/both-restored" "$W" ||
	{ cat "$T/both-undo.log"; fail "the rollback of that rollback did not bring the restored webroot and datadir back"; }
echo "ok: with the datadir inside the webroot and kept apart, rollback swaps the webroot and then the datadir into place ($kw, $kd); its rollback undoes both"

# An unfinished restore is part of a later one only when that one continues
# it (its --resume, or `--only` the steps it left).  Here restore A died
# after its webroot swap (killed at the config step), the admin worked on
# (the live files changed), and a full restore B ran later: the rollback of
# B puts back what was live just before B (rsync -ani --checksum and
# pg_dump against a copy taken then) and names A's kept webroot in a
# warning.  Before, A joined B's rollback as an earlier run of it: A's
# kept webroot, from before A, went back instead.
echo before-a > "$W/CHAIN_MARKER"
sleep 1
set +e
BR_FAULT_KILL=step.config.start "$FAULTS" restore --yes --config "$DEMO_CONFIG" < /dev/null > "$T/chain1.log" 2>&1
rc=$?
set -e
[ $rc != 0 ] && grep -q "ended without finishing the run" "$T/chain1.log" ||
	{ cat "$T/chain1.log"; fail "restore A was not killed at the config step (exit $rc)"; }
ka=$(ls -td "$P"/webroot.pre-restore-* | head -n 1)
[ -e "$ka/CHAIN_MARKER" ] || fail "restore A kept no webroot of before it ($ka)"
echo after-a > "$W/CHAIN_MARKER"
rm -rf "$T/chain-before"
cp -a "$W" "$T/chain-before"
dump_db biso > "$T/chain-before.sql"
sleep 1
run "$T/chain2.log" restore --yes
[ $rc = 0 ] || { cat "$T/chain2.log"; fail "the full restore B after the unfinished restore A exited $rc"; }
! same_tree "$T/chain-before" "$W" 2>/dev/null || fail "restore B replaced no files"
run "$T/chain-plan.log" rollback --dry-run
[ $rc = 0 ] && ! grep -q "earlier run" "$T/chain-plan.log" &&
	grep -q "warning: not put back: the restore run [0-9_]* before the restore of [0-9_]* ended unfinished and is a restore of its own .*: the webroot as $ka" "$T/chain-plan.log" ||
	{ cat "$T/chain-plan.log"; fail "the rollback of restore B takes in the unfinished restore A before it, or does not name A's kept webroot ($ka)"; }
sleep 1
run "$T/chain-rollback.log" rollback --yes
[ $rc = 0 ] || { cat "$T/chain-rollback.log"; fail "the rollback of restore B exited $rc"; }
same_tree "$T/chain-before" "$W" ||
	{ cat "$T/chain-rollback.log"; fail "after the rollback of restore B the webroot is not what was live just before B"; }
[ "$(dump_db biso)" = "$(cat "$T/chain-before.sql")" ] || fail "after the rollback of restore B the database is not what it was just before B (pg_dump differs)"
[ -e "$ka/CHAIN_MARKER" ] || fail "restore A's kept webroot $ka is gone"
echo "ok: an unfinished restore that a later full restore does not continue stays out of its rollback; its kept webroot is named ($ka)"

# A restore done on purpose in two runs that each finished (`--only
# webroot,config,datadir`, later `--only database,migrations,verify`) is two
# restores: the rollback puts back the second run's database only, and names
# the webroot the first run kept instead of saying nothing of it.
sleep 1
run "$T/files.log" restore --yes --only webroot,config,datadir
[ $rc = 0 ] || { cat "$T/files.log"; fail "restore --only webroot,config,datadir exited $rc"; }
sleep 1
run "$T/db.log" restore --yes --only database,migrations,verify
[ $rc = 0 ] || { cat "$T/db.log"; fail "restore --only database,migrations,verify exited $rc"; }
kw=$(ls -td "$P"/webroot.pre-restore-* | head -n 1)
run "$T/left.log" rollback --dry-run
[ $rc = 0 ] && grep -q "warning: not put back: the restore of [0-9_]* did not replace it; the restore run [0-9_]* before it (finished on its own) kept what was there before it, which stays where it is: the webroot as $kw (the datadir in it)\. If that restore belongs to this one, put it back by hand, with maintenance mode on: mv $W $W\.pre-rollback-by-hand && mv $kw $W$" "$T/left.log" &&
	! grep -q "earlier run" "$T/left.log" ||
	{ cat "$T/left.log"; fail "rollback after two finished restores does not name the webroot the first one kept ($kw), with the datadir in it, and how to put it back"; }
# said once: the datadir kept in that webroot had a warning of its own, the
# same but for its name (newcomer 8, finding 26)
[ "$(grep -c "not put back" "$T/left.log")" = 1 ] ||
	{ cat "$T/left.log"; fail "rollback warns more than once about what the first restore kept"; }
echo "ok: two finished restores are two: the rollback names the first one's kept webroot ($kw)"

# The by-hand commands for a datadir the rolled-back restore did not
# replace (`--only datadir`, later `--only database,migrations,verify`),
# kept in a keep_dir with a blank in its path: pasted into a shell as they
# are, they put the kept datadir back and park the live one beside the kept
# copy, out of the webroot (its personal data is never served): the webroot
# holds the same names as before, the datadir is the kept copy (rsync -ani
# --checksum).  Before, the live datadir went to webroot/data.pre-rollback-
# by-hand, and the path with the blank was pasted unquoted.
K="$T/keep it"
mkdir -p "$K"
printf 'keep_dir = "%s";\n' "$K" >> "$DEMO_CONFIG"
echo live-data > "$W/data/DD_MARKER"
sleep 1
run "$T/dd.log" restore --yes --only datadir
[ $rc = 0 ] || { cat "$T/dd.log"; fail "restore --only datadir exited $rc"; }
kd=$(ls -td "$K"/*.pre-restore-* | head -n 1)
[ -e "$kd/DD_MARKER" ] || { cat "$T/dd.log"; fail "restore --only datadir kept no datadir in $K ($kd)"; }
sleep 1
run "$T/dd-db.log" restore --yes --only database,migrations,verify
[ $rc = 0 ] || { cat "$T/dd-db.log"; fail "restore --only database,migrations,verify exited $rc"; }
run "$T/dd-left.log" rollback --dry-run
how=$(sed -n 's/.*: the datadir as .*, with maintenance mode on: //p' "$T/dd-left.log")
[ $rc = 0 ] && [ -n "$how" ] ||
	{ cat "$T/dd-left.log"; fail "rollback does not name the datadir the restore --only datadir kept ($kd) and how to put it back"; }
rm -rf "$T/dd-kept" "$T/dd-live"
cp -a "$kd" "$T/dd-kept"
cp -a "$W/data" "$T/dd-live"
names=$(ls -A "$W")
bash -c "$how" > "$T/dd-how.log" 2>&1 ||
	{ cat "$T/dd-left.log" "$T/dd-how.log"; fail "the printed by-hand command failed: $how"; }
[ "$(ls -A "$W")" = "$names" ] ||
	{ echo "$how"; ls -A "$W"; fail "after the by-hand command the webroot holds other names than before (the live datadir parked in it?)"; }
same_tree "$T/dd-kept" "$W/data" ||
	{ echo "$how"; fail "after the by-hand command the datadir is not the kept copy $kd"; }
same_tree "$T/dd-live" "$kd.pre-rollback-by-hand" ||
	{ echo "$how"; ls -A "$K"; fail "the live datadir was not parked beside the kept copy as $kd.pre-rollback-by-hand"; }
echo "ok: the by-hand commands for a kept datadir quote its path (with a blank) and park the live datadir out of the webroot"

# The datadir a restore kept inside the kept webroot comes back with it;
# when that copy is gone (removed by hand), the rollback is refused before
# anything is touched, as for any other kept part that is gone, and
# `--only webroot` (what the hint offers) puts back the webroot alone, the
# live datadir carried into it.  Before, the webroot's swap carried the
# restored datadir into the old webroot and the datadir step was skipped
# as "it came back with the webroot": the restored datadir stayed live in
# the old webroot, and the rollback said the old one was back.
echo gone > "$W/GONE_MARKER"
rm -rf "$T/gone-before"
cp -a "$W" "$T/gone-before"
# (a restore refused before it, with the cut dump: the full restore after
# it is a restore of its own, not one that continues the refused run)
sleep 1
run "$T/gone-cut.log" restore --yes --dump "$T/cut.sql.gz"
[ $rc = 2 ] || { cat "$T/gone-cut.log"; fail "the second restore with a cut dump was not refused (exit $rc, not 2)"; }
cut=$(sed -n 's/^log: .*biso-recover-\([0-9_]*\)\.log$/\1/p' "$T/gone-cut.log")
[ -n "$cut" ] || { cat "$T/gone-cut.log"; fail "the refused restore names no log"; }
sleep 1
run "$T/gone-restore.log" restore --yes
[ $rc = 0 ] || { cat "$T/gone-restore.log"; fail "the full restore before the kept datadir goes exited $rc"; }
run "$T/gone-plan.log" rollback --dry-run
[ $rc = 0 ] && ! grep -q "earlier run\|$cut" "$T/gone-plan.log" ||
	{ cat "$T/gone-plan.log"; fail "the rollback of the full restore after the refused one (run $cut) takes that one in as an earlier run of it"; }
echo "ok: a restore refused before the full restore is no earlier run of it"
kw=$(ls -td "$P"/webroot.pre-restore-* | head -n 1)
[ -e "$kw/GONE_MARKER" ] && [ -d "$kw/data" ] || fail "the restore kept no datadir inside the old webroot $kw"
rm -rf "$T/gone-data" "$T/gone-restored"
mv "$kw/data" "$T/gone-data"
cp -a "$W" "$T/gone-restored"
nkept=$(ls -d "$P"/webroot.pre-rollback-* 2>/dev/null | wc -l)
sleep 1
run "$T/gone-rollback.log" rollback --yes
[ $rc != 0 ] && grep -q "the datadir kept by the restore of [0-9_]* is gone: $kw/data" "$T/gone-rollback.log" ||
	{ cat "$T/gone-rollback.log"; fail "rollback with the datadir kept in $kw gone was not refused (exit $rc)"; }
same_tree "$T/gone-restored" "$W" && [ -e "$kw/GONE_MARKER" ] &&
	[ "$(ls -d "$P"/webroot.pre-rollback-* 2>/dev/null | wc -l)" = "$nkept" ] ||
	fail "the refused rollback touched the webroot or its kept copy"
sleep 1
run "$T/gone-only.log" rollback --yes --only webroot
[ $rc = 0 ] || { cat "$T/gone-only.log"; fail "rollback --only webroot with the kept datadir gone exited $rc"; }
same_tree "$T/gone-before" "$W" --exclude /data ||
	{ cat "$T/gone-only.log"; fail "rollback --only webroot did not put back the webroot"; }
same_tree "$T/gone-restored/data" "$W/data" ||
	{ cat "$T/gone-only.log"; fail "rollback --only webroot did not keep the live (restored) datadir in place"; }
echo "ok: with the datadir kept in the kept webroot gone the rollback is refused, untouched; --only webroot puts back the webroot alone"
