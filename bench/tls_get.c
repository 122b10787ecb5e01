/* tls_get.c - GET one URL through http.c with tls.c (HTTPS_PROXY and all), body to nowhere or a
 * file; prints "status BYTES ms" (used by bench/tls.sh and tests/e2e/test_tls.sh) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "tls.h"

#define CHUNK (256 * 1024)

int main(int argc, char **argv)
{
	struct http_client *c;
	struct http_request rq = {0};
	struct http_response rs = {0};
	struct err e;
	static char chunk[CHUNK];
	FILE *out = NULL;
	int64_t total = 0, t0;
	ssize_t k = 0;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: tls_get URL [OUTFILE] (POLYCRATE_LOGLEVEL=N for logs)\n");
		return 2;
	}
	if (getenv("POLYCRATE_LOGLEVEL"))
		log_level = atoi(getenv("POLYCRATE_LOGLEVEL"));
	net_init();
	err_init(&e);
	c = http_client_new();
	if (!c)
		return 1;
	http_client_set_tls(c, tls_hook, NULL);
	http_client_set_retry(c, 10, 1);
	rq.method = "GET";
	rq.url = argv[1];
	rq.body_len = 0;
	rq.flags = HTTP_NO_RETRY;
	t0 = log_now_ms();
	rc = http_request(c, &rq, &rs, &e);
	if (rc == 0) {
		if (argc > 2 && !(out = fopen(argv[2], "wb")))
			rc = err_sys(&e, ERR_FAIL, 0, "cannot write %s", argv[2]);
		while (rc == 0 && (k = io_read(rs.body, chunk, sizeof chunk)) > 0) {
			total += k;
			if (out && fwrite(chunk, 1, (size_t)k, out) != (size_t)k)
				rc = err_set(&e, ERR_FAIL, "write failed");
		}
		if (rc == 0 && k < 0)
			rc = (int)k;
		if (out)
			fclose(out);
	}
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", e.msg);
		if (e.hint[0])
			fprintf(stderr, "hint: %s\n", e.hint);
		fprintf(stderr, "plain-http: %d\n", tls_err_plain_http(&e));
	} else {
		printf("%d %lld %lld\n", rs.status, (long long)total,
		       (long long)(log_now_ms() - t0));
	}
	http_response_free(&rs);
	http_client_free(c);
	return rc < 0 ? err_exit_status(rc) : 0;
}
