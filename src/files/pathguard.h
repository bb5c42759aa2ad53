/*
 * pathguard: the one rule for which directories a restore may replace
 * (issue 16.3).  A restore renames its target away and puts a new tree in
 * its place (or empties it), then may chown it: named by a typo or a bad
 * config.php (Config::set('datadir', '/etc')), that target would take the
 * running system with it.  Paths are judged after resolving symlinks and
 * "..": the realpath of the deepest existing ancestor, the rest of the
 * path taken as written.  Used by restore_preflight() and fsrestore_run(),
 * before anything changes (also in a dry run).
 */
#ifndef BR_PATHGUARD_H
#define BR_PATHGUARD_H

struct err;

/*
 * The absolute path @path names, symlinks and ".." resolved as far as it
 * exists (a relative @path is taken from the working directory).  Returns
 * a malloc'd string the caller frees; NULL only when the working
 * directory cannot be read (errno set).
 */
char *pathguard_resolve(const char *path);

/*
 * May the directory @path (the @what: "webroot", "datadir", "target") be
 * replaced?  Refused: "/", the top-level system directories (/etc, /usr,
 * /var, /home, ...) and the well-known ones below them (/usr/lib,
 * /var/lib, /var/www, ...), anything inside /etc, /proc, /sys, /dev,
 * /boot, /run, /bin, /sbin, /lib* and /usr/{bin,sbin,lib*,libexec,include},
 * and any ancestor of (or the same directory as) a directory the running
 * system uses: the program's own directory, each absolute entry of $PATH,
 * $HOME.  Returns 0, or -1 with @e naming @what, the path as given and as
 * resolved, and what to do.
 */
int pathguard_target(const char *what, const char *path, struct err *e);

/*
 * pathguard_target() for @webroot and @datadir (either may be NULL: not
 * checked), then how they lie to each other and to @backup_root (NULL: not
 * known): refused are a datadir that is the webroot, contains it or lies
 * inside it other than as <webroot>/data (the default), and a datadir or
 * webroot that contains the backup root or lies inside it.  Returns 0, or
 * -1 with @e set.
 */
int pathguard_dirs(const char *webroot, const char *datadir, const char *backup_root,
		   struct err *e);

/* The path of @dir relative to @top as written ("data" for
 * "/srv/biso/data" in "/srv/biso/", trailing slashes of @top ignored),
 * pointing into @dir; NULL when @dir is NULL, @top itself or outside it.
 * No resolving: how a flow tells a datadir inside its webroot. */
const char *pathguard_inside(const char *dir, const char *top);

#endif
