/*
 * The database commands: `biso-recover db-restore` replays one dump into a
 * database (with --create through the restore's database step), and
 * `db-inspect` lists what a dump holds, without a server.
 */
#include "config.h"
#include "cli.h"
#include "conninfo.h"
#include "conf.h"
#include "cpus.h"
#include "dumpinfo.h"
#include "frontend.h"
#include "i18n.h"
#include "logfile.h"
#include "replay.h"
#include "restore.h"
#include "run.h"
#include "strbuf.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void print_stats(const struct replay_stats *st)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long long n = st->statements;
	strbuf_addf(&sb, P_("%llu statement", "%llu statements", n), n);
	strbuf_addstr(&sb, ", ");
	/* rows sent: those of a COPY that failed on the server did not land */
	n = st->copy_rows;
	strbuf_addf(&sb, P_("%llu COPY row sent", "%llu COPY rows sent", n), n);
	strbuf_addstr(&sb, ", ");
	n = st->errors;
	strbuf_addf(&sb, P_("%llu error", "%llu errors", n), n);
	strbuf_addstr(&sb, ", ");
	n = st->warnings;
	strbuf_addf(&sb, P_("%llu warning", "%llu warnings", n), n);
	fprintf(stderr, "%s\n", sb.buf);
	strbuf_release(&sb);
}

static int cmd_db_restore(const struct cli *cl, struct conf *c)
{
	struct replay_opts ro = { 0 };
	struct replay_stats st = { 0 };
	struct batch_state bst;
	struct report r;
	struct err e = ERR_INIT;
	int bad_replay;

	if (cl->n_args != 1 || !cl->dbname)
		return cli_usage_error("db-restore needs --dbname CONNINFO and one DUMP (- for stdin)");
	if (cli_check_input("dump", cl->args[0], 0))
		return EXIT_USAGE;
	if (conninfo_check(cl->dbname, "--dbname", &e) < 0) {
		cli_usage_error("%s", e.lmsg ? e.lmsg : e.msg);
		err_clear(&e);
		return EXIT_USAGE;
	}
	/* psql would go on inside the aborted transaction: every statement
	 * after the first error fails, and nothing is restored in the end */
	if (cl->single_tx && c->database.on_error == CONF_ON_ERROR_CONTINUE)
		return cli_usage_error("--single-transaction and --on-error continue do not go together: "
				       "after the first error the transaction is aborted and nothing would be "
				       "restored");
	if (cl->create) {
		/* Reuse the restore's database step: it never drops the old database. */
		struct run_opts ropts = { 0 };
		struct run *run;
		struct logfile *log = NULL;
		int code = EXIT_DONE;
		ropts.only = "database";
		ropts.dump = cl->args[0];
		conf_set_str(&c->database.conninfo, cl->dbname);
		if (!(run = run_new(&restore_flow, c, &ropts, &e)))
			return cli_run_refused(NULL, &e);
		batch_report_init(&r, &bst, NULL);
		batch_install_signals();
		/* The dump first: a cut one is refused before anything is
		 * created, the log directory too (exit 2, as restore). */
		if (run_prepare(run, &r, &e) < 0 || restore_dump_check(run, &r, &e) < 0) {
			cli_run_refused("nothing was touched", &e);
			run_free(run);
			return batch_interrupted() ? EXIT_ABORTED : EXIT_USAGE;
		}
		/* The same guards and run log as the restore command: one run
		 * per target database (run_preflight() locks it), the server
		 * checked before anything is created. */
		if (!(log = cli_open_run_log(run, &e))) {
			run_free(run);
			return cli_run_refused(NULL, &e);
		}
		bst.log = log;
		if (run_preflight(run, &r, &e) < 0) {
			logfile_write(log, LOG_ERROR, e.msg);
			code = cli_run_refused("nothing was touched", &e);
		} else if (run_step(run, (size_t)run_step_index(run, "database"), &r, &e) < 0) {
			/* the step logged its errors and its end as they happened */
			err_clear(&e);
			code = batch_interrupted() ? EXIT_ABORTED : EXIT_FAILED;
		} else {
			code = run_exit_code(run); /* 3 after errors gone past */
		}
		if (code == EXIT_ABORTED)
			run_set_stopped(run, report_cancelled(&r));
		run_finish(run, code, &r);
		cli_log_end(log, run, code);
		fprintf(stderr, _("log: %s\n"), run_log_path(run));
		run_free(run);
		logfile_close(log);
		return code;
	}
	ro.conninfo = cl->dbname;
	ro.dump_path = cl->args[0];
	if (!strcmp(ro.dump_path, "-"))
		ro.display_name = "<stdin>"; /* as psql names it */
	ro.on_error_stop = c->database.on_error != CONF_ON_ERROR_CONTINUE;
	ro.single_transaction = cl->single_tx;
	ro.jobs = cl->jobs > 0 ? cl->jobs : cl->jobs < 0 ? cpus_usable() : 1;
	batch_report_init(&r, &bst, NULL);
	batch_install_signals();
	/* A --clean dump drops before it creates: one cut off would leave less
	 * than was there.  The dump check reads it once more, beside the
	 * replay, which commits nothing before it passed (psql does not check;
	 * --no-check does not either). */
	if (!cl->no_check && strcmp(ro.dump_path, "-")) {
		report_log(&r, LOG_INFO, "checking %s while the replay waits for it, uncommitted "
			   "(--no-check skips this)", ro.dump_path);
		ro.check_hint = N_("Use a complete dump (biso-recover db-inspect DUMP shows what one holds).");
	}
	bad_replay = replay_run(&ro, &r, &st, &e) < 0;
	frontend_progress_end();
	if (bad_replay && st.refused) {
		cli_print_err("nothing was changed in the database", &e);
		err_clear(&e);
		return batch_interrupted() ? EXIT_ABORTED : EXIT_FAILED;
	}
	if (bad_replay) {
		/* every error the replay counted was logged in full as it
		 * happened: say only how it ended */
		if (st.stopped && e.file && e.line)
			fprintf(stderr, _("biso-recover: stopped at %s:%ld (the error above); "
				"nothing after it was run\n"), e.file, e.line);
		else if (st.errors)
			fprintf(stderr, _("biso-recover: the restore of %s failed (the error above)\n"),
				ro.display_name ? ro.display_name : ro.dump_path);
		else
			cli_print_err(NULL, &e);
		err_clear(&e);
		return batch_interrupted() ? EXIT_ABORTED : EXIT_FAILED;
	}
	print_stats(&st);
	return st.errors ? EXIT_CONTINUED : EXIT_DONE;
}

