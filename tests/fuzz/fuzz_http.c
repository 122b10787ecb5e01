/* fuzz_http.c - libFuzzer target: the response parser (status line, headers, framing,
 * chunked state machine, trailers) on any bytes through a fake conn; also URL parsing */
#include "buf.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "net.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BODY_MAX (1 << 20)

/* Reads from the input, in pieces of `step` bytes (1..16, 0: all at once). */
struct fconn {
	struct conn c;
	const uint8_t *p;
	size_t n, pos, step;
};

static ssize_t f_read(struct conn *c, void *p, size_t n, struct err *e)
{
	struct fconn *f = (struct fconn *)c;
	size_t k = f->n - f->pos;
	if (k > n)
		k = n;
	if (f->step && k > f->step)
		k = f->step;
	memcpy(p, f->p + f->pos, k);
	f->pos += k;
	return (ssize_t)k;
}

static int f_write(struct conn *c, const void *p, size_t n, struct err *e)
{
	return 0;
}

static void f_close(struct conn *c)
{
}

static const struct conn_ops f_ops = {f_read, f_write, f_close};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fconn f = {{&f_ops, -1, 0}, NULL, 0, 0, 0};
	struct http_response rs;
	struct http_url u, v;
	struct buf b;
	struct err e;
	char *s;
	if (size < 1)
		return 0;
	/* first byte: read step and whether it answers a HEAD */
	f.step = data[0] & 15;
	f.p = data + 1;
	f.n = size - 1;
	err_init(&e);
	if (http_response_read(&f.c, (data[0] & 16) != 0, &rs, &e) == 0) {
		buf_init(&b, BODY_MAX);
		err_init(&e);
		http_response_slurp(&rs, &b, BODY_MAX, &e);
		(void)http_headers_get(&rs.headers, "Location");
		buf_free(&b);
	}
	http_response_free(&rs);

	/* the same bytes as a URL, a Location against a base, a Retry-After, a NO_PROXY */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	err_init(&e);
	if (http_url_parse(s, &u, &e) == 0) {
		char out[HTTP_URL_MAX + HTTP_HOST_MAX + 32];
		http_url_format(&u, out, sizeof out);
	}
	err_init(&e);
	http_url_parse("http://[::1]:5000/v2/a/b?c=d", &v, &e);
	err_init(&e);
	http_url_resolve(&v, s, &u, &e);
	(void)http_retry_after_ms(s, 1700000000);
	(void)http_no_proxy_match(s, "registry.example.com", 5000);
	(void)http_no_proxy_match(s, "fd00::1", 443);
	free(s);
	return 0;
}
