#!/bin/sh
# demo-build.sh: tools/demo.sh builds what the README's Language section
# needs: its build (the build tree's default target, here into a fresh
# directory; no packages installed: DEMO_SKIP_DEPS, DEMO_BUILD_ONLY) leaves
# the catalogues in locale/ beside the binary, so that LANG=de_CH.UTF-8
# prints German without `make install` or BISO_RECOVER_LOCALEDIR.  It built
# only the biso-recover target before, and the demo spoke English.
# The build is quiet: one "demo: ..." line per phase, the tools' output in
# BUILD/demo-build.log (configure's and autogen's ~20 lines of noise came
# before the wizard); a build that fails shows the log's last lines and its
# path.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
fail() { echo "FAIL: $*"; exit 1; }
locale -a | grep -qix 'de_CH.utf-\?8' || { echo "SKIP: no de_CH.UTF-8 locale"; exit 77; }
command -v msgfmt >/dev/null || { echo "SKIP: msgfmt not installed (gettext)"; exit 77; }
[ -x "$top_srcdir/configure" ] || { echo "SKIP: no configure in $top_srcdir"; exit 77; }
T=$(mktemp -d /tmp/demo-build.XXXXXX) || fail "mktemp"
trap 'rm -rf "$T"' EXIT
DEMO_SKIP_DEPS=1 DEMO_BUILD_ONLY=1 DEMO_BUILD_DIR="$T/build" "$top_srcdir/tools/demo.sh" > "$T/build.log" 2>&1 ||
	{ tail -n 30 "$T/build.log"; fail "tools/demo.sh's build failed"; }
[ -x "$T/build/biso-recover" ] || fail "tools/demo.sh built no biso-recover"
noise=$(grep -v '^demo: ' "$T/build.log" || true)
[ -z "$noise" ] || { cat "$T/build.log"; fail "the build printed more than its phases: $(echo "$noise" | head -n 3)"; }
[ "$(wc -l < "$T/build.log")" -le 3 ] || { cat "$T/build.log"; fail "more than one line per phase (configure, make)"; }
grep -q '^demo: configure' "$T/build.log" || { cat "$T/build.log"; fail "no line for the configure phase"; }
[ -s "$T/build/demo-build.log" ] || fail "no build log $T/build/demo-build.log"
# a build that fails: the log's tail and its path
mkdir "$T/bad"
printf 'all:\n\t@echo "bad.c:1: error: the reason"; false\n' > "$T/bad/Makefile"
code=0
DEMO_SKIP_DEPS=1 DEMO_BUILD_ONLY=1 DEMO_BUILD_DIR="$T/bad" "$top_srcdir/tools/demo.sh" > "$T/bad.log" 2>&1 || code=$?
[ "$code" != 0 ] || { cat "$T/bad.log"; fail "a failed build exited 0"; }
grep -q 'bad.c:1: error: the reason' "$T/bad.log" || { cat "$T/bad.log"; fail "a failed build does not show the log's tail"; }
grep -q "$T/bad/demo-build.log" "$T/bad.log" || { cat "$T/bad.log"; fail "a failed build does not name its log"; }
echo "ok: the demo's build says one line per phase; a failed one shows the log's tail and path"
[ -d "$T/build/locale/de" ] || fail "tools/demo.sh built no catalogue (no $T/build/locale/de)"
env -u BISO_RECOVER_LOCALEDIR -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 \
	"$T/build/biso-recover" --help > "$T/help" 2>&1 || true
grep -q '^Aufruf:' "$T/help" || { head -n 3 "$T/help"; fail "the demo's binary is not German with LANG=de_CH.UTF-8"; }
echo "ok: tools/demo.sh builds the catalogues; LANG=de_CH.UTF-8 $T/build/biso-recover --help is German"