static int cmd_db_inspect(const struct cli *cl, struct conf *c)
{
	struct dumpinfo di = { 0 };
	struct err e = ERR_INIT;
	int code = EXIT_DONE;
	if (cl->n_args != 1)
		return cli_usage_error("db-inspect needs one DUMP");
	if (cli_check_input("dump", cl->args[0], 0))
		return EXIT_USAGE;
	if (dumpinfo_scan(cl->args[0], &di, NULL, &e) < 0) {
		cli_print_err(NULL, &e);
		err_clear(&e);
		/* a cut dump: what it holds up to the cut is the finding */
		if (!di.cut) {
			dumpinfo_release(&di);
			return EXIT_FAILED;
		}
		code = EXIT_FAILED;
	}
	if (!di.bytes_sql) {
		fprintf(stderr, _("biso-recover: %s is empty (no SQL in it): the dump job that made it "
				"probably failed\n"), cl->args[0]);
		dumpinfo_release(&di);
		return EXIT_FAILED;
	}
	if (!di.pg_dump_version && !di.n_types && !di.n_tables) {
		fprintf(stderr, _("biso-recover: %s does not look like a pg_dump plain-format dump "
				"(no pg_dump header, no TOC entries)\n"), cl->args[0]);
		dumpinfo_release(&di);
		return EXIT_FAILED;
	}
	printf(_("dump:            %s%s\n"), cl->args[0], di.gzip ? _(" (gzip)") : "");
	printf(_("pg_dump version: %s\n"), di.pg_dump_version ? di.pg_dump_version : _("(unknown)"));
	printf(_("server version:  %s\n"), di.server_version ? di.server_version : _("(unknown)"));
	printf(_("\\restrict:       %s\n"), di.restrict_key ? _("yes") : _("no"));
	printf(_("\\connect:        %s\n"), di.has_connect ? _("yes (pg_dumpall-style)") : _("no"));
	if (di.complete)
		printf(_("complete:        yes (trailer present)\n"));
	else
		printf(_("complete:        NO (cut at line %ld / byte offset %llu of the SQL): no "
		       "\"dump complete\" trailer\n"), di.cut_line, (unsigned long long)di.bytes_sql);
	printf(_("size:            %llu bytes of SQL, %llu statements\n"),
	       (unsigned long long)di.bytes_sql, (unsigned long long)di.statements);
	printf(_("TOC entries:\n"));
	for (size_t i = 0; i < di.n_types; i++)
		printf("  %-32s %6lu\n", di.types[i].type, di.types[i].count);
	printf(_("tables with data: %zu\n"), di.n_tables);
	for (size_t i = 0; i < di.n_tables; i++)
		printf(_("  %-40s %10llu rows %12llu bytes  line %ld%s\n"), di.tables[i].name,
		       (unsigned long long)di.tables[i].rows, (unsigned long long)di.tables[i].bytes,
		       di.tables[i].line,
		       (long)i == di.cut_table ? _("  CUT: its COPY block ends at the cut") : "");
	/* An incomplete dump is a finding, not a success. */
	if (!di.complete)
		code = EXIT_FAILED;
	dumpinfo_release(&di);
	return code;
}

