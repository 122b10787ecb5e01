/* fuzz_digest.c - digest_parse on hostile strings; both SHA-256 paths and the verify stage agree */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "err.h"
#include "io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	uint8_t raw[32];
	char back[DIGEST_STR_MAX];
	struct err e;
	memcpy(s, data, size);
	s[size] = 0;
	err_init(&e);
	if (digest_parse(s, raw, &e) == 0) {
		digest_format(raw, back);
		if (strcmp(back, s))
			abort(); /* accepted only what formats back to itself */
	} else if (e.code != ERR_USAGE || !e.msg[0]) {
		abort();
	}
	free(s);
}

static void check_hash(const uint8_t *data, size_t size)
{
	char a[DIGEST_STR_MAX], b[DIGEST_STR_MAX];
	uint8_t buf[257];
	struct err e;
	size_t step = data[0] ? data[0] : 1;
	ssize_t r;
	sha256_force_portable(1);
	sha256_str(data, size, a);
	sha256_force_portable(0);
	sha256_str(data, size, b);
	if (strcmp(a, b))
		abort();
	/* the verifier passes every byte and the right digest, refuses one byte less */
	for (int wrong = 0; wrong < 2; wrong++) {
		size_t got = 0;
		err_init(&e);
		struct io_in *in =
		    digest_verify_in(io_in_mem(data, size, &e), a, (int64_t)size - wrong, &e);
		while ((r = io_read(in, buf, step)) > 0)
			got += (size_t)r;
		int rc = io_in_close(in);
		if (!wrong && (r != 0 || rc != 0 || got != size))
			abort();
		if (wrong && (rc != ERR_INTEGRITY || r != ERR_INTEGRITY))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		check_parse(data + 1, size - 1);
	else
		check_hash(data, size);
	return 0;
}
