/* libFuzzer target: the runner/client protocol decoder (proto_decode) on
 * a byte stream from a hostile peer.  Every frame it accepts must encode
 * back to the very bytes it came from; a refusal must say why. */
#include "config.h"
#include "err.h"
#include "fuzz.h"
#include "proto.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	for (;;) {
		struct proto_msg m;
		struct err e = ERR_INIT;
		struct strbuf again = STRBUF_INIT;
		size_t used = 0;
		int ret = proto_decode(data + off, size - off, &m, &used, &e);
		if (ret < 0 && !e.msg)
			abort();
		err_clear(&e);
		if (ret <= 0)
			break;
		if (used < 5 || used > size - off)
			abort();
		if (proto_encode(&m, &again, &e) < 0 || again.len != used ||
		    memcmp(again.buf, data + off, used))
			abort();
		strbuf_release(&again);
		proto_msg_clear(&m);
		off += used;
	}
	return 0;
}