const struct command command_db_restore = {
	"db-restore",
N_("biso-recover db-restore --dbname CONNINFO [--create]\n"
"                    [--on-error stop|continue] [--jobs N]\n"
"                    [--single-transaction] [--no-check] [OPTIONS] DUMP\n"
"                    (DUMP - is stdin)\n"),
N_("Usage: biso-recover db-restore --dbname CONNINFO [OPTIONS] DUMP\n"
"\n"
"Replays one plain-format dump (plain SQL or gzip, told apart by content;\n"
"- reads standard input) into a database, as 'gunzip -c DUMP | psql' would,\n"
"with errors that name the dump line and TOC entry.  Custom-format and tar\n"
"dumps are handed to pg_restore.\n"
"\n"
"  --dbname CONNINFO      the target database, a libpq conninfo\n"
"                         (\"host=... dbname=biso\" or postgresql://...)\n"
"                         or just its name (biso), as psql takes it\n"
"  --create               restore into a new <db>_restoring database, check it\n"
"                         and swap it in; the old database is kept as\n"
"                         <db>_pre_restore_<stamp>\n"
"  --jobs N               load tables and build indexes on N connections (0: one\n"
"                         per core; default 1); the result is the same as with\n"
"                         one\n"
"  --on-error stop|continue  stop at the first failing statement (default), or\n"
"                         go on like psql, list every error and exit 3\n"
"  --single-transaction   wrap the replay in one transaction (not with a dump\n"
"                         that has its own BEGIN/COMMIT, nor with continue)\n"
"  --no-check             do not check the dump (by default it is read once\n"
"                         more beside the replay, which commits nothing before\n"
"                         the check passed: a pg_dump dump without its \"dump\n"
"                         complete\" trailer is refused and rolled back)\n"
"  --webroot DIR, --config-php FILE, --log-dir DIR\n"
"                         with --create: the instance whose database step it\n"
"                         runs (its lock, config.php, run log), as for restore\n"),
	(const char *const[]){ "dbname", "create", "on-error", "jobs", "single-transaction", "no-check",
			       "webroot", "config-php", NULL },
	1, cmd_db_restore
};

const struct command command_db_inspect = {
	"db-inspect",
N_("biso-recover db-inspect DUMP\n"),
N_("Usage: biso-recover db-inspect DUMP\n"
"\n"
"Lists what a plain-format dump holds, without a server: pg_dump and server\n"
"versions, \\restrict, the TOC entries per type, the tables with their COPY\n"
"row counts and bytes, and whether the dump is complete.\n"),
	NULL,
	0, cmd_db_inspect
};
