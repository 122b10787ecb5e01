/* fuzz_tls.c - libFuzzer target: the subjectAltName walker on DER, PEM + X.509 decoding into
 * trust anchors, and IP literal parsing, on any bytes (the first byte picks which) */
#include "err.h"
#include "tls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(void *ctx, int type, const unsigned char *p, size_t n)
{
	size_t *count = ctx;
	volatile unsigned char sink = 0;
	for (size_t i = 0; i < n; i++)
		sink ^= p[i]; /* every reported byte must be inside the input */
	(void)sink;
	if (type != 2 && type != 7)
		abort();
	return ++*count > 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	size_t count = 0;
	unsigned char ip[16];
	char host[80];

	if (size < 1)
		return 0;
	err_init(&e);
	switch (data[0] % 3) {
	case 0: {
		/* an exact-size copy, so that ASan sees any read past the end */
		unsigned char *p = malloc(size - 1 ? size - 1 : 1);
		memcpy(p, data + 1, size - 1);
		int r = tls_cert_san(p, size - 1, visit, &count);
		if (r != 0 && r != 1 && r != ERR_FAIL)
			abort();
		free(p);
		break;
	}
	case 1: {
		int r = tls_pem_count(data + 1, size - 1, &e);
		if (r < 0 && (r != ERR_NET || !e.msg[0]))
			abort();
		break;
	}
	default: {
		size_t n = size - 1 < sizeof host - 1 ? size - 1 : sizeof host - 1;
		memcpy(host, data + 1, n);
		host[n] = 0;
		int k = tls_ip_literal(host, ip);
		if (k != 0 && k != 4 && k != 16)
			abort();
		break;
	}
	}
	return 0;
}
