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
 *   LOG       u8 level (enum log_level), string text
 *   QUESTION  u32 id, u8 kind, string text, u32 n, n × string choice
 *   ANSWER    u32 id, string value
 *   STEP      u32 step, u32 nsteps, u8 state, string title
 *   END       i32 exit code, string summary
 *   NOTICE    u8 kind, string text                  runner → client
 *   TAKEOVER  (no fields)                           client → runner
 *   CANCEL    i32 why                               client → runner
 *
 * step is 1-based (0: before the first step); bytes and bytes per second
 * are u64 (total 0: unknown); label is the phase ("replaying"), items the
 * files, statements ... done, item the current one ("": none).  A client
 * answers a QUESTION with an ANSWER of the same id: "y"/"n" (PROTO_ASK_YESNO), the typed word
 * (PROTO_ASK_TYPED: choices[0] is the word asked for), "retry"/"skip"/
 * "abort" (PROTO_ASK_RETRY), one of the choices (PROTO_ASK_BACKUP: the
 * backups offered).  A CANCEL asks the runner to stop at the step's next
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

#define PROTO_VERSION 1
#define PROTO_MAX_FRAME (1u << 20)   /* bytes after the length word */
#define PROTO_MAX_STRING (64u << 10) /* bytes of one string */
#define PROTO_MAX_CHOICES 64u

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
		struct { int level; char *text; } log; /* level: enum log_level */
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

/* The wire name of a type ("hello", "progress", ...), "?" if unknown. */
const char *proto_type_name(int type);

#endif
