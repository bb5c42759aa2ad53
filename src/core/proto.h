/*
 * proto: the messages between a runner and its clients (the wizard, the
 * line-mode front end) over a Unix stream socket.
 *
 * The runner does the work; a client draws what it reports and sends the
 * operator's answers.  A client that goes away decides nothing: the runner
 * goes on to the next question and waits there.
 *
 * Wire format, version PROTO_VERSION.  Every message is one frame:
 *
 *   u32 length   bytes that follow, 1 .. PROTO_MAX_FRAME
 *   u8  type     enum proto_type
 *   ...          the type's fields, in the order listed below
 *
 * Integers are big-endian (u8, u32, u64; i32 as its u32 two's complement).
 * A string is u32 byte count + bytes, no NUL, at most PROTO_MAX_STRING
 * bytes.  A frame holds exactly its fields: a short or long frame, an
 * unknown type or enum value, a NUL in a string or a length over the
 * limits is refused (the connection is then dropped: the peer is not one
 * of ours or not of this version).
 *
 *   HELLO     u32 version, u8 role, string who     first message, both ways
 *   PROGRESS  u32 step, u32 nsteps, u64 done, u64 total, u64 rate, string label,
 *             u64 items, string item
 *   LOG       u8 level (enum log_level), u64 time, string text
 *   QUESTION  u32 id, u8 kind, string text, u32 n, n × string choice
 *   ANSWER    u32 id, string value
 *   STEP      u32 step, u32 nsteps, u8 state, string title
 *   END       i32 exit code, string summary
 *   NOTICE    u8 kind, string text                  runner → client
 *   TAKEOVER  (no fields)                           client → runner
 *   CANCEL    i32 why                               client → runner
 *   VIEW      u32 index, u32 count, u8 state, u32 n, n × (string key,
 *             string value)                         runner → client
 *
 * A LOG's time is when the line was logged, in milliseconds since the
 * epoch (0: unknown), so that the backlog a late client gets keeps the
 * run log's times (added in version 3).
 * step is 1-based (0: before the first step); bytes and bytes per second
 * are u64 (total 0: unknown); label is the phase ("replaying"), items the
 * files, statements ... done, item the current one ("": none).  A client
 * answers a QUESTION with an ANSWER of the same id: "y"/"n" (PROTO_ASK_YESNO), the typed word
 * (PROTO_ASK_TYPED: choices[0] is the word asked for), "retry"/"skip"/
 * "abort" (PROTO_ASK_RETRY), one of the choices (PROTO_ASK_BACKUP: the
 * backups offered), and for PROTO_ASK_STEP (a runner started to ask before
 * every step, as the wizard reads each step first: its text is the step's
 * title, explanation and source/target lines) "run", "skip", "abort" (the
 * operator quits before the step), "resume" (as abort, the operator chose
 * to continue an interrupted run instead: the client starts that) or
 * "use N" (switch the step to backup N of its VIEW's "backup" list, then
 * ask again).  A "run" of a destructive step is followed by its YESNO or
 * TYPED confirmation; "n" there asks the ASK_STEP again.
 *
 * VIEW is what a screen shows of step @index (0-based among all @count
 * steps of the flow, selected or not) in @state, as key/value pairs in the
 * runner's language: state (the run's state of the step, also at a
 * question: pending, running, done, failed, skipped), name, title, explain, describe (source and target
 * lines), what (what a destructive step replaces; absent: nothing), word
 * (the confirmation's typed word), blocked (why it cannot run as planned),
 * seconds, started (a running step: when it started, ms since the epoch),
 * warnings, summary, kept, error (the failed step's error),
 * failed_note, choose_note, choose_error (why the backup chosen last
 * cannot be used), backup (repeated: the lines of the backups a "use N"
 * may choose, newest first; backup_name, repeated: their names), backup_cur (N of the one in the plan),
 * backup_pick (N of the one to offer first).  @index == @count is the run
 * itself: target (the title line's text), flow, flow_title (for
 * headings: "Restore"), interrupted (the line
 * saying a run of the flow was interrupted, when this run may resume it),
 * ask_once ("1": the PROTO_ASK_STEP before the first step is the only
 * one; its "run" starts all steps, which then run without questions),
 * ask_steps ("1": the runner asks a PROTO_ASK_STEP before steps, and "n"
 * at a confirmation asks that again; absent: a line-mode run, where "n"
 * stops the run), drill ("1": the run is a drill's, in its sandbox: a
 * wizard attached later shows the DRILL banner).
 * A runner sends every step's VIEW when a client attaches and again
 * whenever a step changes, before the question about it; unknown keys are
 * ignored.  A CANCEL asks the runner to stop at the step's next
 * safe point, as Ctrl-C did in-process: why is a report cancel code (1:
 * the operator, REPORT_STOP_SIGNAL(sig)); only the controlling client's
 * counts.  A version mismatch in HELLO is answered with an END
 * (exit code 2, the reason in the summary) and the connection closed.
 *
 * Connections are non-blocking: proto_conn keeps what is half read and
 * half written, so a frame split over any number of reads and writes
 * arrives whole.  Sends never raise SIGPIPE.
 */
#ifndef BR_PROTO_H
#define BR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct err;

#define PROTO_VERSION 3
#define PROTO_MAX_FRAME (1u << 20)   /* bytes after the length word */
#define PROTO_MAX_STRING (64u << 10) /* bytes of one string */
#define PROTO_MAX_CHOICES 64u
#define PROTO_MAX_FIELDS 256u  /* key/value pairs of a VIEW */

