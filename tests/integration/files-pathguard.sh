#!/bin/sh
# A webroot, datadir or files-restore target that names a system directory
# is refused before anything changes (issue 16.3): a dry run of the restore
# with Config::set('datadir', '/etc') (or /, or a symlink to /etc) stops in
# the preflight with a clear message instead of planning `mv /etc ...` and
# `chown -R www-data /etc`; a datadir that contains the webroot or the
# backup root is refused too, the default <webroot>/data is not.
# files-restore refuses such targets, --dry-run included.  No database is
# needed: only the webroot and datadir steps are planned.
set -u
top_builddir=$(cd "${top_builddir:-.}" && pwd)
B=${BISO_RECOVER:-$top_builddir/biso-recover}
[ -x "$B" ] || { echo "FAIL: $B not built"; exit 1; }
T=$(mktemp -d /tmp/files-pathguard.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

BK=$T/store/backups
mkdir -p "$BK/webroot" "$BK/data" "$T/live"
printf '#!/bin/sh\n' > "$BK/webroot/biso-cli"
printf 'a\n' > "$BK/data/attachment"
ln -s /etc "$T/harmless"
# config DATADIR-PHP-EXPRESSION: the backup's config.php
config() {
	printf "<?php\nConfig::set('datadir', %s);\nConfig::set('gaia.db', ['host' => '/run/postgresql', 'dbname' => 'biso', 'user' => 'biso', 'password' => 'x']);\n" "$1" > "$BK/webroot/config.php"
}
plan() { # options...: a dry run of the webroot and datadir steps
	"$B" restore --dry-run --only webroot,datadir --config /dev/null --backup-root "$BK" \
		--webroot "$T/live/webroot" --log-dir "$T/log" "$@" > "$T/out" 2> "$T/err"; rc=$?
}
# refused WHAT MESSAGE: exit 2, MESSAGE on stderr, nothing planned or made
refused() {
	if [ $rc -ne 2 ]; then fail "$1: exit $rc, expected 2"; cat "$T/out" "$T/err"
	elif ! grep -qF -- "$2" "$T/err"; then fail "$1: the message is not '$2':"; cat "$T/err"
	elif grep -q "mv \|chown" "$T/out"; then fail "$1: a plan was printed"
	elif [ -e "$T/live/webroot" ] || ls /etc.pre-restore-* >/dev/null 2>&1; then fail "$1: something changed"
	else ok "$1: $(grep -F -- "$2" "$T/err" | head -1)"; fi
}

config "'/etc'"
plan; refused "Config::set('datadir', '/etc')" "the datadir /etc is a system directory"
config "__DIR__ . '/data'"
plan --datadir /; refused "--datadir /" "the datadir / is the root directory"
plan --datadir "$T/harmless"; refused "datadir through a symlink to /etc" "the datadir $T/harmless is a system directory"
plan --datadir /usr/lib/biso; refused "datadir inside /usr/lib" "is inside the system directory /usr/lib"
plan --datadir "$T/live"; refused "a datadir that contains the webroot" "contains the webroot"
plan --datadir "$T/live/webroot/files"; refused "a datadir inside the webroot, not data/" "is inside the webroot"
plan --datadir "$BK/data"; refused "a datadir inside the backup root" "and the backup root $BK overlap"
plan --datadir "$T/store"; refused "a datadir that contains the backup root" "and the backup root $BK overlap"
plan --webroot /var/www; refused "--webroot /var/www" "the webroot /var/www is a system directory"
plan
if [ $rc -eq 0 ] && grep -q "chown -R .*$T/live/webroot/data" "$T/out"; then ok "the default <webroot>/data is planned"
else fail "default datadir: exit $rc"; cat "$T/out" "$T/err"; fi

# files-restore
# (exit 2 as restore's refusal: nothing was touched)
for tgt in / /etc "$T/harmless" /var /etc/biso-x; do
	for dry in "" --dry-run; do
		"$B" files-restore $dry "$BK/data" "$tgt" > "$T/out" 2> "$T/err"; rc=$?
		if [ $rc -eq 2 ] && grep -q "the target $tgt is" "$T/err" && ! ls /etc.pre-restore-* /etc.restoring /etc/biso-x* >/dev/null 2>&1; then
			ok "files-restore ${dry:+$dry }$tgt: $(grep "the target" "$T/err" | head -1)"
		else fail "files-restore ${dry:+$dry }$tgt: exit $rc"; cat "$T/err"; fi
	done
done

[ $fails -eq 0 ] && { echo "PASS files-pathguard"; exit 0; }
echo "$fails failure(s)"; exit 1
