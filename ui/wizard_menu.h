/*
 * wizard_menu: the wizard's first screen, before any run exists.
 *
 * What `biso-recover` with no command shows on a terminal: restore this
 * instance, refresh a test system, take a backup, practise (a drill), each
 * with two lines of explanation.  The refresh asks its attachments policy
 * here (the flow's plan needs it), unless the caller found the instance
 * no test system (refresh_refused): then a dialog says why and the first
 * screen stays.  Practise lists the drill scenarios.  The
 * menu only draws and reads keys; the caller lists the scenarios, and
 * starts the chosen flow's wizard (or the drill) after the menu gave the
 * terminal back.
 */
#ifndef BR_WIZARD_MENU_H
#define BR_WIZARD_MENU_H

#include <stddef.h>

enum wizard_menu_action {
	WIZARD_MENU_QUIT,     /* q: nothing chosen */
	WIZARD_MENU_RESTORE,
	WIZARD_MENU_REFRESH,
	WIZARD_MENU_BACKUP,
	WIZARD_MENU_DRILL,
};

struct wizard_menu_opts {
	const char *title_info;          /* the title bar ("biso-recover  webroot ..."),
					    or NULL */
	const char *banner;              /* leads the title bar, or NULL */
	const char *attachments;         /* the refresh's policy to highlight first
					    ("copy", "skip", "placeholder"), or NULL */
	const char *const *drill_titles; /* the scenarios' titles, in order */
	size_t n_drills;
	const char *drill_error;         /* why no scenario could be listed, or NULL */
	const char *refresh_refused;     /* why this instance cannot be refreshed (the
					    refresh's guard: its env is not 'dev'), with
					    its hint, or NULL: the refresh is offered */
	const char *refresh_note;        /* beside "Refresh a test system" when refused
					    ("not this instance: env PROD"), or NULL */
	const char *notice;              /* above the choices, in the warning colour:
					    a restore that ended half done, with the
					    commands that finish it or put it back
					    (run_ended_early()), or NULL */
};

struct wizard_menu_result {
	enum wizard_menu_action action;
	const char *attachments; /* WIZARD_MENU_REFRESH: "copy", "skip" or
				    "placeholder" (static) */
	size_t drill;            /* WIZARD_MENU_DRILL: index into drill_titles */
};

/*
 * Take the terminal (tui.h), show the first screen until the operator
 * chooses, give the terminal back.  0 with @res filled (WIZARD_MENU_QUIT
 * on q), 1 when the terminal went away, or -1 when no terminal could be
 * used (the message is on stderr).
 * Ctrl-C, SIGTERM and SIGHUP end the process as elsewhere before a run
 * exists (the on-exit list gives the terminal back first).
 */
int wizard_menu(const struct wizard_menu_opts *o, struct wizard_menu_result *res);

/* The attachments policy the refresh's screen highlights first when none
 * is given or configured: the safe one ("placeholder"). */
const char *wizard_menu_first_policy(void);

/* What stands in place of a command to paste with a path wider than the
 * screen (translated), and what w then does: @text (the notice holding
 * such commands) on the terminal itself, each command on one line
 * (frontend_wrap() at the terminal's width), until Enter. */
const char *wizard_too_wide_text(void);
void wizard_show_whole(const char *text);

#endif
