#!/bin/sh
# demo-build.sh: tools/demo.sh builds what the README's Language section
# needs: its build (the build tree's default target, here into a fresh
# directory; no packages installed: DEMO_SKIP_DEPS, DEMO_BUILD_ONLY) leaves
# the catalogues in locale/ beside the binary, so that LANG=de_CH.UTF-8
# prints German without `make install` or BISO_RECOVER_LOCALEDIR.  It built
# only the biso-recover target before, and the demo spoke English.
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
[ -d "$T/build/locale/de" ] || fail "tools/demo.sh built no catalogue (no $T/build/locale/de)"
env -u BISO_RECOVER_LOCALEDIR -u LANGUAGE -u LC_ALL -u LC_MESSAGES LANG=de_CH.UTF-8 \
	"$T/build/biso-recover" --help > "$T/help" 2>&1 || true
grep -q '^Aufruf:' "$T/help" || { head -n 3 "$T/help"; fail "the demo's binary is not German with LANG=de_CH.UTF-8"; }
echo "ok: tools/demo.sh builds the catalogues; LANG=de_CH.UTF-8 $T/build/biso-recover --help is German"
