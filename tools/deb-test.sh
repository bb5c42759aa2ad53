#!/bin/sh
# deb-test.sh: build the Debian package and try it where nothing else is
# installed (issue 15, "Installing").  Called by tools/test.sh; as root.
#
#  1. Copies the tree (git ls-files, or everything but build*/ outside git)
#     to $DEB_TEST_DIR (default build-deb/) and runs
#     `dpkg-buildpackage -us -uc -b` there, in parallel and with
#     DEB_BUILD_OPTIONS=nocheck (tools/test.sh ran every test already), so
#     the checkout stays clean.  debian/changelog's version must be
#     configure.ac's.
#  2. lintian on the .changes: any error fails; warnings are listed.
#  3. Installs the package into a fresh Debian 12 root with apt, which
#     resolves its Depends from the archive: the root is a copy of a
#     `debootstrap --variant=minbase bookworm` made once per machine and
#     kept in $DEB_TEST_CACHE (default /var/cache/biso-recover/deb-test).
#     Why a real root and not `dpkg -x` with the host's libraries: only a
#     root without the build dependencies shows a missing Depends, a
#     conffile that dpkg does not register, a man page that man cannot find
#     or a completion that bash-completion does not load.  Measured on the
#     2-core machine, busy with other builds: the whole script 31-70 s with
#     the cached root (build 20-40 s, lintian ~6 s, copying the root ~4 s,
#     apt for the package, man-db and bash-completion ~7-10 s), 57-170 s
#     when it runs debootstrap first (debootstrap alone 25-103 s).
#  4. In that root (chroot): biso-recover --version, --help in English and
#     in German, man biso-recover in English and German, the drill scenarios,
#     /etc/biso-recover.conf is a registered conffile and loads, the bash
#     completion loads by name, the backup's systemd units and cron example
#     are there and no timer is enabled; then remove keeps the conffile and purge
#     removes it.
# Ends with "deb-test: ok" or "deb-test: FAILED: what".  Needs network to the
# Debian mirror (deb.debian.org) for debootstrap and apt in the root.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${DEB_TEST_DIR:-$top/build-deb}
cache=${DEB_TEST_CACHE:-/var/cache/biso-recover/deb-test}
mirror=${DEB_TEST_MIRROR:-http://deb.debian.org/debian}
jobs=$(nproc 2>/dev/null || echo 2)

say() { echo "deb-test: $*"; }
die() { echo "deb-test: FAILED: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (chroot, debootstrap)"

root=$work/root
cleanup() {
	# the root's /proc and /dev are bind mounts while apt runs
	for m in "$root/proc" "$root/dev"; do
		mountpoint -q "$m" 2>/dev/null && umount "$m" || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
# never into the host's /proc or /dev through a mount left behind
for m in "$root/proc" "$root/dev"; do
	! mountpoint -q "$m" 2>/dev/null || die "$m is still mounted (umount it, then run again)"
done
rm -rf --one-file-system "$work"
mkdir -p "$work/src"

# 1. Build from a copy of the tree.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$top" && tar --null -cf - -T -) | tar -xf - -C "$work/src"
else
	(cd "$top" && tar --exclude='./build*' --exclude=./demo-sandbox -cf - .) | tar -xf - -C "$work/src"
fi
upstream=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
debver=$(cd "$work/src" && dpkg-parsechangelog -S Version)
[ "${debver%%-*}" = "$upstream" ] ||
	die "debian/changelog says $debver, configure.ac says $upstream: add a changelog entry (dch -v $upstream)"
say "dpkg-buildpackage -us -uc -b ($debver, log in $work/build.log)"
if ! (cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
	tail -n 30 "$work/build.log"
	die "dpkg-buildpackage"
fi
arch=$(dpkg --print-architecture)
deb=$work/biso-recover_${debver}_$arch.deb
changes=$work/biso-recover_${debver}_$arch.changes
[ -f "$deb" ] || die "no $deb"

# 2. lintian: errors fail, warnings are shown.
say "lintian"
lintian --fail-on error "$changes" >"$work/lintian.log" 2>&1 && lrc=0 || lrc=$?
grep -v 'running with root privileges' "$work/lintian.log" || true
[ "$lrc" = 0 ] || die "lintian reports errors (above)"
say "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors, $(grep -c '^W:' "$work/lintian.log" || true) warnings"

# 3. A fresh bookworm root: the cached minbase, copied.
mkdir -p "$(dirname "$cache")"
(
	flock 9
	if [ ! -x "$cache/bin/sh" ]; then
		say "debootstrap --variant=minbase bookworm into $cache (once; ~2 min)"
		rm -rf "$cache.new"
		debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
			bookworm "$cache.new" "$mirror" >"$work/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$work/debootstrap.log"; exit 1; }
		mv "$cache.new" "$cache"
	fi
) 9>"$cache.lock" || die "debootstrap (log: $work/debootstrap.log)"
cp -a "$cache" "$root"
cp "$deb" "$root/tmp/"
mount --bind /proc "$root/proc"
mount --bind /dev "$root/dev"
inroot() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb "$@"; }
say "apt-get install ./$(basename "$deb") in the fresh root"
if ! inroot sh -c 'apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends "/tmp/$1" man-db bash-completion' sh "$(basename "$deb")" >"$work/apt.log" 2>&1; then
	tail -n 30 "$work/apt.log"
	die "the package does not install into a fresh bookworm root"
fi
cleanup

# 4. What an admin does first.
fails=""
check() { # check WHAT CMD...: runs CMD, records WHAT when it fails
	what=$1
	shift
	if "$@" >"$work/check.out" 2>&1; then
		say "ok: $what"
	else
		say "FAIL: $what"
		sed 's/^/    /' "$work/check.out" | head -n 20
		fails="$fails; $what"
	fi
}
version_is() { [ "$(inroot biso-recover --version)" = "biso-recover $upstream" ]; }
help_en() { inroot env LANG=C.UTF-8 biso-recover --help | grep -q '^Usage: biso-recover'; }
man_en() { # man finds the page by name and renders it without warnings
	inroot man -w biso-recover | grep -qx /usr/share/man/man1/biso-recover.1.gz &&
	inroot env MANWIDTH=80 man --warnings biso-recover 2>"$work/man.err" | grep -q '^NAME' &&
	! [ -s "$work/man.err" ] || { cat "$work/man.err"; false; }
}
conffile() { # registered, the example unchanged, and it loads
	inroot dpkg-query -W -f='${Conffiles}\n' biso-recover | grep -q '^ /etc/biso-recover.conf ' &&
	cmp "$root/etc/biso-recover.conf" "$top/share/biso-recover.conf.example" &&
	! inroot biso-recover cleanup --dry-run --backup-root /nonexistent 2>&1 | grep biso-recover.conf
}
completion() { # bash-completion loads it by the command's name
	inroot bash -c '. /usr/share/bash-completion/bash_completion && __load_completion biso-recover &&
		complete -p biso-recover' | grep -q -- '-F _biso_recover biso-recover'
}
units() { # the backup's systemd units name the packaged binary; none is enabled
	grep -qx 'ExecStart=/usr/bin/biso-recover backup' "$root/usr/lib/systemd/system/biso-recover-backup.service" &&
	grep -qx 'ExecStart=/usr/bin/biso-recover backup --config /etc/biso-recover/%i.conf' \
		"$root/usr/lib/systemd/system/biso-recover-backup@.service" &&
	[ -f "$root/usr/lib/systemd/system/biso-recover-backup.timer" ] &&
	[ -f "$root/usr/lib/systemd/system/biso-recover-backup@.timer" ] &&
	[ ! -e "$root/etc/systemd/system/timers.target.wants/biso-recover-backup.timer" ] &&
	[ -f "$root/usr/share/doc/biso-recover/examples/biso-recover-backup" ]
}
remove_purge() {
	inroot dpkg -r biso-recover >/dev/null && [ -f "$root/etc/biso-recover.conf" ] &&
	[ ! -e "$root/usr/bin/biso-recover" ] &&
	inroot dpkg -P biso-recover >/dev/null && [ ! -e "$root/etc/biso-recover.conf" ]
}
check "biso-recover --version says biso-recover $upstream" version_is
check "biso-recover --help (English)" help_en
# German (issue 15): the catalogue the package installs translates --help
# (the fresh root has no de_CH locale: LANGUAGE picks the catalogue, as
# gettext does for any locale but C), and man -L de finds and renders the
# German page.
help_de() {
	[ -f "$root/usr/share/locale/de/LC_MESSAGES/biso-recover.mo" ] &&
	inroot env LANG=C.UTF-8 LANGUAGE=de_CH:de biso-recover --help | grep -q '^Aufruf:'
}
check "biso-recover --help (German)" help_de
check "man biso-recover (English)" man_en
man_de() {
	inroot man -L de -w biso-recover | grep -qx /usr/share/man/de/man1/biso-recover.1.gz &&
	inroot env MANWIDTH=80 man -L de --warnings biso-recover 2>"$work/man.err" | grep -q '^BEZEICHNUNG' &&
	! [ -s "$work/man.err" ] || { cat "$work/man.err"; false; }
}
check "man biso-recover (German)" man_de
drills() { # the drill scenarios and the demo they build their sandbox from
	ls "$root"/usr/share/biso-recover/drills/*.conf >/dev/null 2>&1 &&
	[ -f "$root/usr/share/biso-recover/demo/pgcluster.sh" ]
}
check "the drill scenarios are installed" drills
check "/etc/biso-recover.conf is a conffile and loads" conffile
check "bash completion loads by name" completion
check "the backup's systemd units and cron example are installed, not enabled" units
check "dpkg -r keeps /etc/biso-recover.conf, dpkg -P removes it" remove_purge

[ -z "$fails" ] || die "${fails#; }"
rm -rf --one-file-system "$root"
say ok
