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
