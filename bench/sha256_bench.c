/* sha256_bench.c - hashes a file as polycrate does (file -> digest_in, IO_BUFSZ reads) with the
 * SHA-NI or the portable path, or with BearSSL's br_sha256; prints "hex bytes MB/s". */
#include <bearssl_hash.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "err.h"
#include "io.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Our stages: io_in_file -> digest_in, read to the end. */
static int ours(const char *path, char *hex, unsigned long long *total)
{
	static char b[IO_BUFSZ];
	struct digest_result res;
	struct err e;
	ssize_t r;
	err_init(&e);
	struct io_in *in = digest_in(io_in_file(path, &e), &res, &e);
	if (!in) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	while ((r = io_read(in, b, sizeof b)) > 0)
		;
	if (io_in_close(in) < 0 || r < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	strcpy(hex, res.digest + 7);
	*total = res.size;
	return 0;
}

static int bearssl(const char *path, char *hex, unsigned long long *total)
{
	static unsigned char b[IO_BUFSZ];
	br_sha256_context c;
	uint8_t raw[32];
	char s[DIGEST_STR_MAX];
	ssize_t r;
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	br_sha256_init(&c);
	while ((r = read(fd, b, sizeof b)) > 0) {
		br_sha256_update(&c, b, (size_t)r);
		*total += (unsigned long long)r;
	}
	close(fd);
	if (r < 0) {
		perror(path);
		return 1;
	}
	br_sha256_out(&c, raw);
	digest_format(raw, s);
	strcpy(hex, s + 7);
	return 0;
}

int main(int argc, char **argv)
{
	char hex[DIGEST_STR_MAX];
	unsigned long long total = 0;
	double t0;
	int rc;
	if (argc != 3 || (strcmp(argv[1], "sha-ni") && strcmp(argv[1], "portable") &&
	                  strcmp(argv[1], "bearssl"))) {
		fprintf(stderr, "usage: sha256_bench sha-ni|portable|bearssl FILE\n");
		return 2;
	}
	sha256_force_portable(strcmp(argv[1], "portable") == 0);
	if (!strcmp(argv[1], "sha-ni") && strcmp(sha256_impl(), "sha-ni")) {
		fprintf(stderr, "no SHA-NI on this CPU\n");
		return 3;
	}
	t0 = now();
	rc =
	    strcmp(argv[1], "bearssl") ? ours(argv[2], hex, &total) : bearssl(argv[2], hex, &total);
	if (rc)
		return rc;
	printf("%s %llu %.1f\n", hex, total, (double)total / 1e6 / (now() - t0));
	return 0;
}
