/*
 * The file-tree commands: `biso-recover files-restore` restores one tree
 * (directory, archive or host:path) with staging and swap, and
 * `files-verify` compares a tree with its backup.
 */
#include "config.h"
#include "cli.h"
#include "timestamp.h"
#include "frontend.h"
#include "fsrestore.h"
#include "i18n.h"
#include "strbuf.h"

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

/* @s on stdout with control characters as \#ooo, as rsync prints names. */
static void print_escaped(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (*p == '\\' && p[1] == '#'))
			printf("\\#%03o", *p);
		else
			putchar(*p);
	}
}

/* files-verify: one difference per line on stdout, "PATH: WHAT" (a
 * newline in a name or symlink target cannot split the line). */
static void print_difference(void *ctx, const char *rel, const char *what, const char *what_l10n)
{
	(void)ctx;
	(void)what; /* the English for a log; files-verify has none */
	frontend_progress_end();
	print_escaped(rel);
	fputs(": ", stdout);
	print_escaped(what_l10n);
	putchar('\n');
}

static int cmd_files_verify(const struct cli *cl, struct conf *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	struct batch_state bst;
	struct report r;
	struct err e = ERR_INIT;
	int code;

	if (cl->n_args != 2)
		return cli_usage_error("files-verify needs SOURCE (the backup) and TARGET (the tree)");
	o.source = cl->args[0];
	o.target = cl->args[1];
	o.excludes = cl->excludes;
	o.checksum = cl->checksum;
	o.keep_special_modes = cl->keep_modes;
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	if (fsrestore_verify(&o, print_difference, NULL, &r, &res, &e) < 0) {
		fflush(stdout);
		frontend_progress_end();
		cli_print_err(NULL, &e);
		err_clear(&e);
		fsrestore_result_release(&res);
		/* 1 means "differs": a tree that could not be compared is 2 */
		return batch_interrupted() ? EXIT_ABORTED : EXIT_USAGE;
	}
	frontend_progress_end();
	strbuf_addf(&sb, P_("%llu difference", "%llu differences", res.differences),
		    (unsigned long long)res.differences);
	strbuf_addstr(&sb, " (");
	fsrestore_add_counts_l10n(&sb, &res);
	if (cl->checksum)
		printf(_("%s compared, content by SHA-256)\n"), sb.buf);
	else
		printf(_("%s compared)\n"), sb.buf);
	strbuf_release(&sb);
	code = res.differences ? EXIT_FAILED : EXIT_DONE;
	fsrestore_result_release(&res);
	return code;
}

static int cmd_files_restore(const struct cli *cl, struct conf *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct fsrestore_opts o = { 0 };
	struct fsrestore_result res = { 0 };
	struct batch_state bst;
	struct report r;
	struct err e = ERR_INIT;
	char stamp[16];
	int code;

	if (cl->n_args != 2)
		return cli_usage_error("files-restore needs SOURCE and TARGET");
	if (!fsrestore_is_remote(cl->args[0]) && cli_check_input(N_("source"), cl->args[0], 1))
		return EXIT_USAGE;
	timestamp_name(time(NULL), stamp);
	o.source = cl->args[0];
	o.target = cl->args[1];
	o.excludes = cl->excludes;
	if (cl->merge && cl->in_place)
		return cli_usage_error("--merge and --in-place exclude each other");
	o.mode = cl->merge ? FSRESTORE_MERGE : cl->in_place ? FSRESTORE_INPLACE : FSRESTORE_REPLACE;
	o.confirm_inplace = cl->in_place && cl->yes;
	o.checksum = cl->checksum;
	o.xattrs = cl->xattrs;
	o.acls = cl->acls;
	o.keep_special_modes = cl->keep_modes;
	o.stamp = stamp;
	o.dry_run = cl->dry_run;
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	if (fsrestore_run(&o, &r, &res, &e) < 0) {
		frontend_progress_end();
		/* a system directory as the target: refused as restore refuses it */
		code = res.target_refused ? EXIT_USAGE : EXIT_FAILED;
		cli_print_err(NULL, &e);
		err_clear(&e);
		fsrestore_result_release(&res);
		return batch_interrupted() ? EXIT_ABORTED : code;
	}
	frontend_progress_end();
	if (!cl->dry_run) { /* a dry run logged what the source holds */
		struct stat st;
		/* an archive without "./" leaves the staging directory's 0700 */
		if (o.mode == FSRESTORE_REPLACE && !fsrestore_is_remote(o.source) &&
		    stat(o.source, &st) == 0 && !S_ISDIR(st.st_mode))
			fsrestore_fix_root_mode(o.target, res.kept_as, &r);
		fsrestore_add_counts_l10n(&sb, &res);
		strbuf_addstr(&sb, ", ");
		strbuf_addf(&sb, P_("%llu byte", "%llu bytes", res.bytes), (unsigned long long)res.bytes);
		if (res.kept_as)
			strbuf_addf(&sb, _("; old tree kept as %s"), res.kept_as);
		if (res.modes_changed) {
			strbuf_addstr(&sb, "; ");
			strbuf_addf(&sb, P_("%llu mode without set-id or world-write bits (listed above; "
					    "--keep-special-modes keeps them)",
					    "%llu modes without set-id or world-write bits (listed above; "
					    "--keep-special-modes keeps them)", res.modes_changed),
				    (unsigned long long)res.modes_changed);
		}
		/* refused members are errors gone past (bsdtar's delayed
		 * error exit): the tree lacks them */
		if (res.refused) {
			strbuf_addstr(&sb, "; ");
			strbuf_addf(&sb, P_("%llu member refused (listed above), not restored",
					    "%llu members refused (listed above), not restored", res.refused),
				    (unsigned long long)res.refused);
		}
		fprintf(stderr, "%s\n", sb.buf);
	}
	code = res.refused && !cl->dry_run ? EXIT_CONTINUED : EXIT_DONE;
	strbuf_release(&sb);
	fsrestore_result_release(&res);
	return code;
}

