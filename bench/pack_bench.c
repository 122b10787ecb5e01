/* pack_bench.c - drives pack_block / pack_unpack for bench/pack.sh (static musl build) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "gz.h"
#include "io.h"
#include "pack.h"

/*
 * pack_bench pack DIR OUT [LEVEL]   block folder -> gzip'd tar in OUT; prints the digests
 * pack_bench unpack IN DIR          gzip'd tar -> DIR (made here, must not exist)
 */
int main(int argc, char **argv)
{
	struct err e;
	int rc;
	err_init(&e);
	if (argc >= 4 && !strcmp(argv[1], "pack")) {
		struct pack_opts o = {argc > 4 ? atoi(argv[4]) : GZ_DEFAULT_LEVEL, 0, NULL, NULL};
		struct pack_result r;
		int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		struct io_out *out = fd < 0 ? NULL : io_out_fd(fd, 1, &e);
		if (!out) {
			perror(argv[3]);
			return 1;
		}
		rc = pack_block(argv[2], out, &o, &r, &e);
		if (rc == 0)
			printf("diff_id %s\ndigest %s\nsize %llu\ntar %llu\nentries %llu\n",
			       r.diff_id, r.digest, (unsigned long long)r.size,
			       (unsigned long long)r.tar_size, (unsigned long long)r.entries);
	} else if (argc == 4 && !strcmp(argv[1], "unpack")) {
		struct pack_limits lim;
		struct io_in *in;
		pack_limits_default(&lim);
		lim.max_bytes = 64ULL << 30;
		if (mkdir(argv[3], 0755) < 0) {
			perror(argv[3]);
			return 1;
		}
		in = gz_in(io_in_file(argv[2], &e), 0, &e);
		rc = in ? pack_unpack(in, argv[3], &lim, &e) : e.code;
		if (in) {
			int r2 = io_in_close(in);
			if (rc == 0)
				rc = r2;
		}
	} else {
		fprintf(stderr, "usage: pack_bench pack DIR OUT [LEVEL] | unpack IN DIR\n");
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "pack_bench: %s\n", e.msg);
		return 1;
	}
	return 0;
}
