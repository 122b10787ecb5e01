/* fuzz_tar.c - arbitrary bytes -> tar reader -> safe extraction; nothing may escape or stay */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fs.h"
#include "io.h"
#include "pack.h"
#include "tar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64], dir[96];

/* Every symlink left behind obeys the rule; no setuid/setgid/sticky bit; only files,
 * folders and symlinks. Aborts otherwise. */
static void check_tree(int fd, char *rel, size_t len, int depth)
{
	DIR *d;
	struct dirent *de;
	int dup_fd = openat(fd, ".", O_RDONLY | O_DIRECTORY);
	if (dup_fd < 0 || !(d = fdopendir(dup_fd)) || depth > 4096)
		abort();
	while ((de = readdir(d))) {
		struct stat st;
		size_t n = strlen(de->d_name);
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (len + n + 2 > 8192 || fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			abort();
		if (len)
			rel[len] = '/';
		memcpy(rel + len + (len ? 1 : 0), de->d_name, n + 1);
		if (st.st_mode & 07000)
			abort();
		if (S_ISLNK(st.st_mode)) {
			char t[PACK_MAX_PATH + 1];
			ssize_t tl = readlinkat(fd, de->d_name, t, sizeof t - 1);
			if (tl < 0)
				abort();
			t[tl] = 0;
			if (pack_link_rule(rel, t))
				abort();
		} else if (S_ISDIR(st.st_mode)) {
			int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (sub < 0)
				abort();
			check_tree(sub, rel, len + (len ? 1 : 0) + n, depth + 1);
			close(sub);
		} else if (!S_ISREG(st.st_mode)) {
			abort();
		}
		rel[len] = 0;
	}
	closedir(d);
}

static void remove_base(void)
{
	rmdir(base); /* empty after every run */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pack_limits lim = {2000, 1 << 20, PACK_MAX_PATH};
	struct err e;
	struct io_in *in;
	int rc;
	static char rel[8192];

	if (!base[0]) {
		snprintf(base, sizeof base, "/tmp/fuzz_tar.XXXXXX");
		if (!mkdtemp(base))
			abort();
		snprintf(dir, sizeof dir, "%s/x", base);
		atexit(remove_base);
	}
	err_init(&e);
	if (mkdir(dir, 0700) < 0)
		abort(); /* the previous run left it */
	in = io_in_mem(data, size, &e);
	rc = pack_unpack(in, dir, &lim, &e);
	io_in_close(in);
	if (rc < 0) {
		if (e.code != rc || !e.msg[0] || fs_exists(dir))
			abort(); /* a refusal leaves nothing and says why */
	} else {
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		if (fd < 0)
			abort();
		rel[0] = 0;
		check_tree(fd, rel, 0, 0);
		close(fd);
		err_init(&e);
		if (fs_rmtree(dir, &e) < 0)
			abort();
	}
	/* nothing beside the extraction folder */
	{
		DIR *d = opendir(base);
		struct dirent *de;
		if (!d)
			abort();
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				abort();
		closedir(d);
	}
	return 0;
}
