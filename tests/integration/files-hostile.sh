#!/bin/sh
# files-restore with hostile archives (issue 9.9, issue 16): archives are
# generated here with python3's tarfile (nothing binary is committed), each
# restored into a target inside a box directory; for each the expected
# message, exit status and resulting state are checked, and nothing may be
# written outside the target.  Refused members are errors gone past: the
# rest is restored, the summary counts them, and the exit status is 3.
# test_patterns_4.tar of ../shared/corpus/archives (49 refused of 54) is
# used when it is there.
set -u
top_builddir=$(cd "${top_builddir:-.}" && pwd)
B=${BISO_RECOVER:-$top_builddir/biso-recover}
CORPUS=${ARCHIVE_CORPUS:-/work/shared/corpus/archives}
[ -x "$B" ] || { echo "FAIL: $B not built"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
LC_ALL=C.UTF-8; export LC_ALL
T=$(mktemp -d /tmp/files-hostile.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# mktar NAME 'python statements using t (the open TarFile) and add(...)'
mktar() {
	python3 - "$T/$1" "$2" <<'EOF'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT)
def add(name, data=b"x\n", type=tarfile.REGTYPE, mode=0o644, link="", uid=0, gid=0, dev=(0, 0)):
    i = tarfile.TarInfo(name)
    i.type, i.mode, i.linkname, i.uid, i.gid, i.mtime = type, mode, link, uid, gid, 1300000000
    i.devmajor, i.devminor = dev
    i.size = len(data) if type == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if type == tarfile.REGTYPE else None)
exec(sys.argv[2])
t.close()
EOF
}

# run ARCHIVE [options]: files-restore into $T/box/t (made fresh, with an
# old tree in it); exit status in $rc, stderr in $T/err
run() {
	arc=$1; shift
	rm -rf "$T/box"; mkdir -p "$T/box/t"; printf 'old\n' > "$T/box/t/old"
	(cd "$T/box" && "$B" files-restore "$@" "$arc" t > "$T/out" 2> "$T/err"); rc=$?
}
# contained WHAT: nothing but t and the kept old tree in the box
contained() {
	extra=$(cd "$T/box" && ls -A | grep -v '^t$' | grep -v '^t\.pre-restore-')
	if [ -n "$extra" ]; then fail "$1: written outside the target: $extra"; return 1; fi
	return 0
}

# ---- refused members: exit 3, counted in the summary (issue 9.9) ----
mktar refused.tar '
add("good.txt", b"good\n")
add("../escaped", b"evil\n")
add("/tmp/biso-hostile-abs", b"evil\n")
add("sub/../../escaped2", b"evil\n")'
run "$T/refused.tar"
if [ $rc -ne 3 ]; then fail "refused members: exit $rc, expected 3"; cat "$T/err"
elif ! tail -n 1 "$T/err" | grep -q '3 members refused'; then fail "refused members: the summary has no count:"; tail -n 1 "$T/err"
elif [ "$(grep -c '^warning: refused member' "$T/err")" -ne 3 ]; then fail "refused members: not each listed:"; cat "$T/err"
elif [ "$(cat "$T/box/t/good.txt")" != good ]; then fail "refused members: the good member was not restored"
elif [ -e /tmp/biso-hostile-abs ] || [ -e "$T/escaped" ] || [ -e "$T/escaped2" ]; then fail "refused members: escaped"
elif contained "refused members"; then ok "refused members: exit 3, '$(tail -n 1 "$T/err")'"; fi
mktar clean.tar 'add("good.txt", b"good\n")'
run "$T/clean.tar"
[ $rc -eq 0 ] && ok "nothing refused: exit 0" || { fail "clean archive: exit $rc"; cat "$T/err"; }

if [ -f "$CORPUS/test_patterns_4.tar" ]; then
	run "$CORPUS/test_patterns_4.tar"
	if [ $rc -ne 3 ]; then fail "test_patterns_4.tar: exit $rc, expected 3"; tail -n 3 "$T/err"
	elif ! tail -n 1 "$T/err" | grep -q '49 members refused'; then fail "test_patterns_4.tar: summary:"; tail -n 1 "$T/err"
	elif contained "test_patterns_4.tar"; then ok "test_patterns_4.tar: 49 members refused, exit 3"; fi
else
	echo "skip test_patterns_4.tar: $CORPUS not present (../shared is not in this checkout)"
fi

[ $fails -eq 0 ] && { echo "PASS files-hostile"; exit 0; }
echo "$fails failure(s)"; exit 1
