/* fuzz_auth.c - libFuzzer target: WWW-Authenticate parsing and base64 on any bytes; what the
 * parser accepts must be consistent, and base64 must round-trip */
#include "auth.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_chals ch;
	struct err e;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	err_init(&e);
	if (auth_parse_challenges(s, &ch, &e) == 0) {
		if (ch.n > AUTH_CHALLENGES_MAX)
			abort();
		for (size_t i = 0; i < ch.n; i++) {
			const struct auth_chal *c = &ch.c[i];
			if (!c->scheme[0] || c->n > AUTH_PARAMS_MAX)
				abort();
			if (auth_chals_find(&ch, c->scheme) == NULL)
				abort();
			for (size_t j = 0; j < c->n; j++)
				if (!c->name[j][0] || !auth_chal_param(c, c->name[j]))
					abort();
		}
	} else if (ch.n != 0 || !e.msg[0]) {
		abort();
	}
	auth_chals_free(&ch);
	/* base64: decode what decodes, encode it again, decode to the same bytes */
	size_t cap = size + 4;
	char *dec = malloc(cap), *enc = malloc(cap * 2 + 8), *dec2 = malloc(cap);
	if (dec && enc && dec2) {
		int n = auth_base64_decode(s, dec, cap);
		if (n >= 0) {
			if (auth_base64_encode(dec, (size_t)n, enc, cap * 2 + 8) < 0)
				abort();
			if (auth_base64_decode(enc, dec2, cap) != n || memcmp(dec, dec2, (size_t)n))
				abort();
		}
	}
	free(dec);
	free(enc);
	free(dec2);
	free(s);
	return 0;
}
