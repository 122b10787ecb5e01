/* http_bench.c - driver for bench/http.sh: one GET to /dev/null or one PUT of a file,
 * through the polycrate HTTP client; prints the bytes moved */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "http.h"
#include "io.h"

int main(int argc, char **argv)
{
	struct http_client *cl;
	struct http_request rq = {0};
	struct http_response rs;
	struct err e;
	static char buf[IO_BUFSZ];
	long long total = 0;
	int rc;
	if (argc < 3 || (strcmp(argv[1], "get") && strcmp(argv[1], "put")) ||
	    (!strcmp(argv[1], "put") && argc < 4)) {
		fprintf(stderr, "usage: http_bench get URL | put URL FILE\n");
		return 2;
	}
	err_init(&e);
	cl = http_client_new();
	rq.url = argv[2];
	rq.method = strcmp(argv[1], "get") == 0 ? "GET" : "PUT";
	if (argc > 3) {
		struct stat st;
		if (stat(argv[3], &st) < 0 || !(rq.body = io_in_file(argv[3], &e))) {
			fprintf(stderr, "http_bench: %s: cannot open\n", argv[3]);
			return 1;
		}
		rq.body_len = st.st_size;
	}
	rc = http_request(cl, &rq, &rs, &e);
	while (rc == 0) {
		ssize_t r = io_read(rs.body, buf, sizeof buf);
		if (r < 0)
			rc = (int)r;
		if (r <= 0)
			break;
		total += r;
	}
	if (rc < 0) {
		fprintf(stderr, "http_bench: %s\n", e.msg);
		return 1;
	}
	printf("%d %lld\n", rs.status, total);
	http_response_free(&rs);
	http_client_free(cl);
	return 0;
}
