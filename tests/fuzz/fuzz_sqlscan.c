/* libFuzzer target: the dump splitter (sqlscan), fed in pieces whose sizes,
 * the standard_conforming_strings setting and the client encoding come from
 * the first bytes of the input.  Checks the scanner's own promises: every
 * item is NUL-terminated at its length, lines never go back, and after
 * sqlscan_eof() it ends. */
#include "config.h"
#include "fuzz.h"
#include "sqlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum sqlscan_encoding encs[] = {
		SQLSCAN_ENC_SAFE, SQLSCAN_ENC_SJIS, SQLSCAN_ENC_BIG5,
		SQLSCAN_ENC_GB18030, SQLSCAN_ENC_JOHAB,
	};
	struct sqlscan s;
	struct sqlscan_item it;
	size_t piece, off = 0;
	int fed_eof = 0;
	if (size < 2)
		return 0;
	sqlscan_init(&s);
	s.std_strings = !(data[0] & 1);
	s.encoding = encs[(data[0] >> 1) % 5];
	s.want_comments = (data[0] >> 4) & 1;
	piece = (size_t)data[1] + 1;
	data += 2;
	size -= 2;
	for (;;) {
		enum sqlscan_result r = sqlscan_next(&s, &it);
		if (r == SQLSCAN_END)
			break;
		if (r == SQLSCAN_MORE) {
			if (off < size) {
				size_t n = size - off < piece ? size - off : piece;
				sqlscan_feed(&s, (const char *)data + off, n);
				off += n;
			} else if (!fed_eof) {
				sqlscan_eof(&s);
				fed_eof = 1;
			} else {
				abort(); /* MORE after eof: it would loop forever */
			}
			continue;
		}
		if (it.text[it.len] != '\0' || it.end_line < it.line)
			abort();
		if (r == SQLSCAN_STMT)
			sqlscan_apply_set(&s, it.text);
	}
	sqlscan_release(&s);
	return 0;
}
