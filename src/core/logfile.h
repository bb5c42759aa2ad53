/*
 * logfile: the run log, after tmux's log.c: one file per run, mode 0600
 * (it may name paths and databases of a production system), every line
 * with a timestamp and level.  Thread-safe: the wizard's worker thread and
 * its UI thread both write to it.
 *
 * Passwords never reach the file: logfile_write() masks every line (see
 * log_mask_secrets()), so a caller may log a conninfo as it is.  The same
 * line on the terminal (line mode's stderr) is not masked: what goes there
 * too is formatted with conninfo_redacted().
 */
#ifndef BR_LOGFILE_H
#define BR_LOGFILE_H

#include "report.h"

struct err;
struct logfile;

/* Create the log "<dir>/biso-recover-<stamp>.log" (directory created 0700 if
 * missing).  Returns the handle (owned by the caller, free with
 * logfile_close()) or NULL with @e set.  *@path_out (may be NULL) gets a
 * pointer to the path, owned by the logfile. */
struct logfile *logfile_open(const char *dir, const char *stamp, const char **path_out,
			     struct err *e);
/* Append one line "2026-11-29 09:30:00.123 INFO  text".  NULL @lf: no-op. */
void logfile_write(struct logfile *lf, enum log_level level, const char *line);
/* Flush and close; NULL is fine. */
void logfile_close(struct logfile *lf);
/* A report whose log callback writes to @lf (ctx = lf), for tee-ing. */
void logfile_report_log(void *lf, enum log_level level, const char *line);

/* Copy @line into @out with every password replaced by "***": the value
 * after "password=" or "password:" (any case; quoted as libpq quotes it,
 * else up to white space, which also covers a URI's ?password=) and the
 * secret of a URI's "://user:secret@". */
struct strbuf;
void log_mask_secrets(const char *line, struct strbuf *out);

#endif
