#!/bin/sh
# Every libarchive object the file restore makes is checked (issue 10):
# the test build (biso-recover-faults) fails each constructor by name
# (BR_FAULT_FAIL=files.new.*), as it fails without memory.  Each time the
# restore stops with an error that names what could not be made, exit 1,
# the target unchanged and no staging tree left; no crash.
set -u
top_builddir=${top_builddir:-$(pwd)}
FAULTS=${BISO_RECOVER_FAULTS:-$top_builddir/tests/integration/biso-recover-faults}
[ -x "$FAULTS" ] || { echo "FAIL: $FAULTS not built"; exit 1; }
command -v tar >/dev/null 2>&1 || { echo "SKIP: tar not installed"; exit 77; }
T=$(mktemp -d /tmp/files-nomem.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

mkdir -p "$T/src/sub"
printf 'alpha\n' > "$T/src/a"
printf 'bravo\n' > "$T/src/sub/b"
ln "$T/src/a" "$T/src/a-link"
tar -cf "$T/src.tar" -C "$T/src" .
tar -czf "$T/src.tgz" -C "$T/src" .

# POINT SOURCE [OPTION]: the constructor POINT fails while restoring SOURCE
check() {
	point=$1 src=$2
	shift 2
	rm -rf "$T/t" "$T/t.restoring"
	mkdir "$T/t"
	printf 'old\n' > "$T/t/old"
	BR_FAULT_FAIL=$point "$FAULTS" files-restore "$@" "$src" "$T/t" > "$T/out" 2> "$T/err"
	rc=$?
	if [ $rc -ne 1 ]; then
		fail "$point: exit $rc, expected 1"; cat "$T/err"
	elif ! grep -q "cannot create .*: Cannot allocate memory" "$T/err"; then
		fail "$point: the error does not say what could not be made:"; cat "$T/err"
	elif [ "$(ls -A "$T/t")" != old ] || [ -e "$T/t.restoring" ]; then
		fail "$point: target changed or staging left: $(ls -A "$T/t" "$T" | tr '\n' ' ')"
	else
		ok "$point: $(grep -o 'cannot create [^:]*' "$T/err" | head -1), target unchanged"
	fi
}

check files.new.reader "$T/src.tar"
check files.new.disk-writer "$T/src.tar"
check files.new.inflater "$T/src.tgz"
check files.new.disk-reader "$T/src/" --merge
check files.new.entry "$T/src/" --merge
check files.new.linkresolver "$T/src/" --merge
# the extraction's workers (fsrestore_xpool.c): one per CPU, none with one
if [ "$(nproc)" -ge 2 ]; then
	check files.new.worker-writer "$T/src.tgz"
	check files.new.entry-copy "$T/src.tgz"
else
	echo "ok: one CPU: no extraction workers to fail (skipped)"
fi

# in German the whole message is German: what could not be made too
# (review9 #11: "the disk writer für ... kann nicht angelegt werden")
if command -v msgfmt >/dev/null 2>&1 && [ -n "${top_srcdir:-}" ]; then
	mkdir -p "$T/locale/de/LC_MESSAGES"
	msgfmt -o "$T/locale/de/LC_MESSAGES/biso-recover.mo" "$top_srcdir/po/de.po"
	rm -rf "$T/t"
	mkdir "$T/t"
	for point in files.new.disk-writer files.new.worker-writer files.new.entry-copy; do
		[ "$point" = files.new.disk-writer ] || [ "$(nproc)" -ge 2 ] || continue
		src=$T/src.tgz
		[ "$point" = files.new.disk-writer ] && src=$T/src.tar
		BISO_RECOVER_LOCALEDIR=$T/locale BR_FAULT_FAIL=$point \
			env -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 \
			"$FAULTS" files-restore "$src" "$T/t" > "$T/out" 2> "$T/err"
		if grep -q "kann .* für .* nicht anlegen" "$T/err" &&
			! grep -Eq "(the|an?) [a-z ]+ für" "$T/err"; then
			ok "$point in German: $(grep -o 'kann [^/]*' "$T/err" | head -1)"
		else
			fail "$point: the German message mixes in English:"; cat "$T/err"
		fi
	done
else
	echo "ok: no msgfmt or top_srcdir: German not checked (skipped)"
fi

[ $fails -eq 0 ] && { echo "PASS files-nomem"; exit 0; }
echo "$fails failure(s)"; exit 1
