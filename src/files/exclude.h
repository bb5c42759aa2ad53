/*
 * exclude: rsync-style exclude patterns for the file restore engine.
 *
 * Follows rsync(1) "INCLUDE/EXCLUDE PATTERN RULES" for plain excludes:
 *  - a trailing '/' matches directories only ("tmp/");
 *  - a pattern without '/' (trailing one not counted) and without "**"
 *    matches the base name at any depth ("*.log", "data");
 *  - a leading '/' anchors the pattern at the root of the transfer
 *    ("/data" is only the top-level data);
 *  - other patterns with a '/' or "**" match the whole relative path, or
 *    any tail of it that starts after a '/' (rsync's floating match);
 *  - '*' matches any run of characters except '/', "**" also matches '/',
 *    '?' one character except '/', "[...]" a character class ('!' or '^'
 *    negates), '\' quotes the next character.  "dir/" followed by three stars matches dir and
 *    everything below it.
 * An excluded directory excludes everything below it, as rsync never
 * descends into it.  Paths are relative to the source root, without a
 * leading "./" or '/', byte strings (no charset assumptions).
 */
#ifndef BR_EXCLUDE_H
#define BR_EXCLUDE_H

struct err;
struct exclude_list;

/*
 * Compile the NULL-terminated @patterns (may be NULL: an empty list).
 * Returns a list owned by the caller (free with exclude_free()), or NULL
 * with @e set for an empty pattern or an unterminated "[" class.
 */
struct exclude_list *exclude_new(const char *const *patterns, struct err *e);
/* Free a list from exclude_new(); NULL is ignored. */
void exclude_free(struct exclude_list *x);
/* Number of patterns in @x (0 for NULL). */
int exclude_count(const struct exclude_list *x);

/*
 * 1 if the entry at relative path @rel (a directory if @is_dir) is
 * excluded by a pattern itself, 0 if not.  Ancestors are not looked at:
 * use this while walking a tree that does not descend into excluded
 * directories (as rsync does).  NULL @x excludes nothing.
 */
int exclude_match(const struct exclude_list *x, const char *rel, int is_dir);
/*
 * Like exclude_match(), but also 1 when any ancestor directory of @rel is
 * excluded: for archive members, which come as a flat list.
 */
int exclude_match_path(const struct exclude_list *x, const char *rel, int is_dir);

/*
 * Match one rsync wildcard @pat against the whole of @str (see above for
 * the syntax).  Returns 1 on a match, 0 otherwise.
 */
int exclude_wildmatch(const char *pat, const char *str);

#endif
