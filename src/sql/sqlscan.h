/*
 * sqlscan: split SQL text into statements and meta-commands as psql does.
 *
 * Follows the lexer rules of psql's psqlscan.l (PostgreSQL 15) that decide
 * where a statement ends: a ';' outside quotes, comments and parentheses
 * ends it, unless inside a BEGIN ATOMIC ... END function body.  The rules:
 *   - whitespace and `--` comments before a statement are dropped (and read
 *     for pg_dump's TOC comments `-- Name: x; Type: y; Schema: z; Owner: w`);
 *   - nested block comments;
 *   - '...' strings, with backslash escapes when standard_conforming_strings
 *     is off; E'...' always with escapes; U&'...', B'...', X'...', N'...'
 *     (the prefix only at the start of a token: `abe'x'` is an identifier
 *     and a string); '' doubling in all of them;
 *   - "..." identifiers (may hold ; ' $) with "" doubling, U&"...";
 *   - dollar quotes $tag$...$tag$ with psql's tag rules (`abc$x$` is an
 *     identifier, `$1` a parameter);
 *   - parenthesis depth;
 *   - CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END, with
 *     CASE ... END inside.  Unlike psql, BEGIN counts only when followed by
 *     ATOMIC, so a function named begin (pg_dump writes `public.begin()`)
 *     does not swallow the rest of the dump;
 *   - a backslash outside quotes starts a meta-command that runs to the end
 *     of the line (`\;` and `\:` put a literal ; or : in the statement);
 *   - client encodings whose trail bytes can look like ASCII (SJIS, BIG5,
 *     GBK, UHC, GB18030, JOHAB, SHIFT_JIS_2004) are read character-wise.
 * psql variables (:name) are not interpolated: dumps never rely on them.
 *
 * Input is fed in pieces of any size; statements are handed out as soon as
 * they are complete, so a caller can read COPY data itself right after a
 * COPY ... FROM stdin statement.  Memory: the current statement plus the
 * unscanned rest of the last piece; with `keep` set, only the first `keep`
 * bytes of a statement (readers that do not send it).  A `--` comment line
 * or meta-command longer than SQLSCAN_LINE_MAX is cut there (the rest of
 * its line is skipped), so no line shape makes memory grow without a
 * statement.  Time is linear in the input whatever its line lengths: a
 * token cut by the end of a piece is not scanned again from its start.
 */
#ifndef BR_SQLSCAN_H
#define BR_SQLSCAN_H

#include <stddef.h>

#include "strbuf.h"

/* Longest statement PostgreSQL accepts: a query message's body (the text
 * and its NUL) is at most MaxAllocSize - 1 bytes; the server refuses more. */
#define SQLSCAN_STMT_MAX ((size_t)0x3fffffff - 2)

/* Longest `--` comment or meta-command handed out; longer ones are cut. */
#define SQLSCAN_LINE_MAX (64 * 1024)

enum sqlscan_result {
	SQLSCAN_MORE = 0, /* all input scanned: feed more (or call sqlscan_eof) */
	SQLSCAN_STMT,     /* a statement is complete */
	SQLSCAN_META,     /* a meta-command (backslash line) is complete */
	SQLSCAN_COMMENT,  /* a top-level `--` comment line (only if want_comments) */
	SQLSCAN_END,      /* end of input, nothing pending */
};

/* pg_dump sections, from the TOC comments' types. */
enum sqlscan_section { SQLSCAN_PRE_DATA, SQLSCAN_DATA, SQLSCAN_POST_DATA };

/* Client encodings the scanner must read character-wise. */
enum sqlscan_encoding {
	SQLSCAN_ENC_SAFE = 0, /* UTF8, LATIN*, EUC_*, SQL_ASCII ...: bytewise is fine */
	SQLSCAN_ENC_SJIS,     /* SJIS, SHIFT_JIS_2004 */
	SQLSCAN_ENC_BIG5,     /* also GBK, UHC: lead byte >= 0x80, 2 bytes */
	SQLSCAN_ENC_GB18030,
	SQLSCAN_ENC_JOHAB,
};

/* What sqlscan_next() found.  Pointers are valid until the next call. */
struct sqlscan_item {
	const char *text; /* statement text including its ';', or the meta-command
			     without the backslash and line end, or the comment
			     line without "--" and line end; NUL-terminated */
	size_t len;
	long line;        /* 1-based line where it starts */
	long end_line;    /* line of its last character (the ';') */
	int copy_in;      /* statement is COPY ... FROM stdin: data follows */
	int incomplete;   /* text at end of input without a terminating ';' */
	int in_string;    /* incomplete and still inside a quote or comment */
	int truncated;    /* text is only the start: a statement longer than
			     `keep`, or a comment/meta-command line longer than
			     SQLSCAN_LINE_MAX */
	unsigned long top_parens; /* '(' opened outside any parentheses: for
				     INSERT ... VALUES (..), (..) the rows (plus
				     one for a column list) */
	size_t full_len;  /* bytes it spans in the input (>= len: dropped parts,
			     \; backslashes and meta-command lines included) */
};

