/* gzbench.c - the gzip stages as a filter for bench/gzip.sh: "c LEVEL" compresses stdin to
 * stdout, "d" decompresses it */
#include "err.h"
#include "gz.h"
#include "io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct err e;
	struct io_in *in;
	struct io_out *out;
	int64_t n;
	int rc;
	err_init(&e);
	if (argc == 3 && strcmp(argv[1], "c") == 0) {
		in = io_in_fd(0, 0, &e);
		out = gz_out(io_out_fd(1, 0, &e), atoi(argv[2]), &e);
	} else if (argc == 2 && strcmp(argv[1], "d") == 0) {
		in = gz_in(io_in_fd(0, 0, &e), 0, &e);
		out = io_out_fd(1, 0, &e);
	} else {
		fprintf(stderr, "usage: gzbench c LEVEL | gzbench d\n");
		return 2;
	}
	if (!in || !out) {
		fprintf(stderr, "gzbench: %s\n", e.msg);
		return 1;
	}
	n = io_copy(in, out);
	rc = io_in_close(in);
	if (n < 0 || rc < 0) {
		io_out_abort(out);
		fprintf(stderr, "gzbench: %s\n", e.msg);
		return 1;
	}
	if (io_out_close(out) < 0) {
		fprintf(stderr, "gzbench: %s\n", e.msg);
		return 1;
	}
	return 0;
}