enum proto_type {
	PROTO_HELLO = 1,
	PROTO_PROGRESS,
	PROTO_LOG,
	PROTO_QUESTION,
	PROTO_ANSWER,
	PROTO_STEP,
	PROTO_END,
	PROTO_NOTICE,
	PROTO_TAKEOVER,
	PROTO_CANCEL,
	PROTO_VIEW,
};

enum proto_role {
	PROTO_ROLE_RUNNER = 1, /* the runner's own HELLO */
	PROTO_ROLE_CONTROL,    /* a client that wants to answer questions */
	PROTO_ROLE_WATCH,      /* a client that only watches */
};

enum proto_ask {
	PROTO_ASK_YESNO = 1, /* "y" or "n" */
	PROTO_ASK_TYPED,     /* type the word in choices[0] */
	PROTO_ASK_RETRY,     /* "retry", "skip" or "abort" */
	PROTO_ASK_BACKUP,    /* one of choices */
	PROTO_ASK_STEP,      /* "run", "skip", "abort", "resume" or "use N" */
};

enum proto_step_state {
	PROTO_STEP_PENDING = 1,
	PROTO_STEP_RUNNING,
	PROTO_STEP_DONE,
	PROTO_STEP_FAILED,
	PROTO_STEP_SKIPPED,
	PROTO_STEP_WAITING, /* at a question */
};

enum proto_notice {
	PROTO_NOTICE_CONTROL = 1, /* you answer the questions now */
	PROTO_NOTICE_READ_ONLY,   /* another client answers (text: who, since when) */
	PROTO_NOTICE_TAKEN_OVER,  /* another client took over: you are read-only */
};

/* One decoded message.  Strings are malloc'd and owned by the message
 * (never NULL after a decode); free them with proto_msg_clear(). */
struct proto_msg {
	enum proto_type type;
	union {
		struct { uint32_t version; enum proto_role role; char *who; } hello;
		struct {
			uint32_t step, nsteps;
			uint64_t done, total, rate; /* bytes, bytes, bytes per second */
			char *label;    /* the phase */
			uint64_t items; /* files, statements ... done */
			char *item;     /* the current one */
		} progress;
		struct {
			int level;     /* enum log_level */
			uint64_t time; /* ms since the epoch when logged; 0: unknown */
			char *text;
		} log;
		struct {
			uint32_t id;
			enum proto_ask kind;
			char *text;
			char **choices;
			uint32_t n_choices;
		} question;
		struct { uint32_t id; char *value; } answer;
		struct { uint32_t step, nsteps; enum proto_step_state state; char *title; } step;
		struct { int32_t code; char *summary; } end;
		struct { enum proto_notice kind; char *text; } notice;
		struct { int32_t why; } cancel; /* a report cancel code */
		struct {
			uint32_t index, count;
			enum proto_step_state state;
			char **kv;      /* 2 × n_fields: key, value, key, value ... */
			uint32_t n_fields;
		} view;
	} u;
};

/* Free @m's strings and zero it. */
void proto_msg_clear(struct proto_msg *m);

/* Append @m as one frame to @out.  Strings the caller gives may be NULL
 * (sent as ""); a string over PROTO_MAX_STRING is cut at that length.
 * -1 with @e for an unknown type or enum value or more than
 * PROTO_MAX_CHOICES choices (nothing appended). */
int proto_encode(const struct proto_msg *m, struct strbuf *out, struct err *e);

/* Decode the frame at the start of @buf (@len bytes).  1: @m filled (free
 * with proto_msg_clear()), *@used = the frame's bytes; 0: @buf holds only
 * part of a frame (wait for more); -1 with @e saying what is wrong and at
 * which byte offset of the frame: refuse the connection. */
int proto_decode(const void *buf, size_t len, struct proto_msg *m, size_t *used, struct err *e);

/* One end of a connection: the socket and what is not yet read or sent. */
struct proto_conn {
	int fd;             /* non-blocking; owned by the caller */
	struct strbuf in;   /* received, not yet decoded */
	struct strbuf out;  /* encoded, not yet sent */
	size_t out_off;     /* bytes of out already sent */
	int eof;            /* the peer closed its end */
};

/* Set up @c on @fd, made non-blocking here.  -1 with @e if fcntl fails. */
int proto_conn_init(struct proto_conn *c, int fd, struct err *e);
/* Free the buffers (the descriptor stays open: the caller's). */
void proto_conn_release(struct proto_conn *c);

/* Queue @m and send what the socket takes now (proto_flush()).  Returns
 * as proto_flush(); -1 also for proto_encode()'s refusals. */
int proto_send(struct proto_conn *c, const struct proto_msg *m, struct err *e);
/* Send queued bytes until the socket would block.  1: all sent; 0: some
 * left (poll for POLLOUT and call again); -1 with @e: the peer is gone
 * ("the other side closed the connection") or another error. */
int proto_flush(struct proto_conn *c, struct err *e);
/* Read what the socket has now into c->in.  1: read (or nothing there
 * yet); 0: end of file (c->eof set; frames already buffered can still be
 * taken with proto_next()); -1 with @e on a read error. */
int proto_read(struct proto_conn *c, struct err *e);
/* Take the next whole frame out of c->in: 1 with @m; 0 when none is
 * complete (at end of file with bytes left over, -1: "cut off"); -1 with
 * @e for a malformed frame. */
int proto_next(struct proto_conn *c, struct proto_msg *m, struct err *e);

/* Append the pair @key, @value (copied; NULL: "") to VIEW @m. */
void proto_view_add(struct proto_msg *m, const char *key, const char *value);
/* The value of the @nth pair (0: the first) with @key in VIEW @m,
 * borrowed, or NULL. */
const char *proto_view_get(const struct proto_msg *m, const char *key, size_t nth);

/* The wire name of a type ("hello", "progress", ...), "?" if unknown. */
const char *proto_type_name(int type);

#endif
