#!/bin/sh
# drill-checkout.sh: `biso-recover drill` works from the README's build of a
# checkout, without `make install` (a newcomer's first command): the binary
# finds the checkout's share/ beside it when PKGDATADIR has no drills.
set -u
top_builddir=${top_builddir:-$(pwd)}
B=${BISO_RECOVER:-$top_builddir/biso-recover}
dir=$(cd "$(dirname "$B")" && pwd)
share=""
for d in "$dir/share" "$(dirname "$dir")/share"; do
	[ -d "$d/drills" ] && { share=$d; break; }
done
# make distcheck builds outside the checkout: nothing to find there
[ -n "$share" ] || { echo "SKIP: $B is not built inside a checkout"; exit 77; }
home=$(mktemp -d /tmp/drill-checkout.XXXXXX)
trap 'rm -rf "$home"' EXIT
out=$(env -u BISO_RECOVER_SHARE HOME="$home" LANGUAGE=en "$B" drill --list 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: drill --list exited $rc from the checkout's build"; exit 1; }
for f in "$share"/drills/*.conf; do
	name=$(basename "$f" .conf)
	echo "$out" | grep -q "$name" || { echo "FAIL: drill --list does not list $name"; exit 1; }
done
echo "ok: drill --list finds the scenarios of $share"

# drill --list (newcomer 8.21): the scenarios first, then only the 5 newest
# of the past results, after a line that counts the older ones and names
# --all, which lists every one (it printed all of them, 60 lines and more)
mkdir -m 700 "$home/.biso-recover"
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
	printf '2026-12-%s 01:00  01-walkthrough         ended      0:%s  0  0\n' "$i" "$i"
done > "$home/.biso-recover/drill-results"
out=$(env -u BISO_RECOVER_SHARE HOME="$home" LANGUAGE=en "$B" drill --list 2>&1)
echo "$out" | tail -n 8
shown=$(echo "$out" | grep -c '^  2026-12-')
[ "$shown" = 5 ] || { echo "FAIL: drill --list shows $shown past results, expected the 5 newest"; exit 1; }
echo "$out" | grep -q '^  2026-12-12 01:00' && ! echo "$out" | grep -q '^  2026-12-07 ' ||
	{ echo "FAIL: drill --list does not show the 5 newest results"; exit 1; }
echo "$out" | grep -q '(7 older results; all of them: biso-recover drill --list --all)' ||
	{ echo "FAIL: drill --list does not count the older results and name --all"; exit 1; }
first=$(echo "$out" | grep -n '01-walkthrough' | head -n 1 | cut -d: -f1)
[ "$first" -le 2 ] || { echo "FAIL: the scenarios do not come first"; exit 1; }
all=$(env -u BISO_RECOVER_SHARE HOME="$home" LANGUAGE=en "$B" drill --list --all 2>&1 | grep -c '^  2026-12-')
[ "$all" = 12 ] || { echo "FAIL: drill --list --all shows $all results, expected 12"; exit 1; }
echo "ok: drill --list shows the scenarios, the 5 newest results and how many more; --all every one"

# As root the sandbox's cluster runs as postgres, which cannot reach below a
# private directory such as /root (the default ~/biso-drill of root): the
# cluster script says so instead of initdb's "Permission denied" in a log.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
	top_srcdir=${top_srcdir:-$(dirname "$dir")}
	priv=$(mktemp -d /tmp/drill-private.XXXXXX)
	chmod 0700 "$priv"
	msg=$( (. "$top_srcdir/tests/lib/pgcluster.sh" && pgc_start "$priv/sandbox/pg") 2>&1 )
	rc=$?
	rm -rf "$priv"
	[ $rc != 0 ] || { echo "FAIL: a cluster below a 0700 directory started as postgres?"; exit 1; }
	echo "$msg" | grep -q "the postgres user cannot reach $priv/sandbox/pg" ||
		{ echo "$msg"; echo "FAIL: no word that postgres cannot reach the sandbox"; exit 1; }
	echo "ok: a sandbox postgres cannot reach is refused with what to do"
fi
