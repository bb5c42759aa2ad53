/* cleanup: `biso-recover cleanup`, the kept copies listed and the chosen
 * ones removed; see frontend.h.  Finding and removing is keptcopies.c. */
#include "config.h"
#include "cli.h"
#include "frontend.h"
#include "i18n.h"
#include "keptcopies.h"
#include "restore.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* @name indented by 5 columns on lines of at most 79 columns, then @mark
 * on the last line if it fits there; a path longer than a line is broken
 * after a '/'. */
static void print_name(const char *name, const char *mark)
{
	const int indent = 5, width = 79 - indent;
	size_t n = strlen(name), m = strlen(mark);

	for (;;) {
		size_t take = n;
		if ((int)take > width) {
			take = (size_t)width;
			for (size_t j = take; j > 1; j--)
				if (name[j - 1] == '/') {
					take = j;
					break;
				}
		}
		printf("%*s%.*s", indent, "", (int)take, name);
		name += take;
		n -= take;
		if (!n) {
			if (m && (int)(take + m) > width)
				printf("\n%*s", indent, "");
			printf("%s\n", mark);
			return;
		}
		putchar('\n');
	}
}

static void print_list(const struct kept_list *l, time_t now)
{
	/* the name on a line of its own: a path does not fit beside the
	 * columns on an 80-column terminal */
	printf("%3s  ", "#");
	cli_column(_("copy of"), 22, 0);
	putchar(' ');
	cli_column(_("taken"), 16, 0);
	fputs("  ", stdout);
	cli_column(_("age"), 18, 0);
	putchar(' ');
	cli_column(_("size"), 10, 1);
	putchar('\n');
	for (size_t i = 0; i < l->n; i++) {
		const struct kept_copy *c = &l->items[i];
		struct strbuf age = STRBUF_INIT, size = STRBUF_INIT, group = STRBUF_INIT;
		char when[32];
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&c->when, &(struct tm){ 0 }));
		strbuf_humanise_age_l10n(&age, (long long)(now - c->when));
		strbuf_humanise_bytes(&size, c->bytes);
		keptcopies_group_text(c->group, &group);
		printf("%3zu  ", i + 1);
		cli_column(group.buf, 22, 0);
		printf(" %-16s  ", when);
		cli_column(age.buf, 18, 0);
		putchar(' ');
		cli_column(size.buf, 10, 1);
		putchar('\n');
		print_name(c->name, c->newest ? _("  (newest: kept)") : "");
		strbuf_release(&age);
		strbuf_release(&size);
		strbuf_release(&group);
	}
}

/* Mark in @pick the copies @word names: N, N-M, a name, or all (every copy
 * but the newest of each kind).  -1 with a message on stderr when @word
 * names nothing, or a newest copy. */
static int choose(const struct kept_list *l, const char *word, char *pick)
{
	char *end;
	unsigned long a, b;
	if (!strcmp(word, "all")) {
		for (size_t i = 0; i < l->n; i++)
			pick[i] |= !l->items[i].newest;
		return 0;
	}
	a = strtoul(word, &end, 10);
	if (end != word) {
		b = a;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (*end || a < 1 || b < a || b > l->n) {
			fprintf(stderr, _("biso-recover: '%s' is not a number or range of the list (1-%zu)\n"),
				word, l->n);
			return -1;
		}
	} else {
		for (a = 0; a < l->n && strcmp(l->items[a].name, word); a++)
			;
		if (a == l->n) {
			fprintf(stderr, _("biso-recover: '%s' is not a kept copy of this instance\n"), word);
			return -1;
		}
		b = ++a;
	}
	for (unsigned long i = a; i <= b; i++) {
		if (l->items[i - 1].newest) {
			struct strbuf group = STRBUF_INIT;
			keptcopies_group_text(l->items[i - 1].group, &group);
			fprintf(stderr, _("biso-recover: %s is the newest copy of the %s: it is kept (a "
					  "failed restore goes back to it)\n"), l->items[i - 1].name,
				group.buf);
			strbuf_release(&group);
			return -1;
		}
		pick[i - 1] = 1;
	}
	return 0;
}

/* Split @line at blanks and choose() each word. */
static int choose_line(const struct kept_list *l, char *line, char *pick)
{
	char *save = NULL;
	for (char *w = strtok_r(line, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save))
		if (choose(l, w, pick) < 0)
			return -1;
	return 0;
}

