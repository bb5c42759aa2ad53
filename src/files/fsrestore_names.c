/* fsrestore_names: member names made safe, symlinks that leave the tree,
 * and the set of names the walk remembers; see fsrestore_int.h. */
#include "config.h"
#include "fsrestore.h"
#include "fsrestore_int.h"
#include "strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------ */

int fsrestore_clean_name(const char *name, char **out, const char **why)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = name;
	*out = NULL;
	if (!name || !*name) {
		*why = "empty name";
		return 0;
	}
	if (name[0] == '/') {
		*why = "absolute path";
		return 0;
	}
	if (name[0] == '\\' && name[1] == '\\') {
		*why = "UNC path";
		return 0;
	}
	if (isalpha((unsigned char)name[0]) && name[1] == ':') {
		*why = "drive letter";
		return 0;
	}
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			*why = "\"..\" in the path";
			strbuf_release(&sb);
			return 0;
		}
		/* "..\" and "\.." as Windows writers mean them */
		for (size_t i = 0; i + 1 < len; i++) {
			if (p[i] == '.' && p[i + 1] == '.' && (i == 0 || p[i - 1] == '\\') &&
			    (i + 2 == len || p[i + 2] == '\\') && memchr(p, '\\', len)) {
				*why = "\"..\" in the path";
				strbuf_release(&sb);
				return 0;
			}
		}
		if (len && !(len == 1 && p[0] == '.')) {
			if (sb.len)
				strbuf_addch(&sb, '/');
			strbuf_add(&sb, p, len);
		}
		p += len;
		while (*p == '/')
			p++;
	}
	*out = strbuf_detach(&sb, NULL);
	return 1;
}

/* Does symlink @target, stored at relative path @rel, point out of the tree? */
int fsrestore_link_leaves_tree(const char *rel, const char *target)
{
	int depth = 0;
	const char *p;
	if (target[0] == '/')
		return 1;
	for (p = rel; (p = strchr(p, '/')); p++)
		depth++;
	for (p = target; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return 1;
		} else if (len && !(len == 1 && p[0] == '.')) {
			depth++;
		}
		p += len;
		while (*p == '/')
			p++;
	}
	return 0;
}

/* ---- name sets (symlinks written, names of an archive) ----------------- */

static size_t linkset_hash(const char *s, size_t len)
{
	size_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

/* The node slot of the first @len bytes of @name, or of where it would go. */
struct linknode **fsrestore_linkset_find(struct linkset *ls, const char *name, size_t len)
{
	struct linknode **pp;
	if (!ls->nb)
		return NULL;
	for (pp = &ls->b[linkset_hash(name, len) & (ls->nb - 1)]; *pp; pp = &(*pp)->next)
		if (!strncmp((*pp)->name, name, len) && !(*pp)->name[len])
			return pp;
	return pp;
}

void fsrestore_linkset_add(struct linkset *ls, const char *name)
{
	size_t len = strlen(name);
	struct linknode **pp, *nd;
	if (ls->n + 1 > ls->nb) {
		size_t nb = ls->nb ? 2 * ls->nb : 64;
		struct linknode **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < ls->nb; i++)
			while (ls->b[i]) {
				struct linknode *x = ls->b[i];
				size_t h = linkset_hash(x->name, strlen(x->name)) & (nb - 1);
				ls->b[i] = x->next;
				x->next = b[h];
				b[h] = x;
			}
		free(ls->b);
		ls->b = b;
		ls->nb = nb;
	}
	pp = fsrestore_linkset_find(ls, name, len);
	if (*pp)
		return;
	nd = xmalloc(sizeof *nd + len + 1);
	memcpy(nd->name, name, len + 1);
	nd->next = NULL;
	*pp = nd;
	ls->n++;
}

/* Remove the first @len bytes of @name if present; 1 if it was there. */
int fsrestore_linkset_del(struct linkset *ls, const char *name, size_t len)
{
	struct linknode **pp = fsrestore_linkset_find(ls, name, len), *x;
	if (!pp || !*pp)
		return 0;
	x = *pp;
	*pp = x->next;
	free(x);
	ls->n--;
	return 1;
}

void fsrestore_linkset_free(struct linkset *ls)
{
	for (size_t i = 0; i < ls->nb; i++)
		while (ls->b[i]) {
			struct linknode *x = ls->b[i];
			ls->b[i] = x->next;
			free(x);
		}
	free(ls->b);
	memset(ls, 0, sizeof *ls);
}

/* The symlink among the leading directories of @rel, or NULL: its length
 * in *@len. */
const char *fsrestore_linkset_prefix(struct linkset *ls, const char *rel, size_t *len)
{
	struct linknode **pp;
	for (const char *p = rel; (p = strchr(p, '/')); p++) {
		pp = fsrestore_linkset_find(ls, rel, (size_t)(p - rel));
		if (pp && *pp) {
			*len = (size_t)(p - rel);
			return rel;
		}
	}
	return NULL;
}
