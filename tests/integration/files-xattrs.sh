#!/bin/sh
# Extended attributes and ACLs (issue 4): kept with --xattrs / --acls from a
# directory and from a pax tar, compared with `rsync -aXA` of the same
# source; not kept without the flags.  Skips without setfattr/setfacl (the
# attr and acl packages) or when the filesystem under /tmp refuses them.
set -u
top_builddir=${top_builddir:-$(pwd)}
DRIVER=${FILES_DRIVER:-$top_builddir/tests/integration/files-driver}
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }
for tool in rsync bsdtar setfattr getfattr setfacl getfacl; do
	command -v $tool >/dev/null 2>&1 || { echo "SKIP: $tool not installed (packages attr, acl)"; exit 77; }
done
T=$(mktemp -d /tmp/files-xattrs.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

S=$T/src
mkdir -p "$S/dir"
printf 'a\n' > "$S/a.txt"; printf 'b\n' > "$S/dir/b.txt"
if ! setfattr -n user.biso -v "attachment-42" "$S/a.txt" 2>/dev/null ||
   ! setfacl -m u:nobody:r "$S/dir/b.txt" 2>/dev/null; then
	echo "SKIP: the filesystem under /tmp does not take user xattrs or ACLs"; exit 77
fi
setfattr -n user.dirattr -v "d" "$S/dir"
setfacl -d -m g:nogroup:rx "$S/dir"
(cd "$S" && bsdtar --format=pax --xattrs --acls -cf "$T/src.tar" .)
rsync -aXA "$S/" "$T/ref/"

attrs() { # TREE: every xattr and ACL, relative names
	(cd "$1" && getfattr -R -d -m - --absolute-names . 2>/dev/null | grep -v '^$'; getfacl -R -p . 2>/dev/null)
}
attrs "$T/ref" > "$T/ref.attrs"
for src in "$S" "$T/src.tar"; do
	what=$( [ -d "$src" ] && echo directory || echo "pax tar")
	out=$T/out-$(basename "$src")
	if ! "$DRIVER" --xattrs --acls "$src" "$out" > "$T/out" 2> "$T/err"; then
		fail "$what: restore with --xattrs --acls failed"; cat "$T/err"; continue
	fi
	d=$(rsync -ani --checksum -XA --delete "$T/ref/" "$out/")
	attrs "$out" > "$T/got.attrs"
	if [ -n "$d" ]; then fail "$what: rsync -XA finds differences:"; echo "$d"
	elif ! cmp -s "$T/ref.attrs" "$T/got.attrs"; then fail "$what: xattrs/ACLs differ:"; diff "$T/ref.attrs" "$T/got.attrs"
	else ok "$what: xattrs and ACLs kept as rsync -aXA keeps them"; fi
done
"$DRIVER" "$S" "$T/plain" > "$T/out" 2> "$T/err" || { fail "restore without the flags failed"; cat "$T/err"; }
if getfattr -n user.biso "$T/plain/a.txt" >/dev/null 2>&1 ||
   getfacl -c "$T/plain/dir/b.txt" 2>/dev/null | grep -q nobody; then
	fail "xattrs/ACLs were kept without --xattrs/--acls"
else ok "without --xattrs/--acls they are not kept (as rsync -a)"; fi

[ $fails -eq 0 ] && { echo "PASS files-xattrs"; exit 0; }
echo "$fails failure(s)"; exit 1