int cleanup_run(const struct run *run, const struct cleanup_opts *o, struct report *r)
{
	struct restore_kept k;
	struct kept_list l;
	struct err e = ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	char *pick = NULL;
	size_t chosen = 0, failed = 0;
	uint64_t bytes = 0;
	int code = EXIT_DONE;

	restore_instance_kept(run, &k);
	if (keptcopies_find(&k.where, &l, r, &e) < 0) {
		err_format_l10n(&e, &sb);
		fprintf(stderr, "biso-recover: %s\n", sb.buf);
		strbuf_release(&sb);
		err_clear(&e);
		restore_kept_release(&k);
		return EXIT_FAILED;
	}
	if (!l.n && l.dbs_unlisted) {
		/* "no kept databases" would contradict the warning */
		printf(_("No kept copies of the webroot or datadir; kept databases could not be "
			 "listed (see the warning).\n"));
		goto out;
	}
	if (!l.n) {
		if (k.dbs[0])
			printf(_("No kept copies of %s or database %s.\n"), restore_instance_webroot(run), k.dbs[0]);
		else
			printf(_("No kept copies of %s.\n"), restore_instance_webroot(run));
		goto out;
	}
	print_list(&l, time(NULL));
	pick = xcalloc(l.n, 1);
	for (int i = 0; i < o->n_args; i++)
		if (choose(&l, o->args[i], pick) < 0) {
			code = EXIT_USAGE;
			goto out;
		}
	if (!o->n_args && o->dry_run) {
		printf(_("--dry-run: nothing was removed.\n"
			 "Name copies by number, range, name or all to see what would be removed.\n"));
		goto out;
	}
	if (!o->n_args) {
		/* a number off the list or a newest copy asks again (choose()
		 * said why), as the restore's confirmations do */
		int tries = 0, ok = 0;
		while (!ok && tries++ < FRONTEND_TRIES &&
		       frontend_ask(_("Remove which? (numbers such as 1 3-4, names, all: every "
				      "copy but the newest of each kind; Enter: none)"), &sb) == 0) {
			memset(pick, 0, l.n);
			ok = choose_line(&l, sb.buf, pick) == 0;
		}
		if (!ok) {
			code = batch_interrupted() ? EXIT_ABORTED : EXIT_USAGE;
			goto out;
		}
	}
	for (size_t i = 0; i < l.n; i++)
		if (pick[i]) {
			chosen++;
			bytes += l.items[i].bytes;
		}
	if (!chosen) {
		printf(_("Nothing chosen: nothing removed.\n"));
		goto out;
	}
	strbuf_reset(&sb);
	strbuf_humanise_bytes(&sb, bytes);
	if (o->dry_run)
		printf(P_("Would remove %zu copy (%s):\n", "Would remove %zu copies (%s):\n", chosen),
		       chosen, sb.buf);
	else
		printf(P_("To remove: %zu copy (%s):\n", "To remove: %zu copies (%s):\n", chosen),
		       chosen, sb.buf);
	for (size_t i = 0; i < l.n; i++)
		if (pick[i])
			printf("  %s\n", l.items[i].name);
	if (o->dry_run) {
		printf(_("--dry-run: nothing was removed\n"));
		goto out;
	}
	if (!o->yes) {
		/* the word stays "yes" in every language: what the manual and
		 * scripts type */
		int ok = frontend_ask(_("Type yes to remove them:"), &sb) == 0 && !strcmp(sb.buf, "yes");
		if (!ok) {
			report_log(r, LOG_WARN, "cleanup: not confirmed, nothing removed");
			code = EXIT_ABORTED;
			goto out;
		}
	}
	for (size_t i = 0; i < l.n && !batch_interrupted(); i++) {
		if (!pick[i])
			continue;
		if (keptcopies_remove(&k.where, &l.items[i], r, &e) < 0) {
			strbuf_reset(&sb);
			err_format(&e, &sb);
			report_log(r, LOG_ERROR, "%s", sb.buf);
			err_clear(&e);
			failed++;
		}
	}
	if (batch_interrupted())
		code = EXIT_ABORTED;
	else if (failed)
		code = EXIT_FAILED;
out:
	free(pick);
	strbuf_release(&sb);
	keptcopies_release(&l);
	restore_kept_release(&k);
	return code;
}