const struct command command_files_restore = {
	"files-restore",
N_("biso-recover files-restore [--exclude PATTERN]... [--merge] [--checksum]\n"
"                    [--xattrs] [--acls] [--keep-special-modes]\n"
"                    [--in-place --yes] [--dry-run] SOURCE TARGET\n"
"                    (SOURCE: directory, archive, or host:path via rsync)\n"),
N_("Usage: biso-recover files-restore [OPTIONS] SOURCE TARGET\n"
"\n"
"Restores the tree SOURCE (a directory; a tar, tar.gz, tar.bz2, tar.xz,\n"
"tar.zst or zip archive; or host:path, fetched with rsync over ssh first)\n"
"into TARGET.  By default the tree is written to TARGET.restoring, verified,\n"
"and swapped in; the old TARGET is kept as TARGET.pre-restore-<stamp>.\n"
"\n"
"  --exclude PATTERN      leave out what matches (rsync's pattern rules; may be\n"
"                         given more than once)\n"
"  --merge                write into the existing TARGET like rsync -a: files\n"
"                         are added or replaced, nothing is deleted\n"
"  --in-place --yes       empty TARGET and write into it, without a staging\n"
"                         copy: only when the disk has no room for one (the old\n"
"                         tree is lost if the restore fails)\n"
"  --checksum             verify content by SHA-256 too, not only size and\n"
"                         mtime\n"
"  --xattrs               restore extended attributes (as rsync -X)\n"
"  --acls                 restore POSIX ACLs (as rsync -A)\n"
"  --keep-special-modes   restore set-uid and set-gid bits of files and\n"
"                         world-write bits as the backup has them (as\n"
"                         bsdtar -p); by default they are cleared and each\n"
"                         change is listed\n"
"  --dry-run              count what SOURCE holds (files, directories, bytes);\n"
"                         write nothing\n"
"\n"
"Members that are not safe to write (absolute paths, \"..\", links through a\n"
"symlink, ...) are refused and listed; the rest is restored.\n"
"Exit status 0: done; 1: failed (TARGET unchanged, except with --in-place);\n"
"2: usage, or TARGET is a system directory (nothing touched); 3: done, but\n"
"members were refused (counted in the summary).\n"),
	(const char *const[]){ "exclude", "merge", "checksum", "xattrs", "acls", "keep-special-modes", "in-place", "yes", "dry-run", NULL },
	0, cmd_files_restore
};

const struct command command_files_verify = {
	"files-verify",
N_("biso-recover files-verify [--checksum] [--exclude PATTERN]...\n"
"                    [--keep-special-modes] SOURCE TARGET\n"
"                    (compares the tree TARGET with the backup SOURCE, a\n"
"                    directory or archive; prints each path that differs;\n"
"                    exit 1 if any, 2 if it could not compare)\n"),
N_("Usage: biso-recover files-verify [--checksum] [--exclude PATTERN]...\n"
"                                 [--keep-special-modes] SOURCE TARGET\n"
"\n"
"Compares the existing tree TARGET with the backup SOURCE (a directory or an\n"
"archive) without changing either: type, size, permissions, mtime, symlink\n"
"targets and hardlinks.  Prints each path that differs, then the count.\n"
"Exit status 0: the same; 1: something differs; 2: could not compare.\n"
"\n"
"  --checksum             compare the content of every file by SHA-256 too\n"
"  --exclude PATTERN      leave out what matches, on both sides (rsync's rules)\n"
"  --keep-special-modes   expect set-id and world-write bits as in SOURCE (a\n"
"                         tree restored with that option); by default they\n"
"                         are expected cleared, as files-restore leaves them\n"),
	(const char *const[]){ "checksum", "exclude", "keep-special-modes", NULL },
	0, cmd_files_verify
};