struct sqlscan {
	/* settings the caller keeps current (from the server's ParameterStatus) */
	int std_strings;  /* standard_conforming_strings: 1 on (default), 0 off */
	enum sqlscan_encoding encoding;
	int want_comments; /* 1: return top-level `--` comments as SQLSCAN_COMMENT */
	size_t keep;       /* 0: hand out whole statements; else keep only their
			      first `keep` bytes (it->truncated), for readers
			      that only look at statements (dumpinfo) */

	/* TOC state, read by the caller */
	struct strbuf toc;      /* "Name: x; Type: y; Schema: z; Owner: w", "" before the first */
	struct strbuf toc_type; /* "TABLE", "TABLE DATA", ... */
	struct strbuf toc_what; /* "table public.person": the entry's type in lower
				   case ("TABLE DATA" as "table") and its name with
				   its schema, for a progress line; "" before the first */
	long toc_line;          /* line of that comment, 0 if none */
	enum sqlscan_section section;
	int pg_dump_header;     /* saw "-- PostgreSQL database [cluster] dump" */
	int pg_dump_complete;   /* saw its "... dump complete" trailer */

	/* work done, for tests and bench: bytes looked at (a byte scanned
	 * again after more input counts again) and bytes moved in the buffer */
	unsigned long long examined, moved;

	/* private */
	struct strbuf buf;
	struct strbuf tag;  /* current dollar-quote delimiter */
	struct strbuf meta; /* last meta-command text */
	size_t pos, start;
	size_t hole, hole_len; /* bytes of the statement deleted (\; backslashes,
				  meta-commands, what `keep` drops) but not yet
				  moved out: buf[hole, hole + hole_len) */
	size_t dropped;        /* bytes of the statement `keep` dropped */
	size_t gone;           /* bytes of the statement moved out of buf */
	size_t resume_at, resume_to; /* the token at resume_at was scanned up to
					resume_to before more input was needed */
	int resume_ok;
	int skip_in_stmt;      /* ST_SKIPLINE: the skipped bytes were in a statement */
	size_t restore_at;  /* byte NUL-ed to terminate a handed-out item */
	int restore_byte;   /* its value, -1 if none */
	int state, xcdepth, paren, begin_depth, begin_pending;
	unsigned long top_parens;
	char idents[4];
	unsigned ident_count;
	int copy_state;
	int started, eof;
	long line, stmt_line;
};

/* Initialise @s: standard_conforming_strings on, safe encoding, line 1. */
void sqlscan_init(struct sqlscan *s);
/* Free @s's buffers. */
void sqlscan_release(struct sqlscan *s);
/* Append @len bytes of input (copied). */
void sqlscan_feed(struct sqlscan *s, const char *data, size_t len);
/* Declare the end of input: sqlscan_next() then returns what is left. */
void sqlscan_eof(struct sqlscan *s);
/*
 * Scan on.  Returns SQLSCAN_STMT / SQLSCAN_META / SQLSCAN_COMMENT with @it
 * filled, SQLSCAN_MORE when the input fed so far is used up, SQLSCAN_END
 * after sqlscan_eof() when nothing is left.  After a statement with
 * it->copy_in, the caller reads the COPY data itself (starting on the line
 * after it->end_line, after the rest of the current piece, which pg_dump
 * leaves empty) and reports the lines it consumed with sqlscan_add_lines().
 */
enum sqlscan_result sqlscan_next(struct sqlscan *s, struct sqlscan_item *it);
/* Count @n lines the caller read around the scanner (COPY data). */
void sqlscan_add_lines(struct sqlscan *s, long n);
/* Current line (1-based) of the scan position. */
long sqlscan_line(const struct sqlscan *s);
/* Bytes fed but not yet handed out (pending statement + unscanned input). */
size_t sqlscan_pending(const struct sqlscan *s);
/* Line where the statement being read starts, 0 between statements. */
long sqlscan_stmt_line(const struct sqlscan *s);

/* Encoding class of a PostgreSQL client encoding name ("SJIS", "UTF8"...). */
enum sqlscan_encoding sqlscan_encoding_of(const char *name);

/*
 * Offline tracking for readers without a server (dumpinfo): if @stmt is
 * `SET standard_conforming_strings = on|off` or `SET client_encoding = 'X'`
 * update @s as the server would.  Returns 1 if it changed something.
 */
int sqlscan_apply_set(struct sqlscan *s, const char *stmt);

/* Copy the first line of @text (at most @max bytes, "..." appended when
 * cut) into @out, after leading whitespace.  For error messages. */
void sqlscan_first_line(const char *text, size_t max, struct strbuf *out);

#endif
