/* libFuzzer target: the backup-set discovery's name parsing.  The first
 * line is an --at value; every further line is a file name, made (empty,
 * or as a directory when it ends in '/') under webroot/, data/ or db/ by
 * turns, then the backup root is scanned and a copy picked for that time. */
#include "config.h"
#include <sys/stat.h>
#include "backupset.h"
#include "err.h"
#include "fsrestore.h"
#include "fuzz.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const subs[] = { "webroot", "data", "db" };
	char *root = xstrfmt("%s/root", fuzz_dir());
	struct strbuf line = STRBUF_INIT;
	struct backupset bs;
	struct err e = ERR_INIT;
	time_t at = 0, when;
	size_t len, made = 0;
	int first = 1;

	fsrestore_rmtree(root, NULL);
	if (mkdir(root, 0700) < 0)
		abort();
	for (int k = 0; k < 3; k++) {
		char *p = xstrfmt("%s/%s", root, subs[k]);
		mkdir(p, 0700);
		free(p);
	}
	for (size_t i = 0; i <= size && made < 16; i++) {
		if (i < size && data[i] != '\n') {
			if (data[i] && line.len < 200)
				strbuf_addch(&line, data[i]);
			continue;
		}
		if (backupset_parse_stamp(line.buf, 0, &when, &len) && len > line.len)
			abort();
		if (backupset_parse_stamp(line.buf, 1, &when, &len) && len > line.len)
			abort();
		if (first) {
			backupset_parse_at(line.buf, &at);
			first = 0;
		} else if (line.len) {
			int is_dir = line.buf[line.len - 1] == '/';
			char *p;
			strbuf_setlen(&line, line.len - (size_t)is_dir);
			if (line.len && strcmp(line.buf, ".") && strcmp(line.buf, "..") &&
			    !strchr(line.buf, '/')) {
				p = xstrfmt("%s/%s/%s", root, subs[made % 3], line.buf);
				if (is_dir) {
					mkdir(p, 0700);
				} else {
					FILE *f = fopen(p, "w");
					if (f)
						fclose(f);
				}
				free(p);
				made++;
			}
		}
		strbuf_reset(&line);
	}
	strbuf_release(&line);
	if (backupset_scan(root, NULL, "biso_log_", &bs, &e) == 0) {
		backupset_pick(&bs.webroot, at);
		backupset_pick(&bs.data, at);
		backupset_pick(&bs.dumps, at);
		backupset_release(&bs);
	} else if (!e.msg) {
		abort();
	}
	err_clear(&e);
	free(root);
	return 0;
}
