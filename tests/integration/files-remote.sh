#!/bin/sh
# Remote source "host:path" (issue 4) without a network: rsync's remote
# shell is a small script that drops the host name and runs the "remote"
# rsync locally, set through RSYNC_RSH (as an operator's ssh would be) and
# through the engine's rsh option.  The fetched tree and a fetched tar.gz
# are restored and compared with rsync -a; progress is reported as
# "fetching"; the fetched copy is removed; a failing fetch leaves the old
# target as it was.
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }
command -v rsync >/dev/null 2>&1 || { echo "SKIP: rsync not installed"; exit 77; }
T=$(mktemp -d /tmp/files-remote.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

cat > "$T/fake-ssh" <<'SH'
#!/bin/sh
# fake ssh: [options] HOST COMMAND...; logs the host, runs COMMAND here
while [ $# -gt 0 ]; do case $1 in -[pl]) shift 2 ;; -*) shift ;; *) break ;; esac; done
echo "$1" >> "${FAKE_SSH_LOG:-/dev/null}"; shift
exec sh -c "$*"
SH
chmod +x "$T/fake-ssh"
export FAKE_SSH_LOG=$T/ssh.log

S=$T/backup/webroot
mkdir -p "$S/sub dir" "$S/empty"
printf 'index\n' > "$S/index.php"; printf 'x\n' > "$S/sub dir/file with spaces"
head -c 3M /dev/urandom > "$S/sub dir/big.bin"
ln -s index.php "$S/link"; ln "$S/index.php" "$S/hard"
touch -d '2001-01-01 01:01:01' "$S/empty" "$S/index.php"
rsync -a "$S/" "$T/ref/"
(cd "$S" && tar -czf "$T/backup/webroot.tar.gz" .)

mkdir -p "$T/t"; printf 'old\n' > "$T/t/old"
if RSYNC_RSH=$T/fake-ssh "$DRIVER" --progress --stamp 20250101_000000 "backuphost:$S" "$T/t" > "$T/out" 2> "$T/err"; then
	d=$(rsync -ani --checksum --delete "$T/ref/" "$T/t/")
	[ -z "$d" ] && ok "host:path directory fetched and restored as rsync -a" || { fail "remote dir differs:"; echo "$d"; }
	grep -q '^backuphost$' "$T/ssh.log" && ok "rsync went through the remote shell to backuphost" ||
		fail "the remote shell was not used: $(cat "$T/ssh.log")"
	grep -q '^PROGRESS fetching [1-9]' "$T/err" && ok "fetch progress shown: $(grep '^PROGRESS fetching' "$T/err" | tail -1)" ||
		fail "no fetch progress"
	[ -d "$T/t.pre-restore-20250101_000000" ] && ok "the old target is kept" || fail "old target not kept"
	[ ! -e "$T/t.fetching" ] && ok "the fetched copy is removed" || fail "$T/t.fetching left behind"
else
	fail "remote restore failed"; cat "$T/err"
fi

if "$DRIVER" --rsh "$T/fake-ssh -p 22" "backuphost:$T/backup/webroot.tar.gz" "$T/t2" > "$T/out" 2> "$T/err"; then
	d=$(rsync -ani --checksum --delete "$T/ref/" "$T/t2/")
	[ -z "$d" ] && ok "host:path tar.gz fetched (rsh option) and restored" || { fail "remote tar.gz differs:"; echo "$d"; }
else
	fail "remote tar.gz restore failed"; cat "$T/err"
fi

mkdir -p "$T/t3"; printf 'old\n' > "$T/t3/old"
if RSYNC_RSH=$T/fake-ssh "$DRIVER" "backuphost:$T/backup/no-such-dir" "$T/t3" > "$T/out" 2> "$T/err"; then
	fail "a missing remote path was accepted"
elif [ "$(ls -A "$T/t3")" = old ] && [ ! -e "$T/t3.fetching" ] && [ ! -e "$T/t3.restoring" ]; then
	ok "failed fetch leaves the target alone: $(grep ERROR "$T/err")"
else fail "failed fetch left things behind: $(ls -d "$T"/t3*)"; fi

[ $fails -eq 0 ] && { echo "PASS files-remote"; exit 0; }
echo "$fails failure(s)"; exit 1
