/* fuzz_json.c - libFuzzer target: the parser on any bytes; what it accepts must survive a
 * write-back through the writer, parse again, and write back to the same bytes */
#include "buf.h"
#include "err.h"
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite(const struct json_doc *d, int t, struct json_writer *w)
{
	struct json_iter it;
	struct err e;
	int v, k;
	char *s;
	size_t n;
	const char *raw;
	switch (json_type(d, t)) {
	case JSON_OBJECT:
		json_w_obj_begin(w);
		json_iter_init(&it, d, t);
		while ((v = json_iter_next(&it, &k)) >= 0) {
			err_init(&e);
			s = json_strdup(d, k, &e);
			/* keys holding U+0000 cannot be C strings: skip the member */
			if (s) {
				if (!json_str_eq(d, k, s) || json_get(d, t, s) != v)
					abort();
				json_w_key(w, s);
				rewrite(d, v, w);
			}
			free(s);
		}
		json_w_obj_end(w);
		break;
	case JSON_ARRAY:
		json_w_arr_begin(w);
		json_iter_init(&it, d, t);
		while ((v = json_iter_next(&it, NULL)) >= 0)
			rewrite(d, v, w);
		json_w_arr_end(w);
		break;
	case JSON_STRING:
		err_init(&e);
		s = json_strdup(d, t, &e);
		json_w_str(w, s ? s : "");
		if (s && !json_str_eq(d, t, s))
			abort();
		free(s);
		break;
	case JSON_NUMBER: {
		int64_t i64;
		uint64_t u64;
		err_init(&e);
		json_int64(d, t, &i64, &e);
		err_init(&e);
		json_uint64(d, t, &u64, &e);
	}
		/* fall through */
	default:
		raw = json_raw(d, t, &n);
		json_w_raw(w, raw, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc d, d2;
	struct json_tok small[16];
	struct json_writer w;
	struct buf b, b2;
	struct err e;
	int rc;
	err_init(&e);
	rc = json_parse(&d, (const char *)data, size, &e);
	if (rc < 0) {
		if (d.ntok != 0 || !e.msg[0])
			abort();
		json_free(&d);
		return 0;
	}
	/* the caller-array variant agrees whenever the tokens fit */
	err_init(&e);
	if (json_parse_into(&d2, (const char *)data, size, small, 16, &e) == 0 &&
	    (d2.ntok != d.ntok || memcmp(small, d.toks, d.ntok * sizeof *small) != 0))
		abort();
	if (d.toks[0].next != d.ntok)
		abort();
	err_init(&e);
	buf_init(&b, 0);
	json_w_init(&w, &b, &e);
	rewrite(&d, 0, &w);
	if (json_w_finish(&w) < 0)
		abort();
	err_init(&e);
	if (json_parse(&d2, b.p, b.len, &e) < 0)
		abort(); /* the writer made something the parser refuses */
	/* and writing is idempotent: the second write-back gives the same bytes */
	buf_init(&b2, 0);
	json_w_init(&w, &b2, &e);
	rewrite(&d2, 0, &w);
	if (json_w_finish(&w) < 0 || b2.len != b.len || memcmp(b2.p, b.p, b.len) != 0)
		abort();
	buf_free(&b2);
	json_free(&d2);
	buf_free(&b);
	json_free(&d);
	return 0;
}
