/* test_pack_extract.c - safe extraction: hostile archives, limits, setuid, whiteouts, layers */
#include "t.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "io.h"
#include "log.h"
#include "pack.h"
#include "tar.h"

/* ---- a raw archive builder: anything a hostile writer could put in ---- */

static void blk(struct buf *b, const void *p, size_t n)
{
	static const uint8_t zero[512];
	buf_append(b, p, n);
	if (n % 512)
		buf_append(b, zero, 512 - n % 512);
}

/* One entry; names longer than 100 bytes get a PAX path record. */
static void ent(struct buf *b, int type, const char *name, uint32_t mode, const char *data,
                const char *link)
{
	uint8_t h[512];
	size_t n = data ? strlen(data) : 0;
	if (strlen(name) > 100) {
		struct buf rec = {0};
		size_t len = strlen(name) + 7, total = len + 1;
		char num[24];
		while ((size_t)snprintf(num, sizeof num, "%zu", total) + len != total)
			total = len + strlen(num);
		buf_printf(&rec, "%s path=%s\n", num, name);
		tar_raw_header(h, NULL, "pax", 'x', 0644, rec.len, 0, NULL);
		blk(b, h, 512);
		blk(b, rec.p, rec.len);
		buf_free(&rec);
	}
	tar_raw_header(h, NULL, name, type, mode, n, 0, link);
	blk(b, h, 512);
	if (n)
		blk(b, data, n);
}

static void end(struct buf *b)
{
	static const uint8_t zero[1024];
	buf_append(b, zero, sizeof zero);
}

/* ---- helpers ---- */

static char base_dir[64];

static void setup(void)
{
	if (!base_dir[0]) {
		snprintf(base_dir, sizeof base_dir, "/tmp/test_pack_x.XXXXXX");
		if (!mkdtemp(base_dir))
			abort();
	}
}

static void rmrf(const char *p)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
	if (system(cmd) != 0)
		fprintf(stderr, "rm -rf %s failed\n", p);
}

/* A fresh empty extraction folder inside the base folder. */
static const char *fresh(void)
{
	static char dir[128];
	setup();
	snprintf(dir, sizeof dir, "%s/x", base_dir);
	rmrf(dir);
	mkdir(dir, 0700);
	return dir;
}

static int unpack(const struct buf *b, const char *dir, const struct pack_limits *lim,
                  struct err *e)
{
	struct io_in *in = io_in_mem(b->p, b->len, e);
	int rc = pack_unpack(in, dir, lim, e);
	io_in_close(in);
	return rc;
}

static int count_entries(const char *dir)
{
	char cmd[256];
	FILE *f;
	int n = -1;
	snprintf(cmd, sizeof cmd, "find '%s' -mindepth 1 | wc -l", dir);
	f = popen(cmd, "r");
	if (f && fscanf(f, "%d", &n) != 1)
		n = -1;
	if (f)
		pclose(f);
	return n;
}

static int file_is(const char *path, const char *want)
{
	char got[256];
	FILE *f = fopen(path, "rb");
	size_t n;
	if (!f)
		return 0;
	n = fread(got, 1, sizeof got - 1, f);
	fclose(f);
	got[n] = 0;
	return !strcmp(got, want);
}

static char *at(const char *dir, const char *rel)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, rel);
	return p[k];
}

/* ---- tests ---- */

static void test_extract_basic(void)
{
	struct buf b = {0};
	struct err e;
	struct stat st;
	char lnk[64];
	const char *d = fresh();
	ssize_t n;

	ent(&b, TAR_DIR, "./", 0755, NULL, NULL); /* the "." root upstream writes */
	ent(&b, TAR_DIR, "./sub/", 0755, NULL, NULL);
	ent(&b, TAR_FILE, "./sub/run.sh", 0755, "#!/bin/sh\n", NULL);
	ent(&b, TAR_FILE, "block.poly", 0644, "name: x\n", NULL);
	ent(&b, TAR_FILE, "deep/er/file", 0600, "deep", NULL); /* parents made on the way */
	ent(&b, TAR_SYMLINK, "sub/link", 0777, NULL, "../block.poly");
	ent(&b, TAR_SYMLINK, "dirlink", 0777, NULL, "sub");
	ent(&b, TAR_HARDLINK, "hard", 0644, NULL, "./block.poly");
	ent(&b, TAR_FILE, "empty", 0644, NULL, NULL);
	end(&b);
	err_init(&e);
	T_CHECKF(unpack(&b, d, NULL, &e) == 0, "%s", e.msg);
	T_CHECK(file_is(at(d, "sub/run.sh"), "#!/bin/sh\n"));
	T_CHECK(stat(at(d, "sub/run.sh"), &st) == 0 && (st.st_mode & 0777) == 0755);
	T_CHECK(stat(at(d, "block.poly"), &st) == 0 && (st.st_mode & 0777) == 0644);
	T_CHECK(file_is(at(d, "deep/er/file"), "deep"));
	n = readlink(at(d, "sub/link"), lnk, sizeof lnk - 1);
	T_CHECK(n > 0 && (lnk[n] = 0, !strcmp(lnk, "../block.poly")));
	T_CHECK(file_is(at(d, "sub/link"), "name: x\n"));
	T_CHECK(lstat(at(d, "dirlink"), &st) == 0 && S_ISLNK(st.st_mode));
	T_CHECK(stat(at(d, "hard"), &st) == 0 && st.st_nlink == 2);
	T_CHECK(file_is(at(d, "empty"), ""));
	T_EQ_INT(count_entries(d), 10);
	buf_free(&b);
}

/* Every refusal: ERR_INTEGRITY naming entry and rule, the folder gone, nothing outside. */
static void test_extract_refusals(void)
{
	static const struct {
		const char *what, *entry, *rule;
	} cases[] = {
	    {"absolute", "/etc/evil", "absolute path"},
	    {"dotdot", "../evil", "'..' in the path"},
	    {"dotdot-mid", "a/../../evil", "'..' in the path"},
	    {"symlink-abs", "l", "absolute symlink target"},
	    {"symlink-up", "a/l", "symlink target leaves the folder"},
	    {"symlink-mixed", "l", "'..' after a name"},
	    {"below-symlink", "l/evil", "entry below a symlink"},
	    {"below-dot-symlink", "l/evil", "entry below a symlink"},
	    {"below-symlink-deep", "l/x/evil", "entry below a symlink"},
	    {"hard-abs", "h", "hardlink to an absolute path"},
	    {"hard-up", "h", "hardlink target leaves the folder"},
	    {"hard-later", "h", "not extracted before"},
	    {"hard-dir", "h", "not extracted before (or not a file)"},
	    {"hard-symlink", "h", "not extracted before (or not a file)"},
	    {"hard-self", "h", "hardlink to itself"},
	    {"chardev", "dev/null", "device entries are not allowed"},
	    {"blockdev", "sda", "device entries are not allowed"},
	    {"fifo", "pipe", "fifo entries are not allowed"},
	    {"unknown", "odd", "unsupported entry type"},
	    {"root-file", ".", "root entry is not a folder"},
	    {"file-parent", "f/x", "a parent is not a folder"},
	    {"long-component", NULL, "longer than 255 bytes"},
	    {"bad-whiteout", "a/.wh..", "bad whiteout name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		struct err e;
		const char *w = cases[i].what, *d = fresh();
		char longc[300];
		int rc;
		ent(&b, TAR_FILE, "ok.txt", 0644, "fine", NULL);
		ent(&b, TAR_DIR, "a/", 0755, NULL, NULL);
		if (!strcmp(w, "absolute"))
			ent(&b, TAR_FILE, "/etc/evil", 0644, "x", NULL);
		else if (!strcmp(w, "dotdot"))
			ent(&b, TAR_FILE, "../evil", 0644, "x", NULL);
		else if (!strcmp(w, "dotdot-mid"))
			ent(&b, TAR_FILE, "a/../../evil", 0644, "x", NULL);
		else if (!strcmp(w, "symlink-abs"))
			ent(&b, TAR_SYMLINK, "l", 0777, NULL, "/etc");
		else if (!strcmp(w, "symlink-up"))
			ent(&b, TAR_SYMLINK, "a/l", 0777, NULL, "../../evil");
		else if (!strcmp(w, "symlink-mixed"))
			ent(&b, TAR_SYMLINK, "l", 0777, NULL, "a/../../evil");
		else if (!strcmp(w, "below-symlink")) {
			ent(&b, TAR_SYMLINK, "l", 0777, NULL, "a");
			ent(&b, TAR_FILE, "l/evil", 0644, "x", NULL);
		} else if (!strcmp(w, "below-dot-symlink")) {
			ent(&b, TAR_SYMLINK, "l", 0777, NULL, ".");
			ent(&b, TAR_FILE, "l/evil", 0644, "x", NULL);
		} else if (!strcmp(w, "below-symlink-deep")) {
			ent(&b, TAR_DIR, "a/x/", 0755, NULL, NULL);
			ent(&b, TAR_SYMLINK, "l", 0777, NULL, "a");
			ent(&b, TAR_FILE, "l/x/evil", 0644, "x", NULL);
		} else if (!strcmp(w, "hard-abs"))
			ent(&b, TAR_HARDLINK, "h", 0644, NULL, "/etc/passwd");
		else if (!strcmp(w, "hard-up"))
			ent(&b, TAR_HARDLINK, "h", 0644, NULL, "../outside");
		else if (!strcmp(w, "hard-later")) {
			ent(&b, TAR_HARDLINK, "h", 0644, NULL, "later");
			ent(&b, TAR_FILE, "later", 0644, "x", NULL);
		} else if (!strcmp(w, "hard-dir"))
			ent(&b, TAR_HARDLINK, "h", 0644, NULL, "a");
		else if (!strcmp(w, "hard-self")) {
			ent(&b, TAR_FILE, "h", 0644, "x", NULL);
			ent(&b, TAR_HARDLINK, "./h", 0644, NULL, "h");
		} else if (!strcmp(w, "hard-symlink")) {
			ent(&b, TAR_SYMLINK, "s", 0777, NULL, "ok.txt");
			ent(&b, TAR_HARDLINK, "h", 0644, NULL, "s");
		} else if (!strcmp(w, "chardev"))
			ent(&b, TAR_CHAR, "dev/null", 0666, NULL, NULL);
		else if (!strcmp(w, "blockdev"))
			ent(&b, TAR_BLOCKDEV, "sda", 0660, NULL, NULL);
		else if (!strcmp(w, "fifo"))
			ent(&b, TAR_FIFO, "pipe", 0644, NULL, NULL);
		else if (!strcmp(w, "unknown"))
			ent(&b, 'Z', "odd", 0644, NULL, NULL);
		else if (!strcmp(w, "root-file"))
			ent(&b, TAR_FILE, ".", 0644, "x", NULL);
		else if (!strcmp(w, "file-parent")) {
			ent(&b, TAR_FILE, "f", 0644, "x", NULL);
			ent(&b, TAR_FILE, "f/x", 0644, "x", NULL);
		} else if (!strcmp(w, "long-component")) {
			memset(longc, 'c', 299);
			longc[299] = 0;
			ent(&b, TAR_FILE, longc, 0644, "x", NULL);
		} else if (!strcmp(w, "bad-whiteout"))
			ent(&b, TAR_FILE, "a/.wh..", 0644, NULL, NULL);
		ent(&b, TAR_FILE, "after.txt", 0644, "never", NULL);
		end(&b);
		err_init(&e);
		rc = unpack(&b, d, NULL, &e);
		T_CHECKF(rc == ERR_INTEGRITY, "%s: rc %d (%s)", w, rc, e.msg);
		T_CHECKF(strstr(e.msg, cases[i].rule) != NULL, "%s: '%s' lacks '%s'", w, e.msg,
		         cases[i].rule);
		if (cases[i].entry) {
			char want[128];
			snprintf(want, sizeof want, "entry '%s'", cases[i].entry);
			T_CHECKF(strstr(e.msg, want) != NULL, "%s: '%s' lacks %s", w, e.msg, want);
		}
		T_CHECKF(access(d, F_OK) != 0, "%s: folder left behind", w);
		T_CHECKF(count_entries(base_dir) == 0, "%s: something left in %s", w, base_dir);
		T_CHECK(access("/tmp/evil", F_OK) != 0);
		buf_free(&b);
	}
}

/* A header claiming 10 GB fails on the byte bound at once (no data follows at all). */
static void test_extract_size_bomb(void)
{
	struct buf b = {0};
	struct err e;
	uint8_t h[512];
	struct pack_limits lim;
	const char *d = fresh();
	int64_t t0 = log_now_ms();

	/* the size in a PAX record (11 octal digits stop below 8 GiB) */
	tar_raw_header(h, NULL, "pax", 'x', 0644, 20, 0, NULL);
	blk(&b, h, 512);
	blk(&b, "20 size=10000000000\n", 20);
	tar_raw_header(h, NULL, "bomb", TAR_FILE, 0644, 0, 0, NULL);
	blk(&b, h, 512);
	err_init(&e);
	T_EQ_INT(unpack(&b, d, NULL, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "entry 'bomb'") && strstr(e.msg, "bytes of files (the limit)"), "%s",
	         e.msg);
	T_CHECK(log_now_ms() - t0 < 5000);
	T_CHECK(access(d, F_OK) != 0);
	buf_free(&b);

	/* the bound counts across entries; a caller's limit replaces the default */
	pack_limits_default(&lim);
	lim.max_bytes = 1000;
	d = fresh();
	{
		static char six[601];
		memset(six, 's', 600);
		ent(&b, TAR_FILE, "one", 0644, six, NULL);
		ent(&b, TAR_FILE, "two", 0644, six, NULL);
	}
	end(&b);
	err_init(&e);
	T_EQ_INT(unpack(&b, d, &lim, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "entry 'two'") && strstr(e.msg, "1000 bytes"), "%s", e.msg);
	T_CHECK(access(d, F_OK) != 0);
	buf_free(&b);
}

/* A stream of a million "d/" entries, made on the fly (512 MB never in memory). */
struct gen_in {
	struct io_in in;
	uint64_t left;
	uint8_t h[512];
	size_t off;
};

static ssize_t gen_read(struct io_in *in, void *p, size_t n)
{
	struct gen_in *g = (struct gen_in *)in;
	size_t done = 0;
	while (done < n && g->left) {
		size_t k = 512 - g->off;
		if (k > n - done)
			k = n - done;
		memcpy((char *)p + done, g->h + g->off, k);
		done += k;
		g->off += k;
		if (g->off == 512) {
			g->off = 0;
			g->left--;
		}
	}
	return (ssize_t)done;
}

static int gen_close(struct io_in *in)
{
	(void)in;
	return 0;
}

static void test_extract_entry_bound(void)
{
	static const struct io_in_ops ops = {gen_read, gen_close};
	struct gen_in g;
	struct err e;
	const char *d = fresh();
	int rc;

	memset(&g, 0, sizeof g);
	g.in.ops = &ops;
	g.in.e = &e;
	g.left = 1000000;
	tar_raw_header(g.h, NULL, "d/", TAR_DIR, 0755, 0, 0, NULL);
	err_init(&e);
	rc = pack_unpack(&g.in, d, NULL, &e);
	T_EQ_INT(rc, ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "more than 100000 entries (the limit)") != NULL, "%s", e.msg);
	T_CHECKF(strstr(e.hint, "--max-entries") != NULL, "%s", e.hint);
	T_EQ_INT(g.left, 1000000 - 100001); /* stopped right at the bound */
	T_CHECK(access(d, F_OK) != 0);
}

/* A 64 KiB path (PAX) is read whole and refused by the path bound. */
static void test_extract_long_path(void)
{
	struct buf b = {0};
	struct err e;
	static char path[65537];
	const char *d = fresh();
	for (size_t i = 0; i < 65536; i++)
		path[i] = (i % 100 == 99) ? '/' : 'p';
	path[65536] = 0;
	ent(&b, TAR_FILE, path, 0644, "x", NULL);
	end(&b);
	err_init(&e);
	T_EQ_INT(unpack(&b, d, NULL, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "path longer than the limit") && strstr(e.msg, "'pppp"), "%s",
	         e.msg);
	T_CHECK(strlen(e.msg) < 400); /* the name is shortened in the message */
	T_CHECK(access(d, F_OK) != 0);
	buf_free(&b);
}

static void test_extract_setuid_stripped(void)
{
	struct buf b = {0};
	struct err e;
	struct stat st;
	const char *d = fresh();
	ent(&b, TAR_FILE, "suid", 04755, "x", NULL);
	ent(&b, TAR_FILE, "sgid", 02755, "x", NULL);
	ent(&b, TAR_DIR, "sticky/", 01777, NULL, NULL);
	ent(&b, TAR_DIR, "locked/", 0500, NULL, NULL);
	ent(&b, TAR_FILE, "locked/inside", 0644, "x", NULL); /* still writable for us */
	end(&b);
	err_init(&e);
	T_CHECKF(unpack(&b, d, NULL, &e) == 0, "%s", e.msg);
	T_CHECK(stat(at(d, "suid"), &st) == 0 && (st.st_mode & 07777) == 0755);
	T_CHECK(stat(at(d, "sgid"), &st) == 0 && (st.st_mode & 07777) == 0755);
	T_CHECK(stat(at(d, "sticky"), &st) == 0 && (st.st_mode & 07000) == 0);
	T_CHECK(file_is(at(d, "locked/inside"), "x"));
	buf_free(&b);
}

static int layer(struct pack_extract *x, const struct buf *b, struct err *e)
{
	struct io_in *in = io_in_mem(b->p, b->len, e);
	int rc = pack_extract_layer(x, in);
	io_in_close(in);
	return rc;
}

static void test_extract_whiteouts(void)
{
	struct buf l1 = {0}, l2 = {0};
	struct err e;
	struct pack_extract x;
	const char *d = fresh();
	ent(&l1, TAR_DIR, "a/", 0755, NULL, NULL);
	ent(&l1, TAR_FILE, "a/x", 0644, "x", NULL);
	ent(&l1, TAR_FILE, "a/y", 0644, "y", NULL);
	ent(&l1, TAR_FILE, "b", 0644, "b", NULL);
	ent(&l1, TAR_DIR, "c/", 0755, NULL, NULL);
	ent(&l1, TAR_FILE, "c/z", 0644, "z", NULL);
	ent(&l1, TAR_DIR, "c/deep/", 0755, NULL, NULL);
	ent(&l1, TAR_DIR, "gone/", 0755, NULL, NULL);
	ent(&l1, TAR_FILE, "gone/f", 0644, "f", NULL);
	ent(&l1, TAR_DIR, "p/", 0755, NULL, NULL);
	ent(&l1, TAR_FILE, "p/f", 0644, "f", NULL);
	end(&l1);
	ent(&l2, TAR_FILE, ".wh.b", 0644, NULL, NULL);
	ent(&l2, TAR_FILE, "a/.wh.x", 0644, NULL, NULL);
	ent(&l2, TAR_DIR, "c/", 0755, NULL, NULL);
	ent(&l2, TAR_FILE, "c/.wh..wh..opq", 0644, NULL, NULL);
	ent(&l2, TAR_FILE, "c/new", 0644, "new", NULL);
	ent(&l2, TAR_FILE, ".wh.gone", 0644, NULL, NULL);
	ent(&l2, TAR_FILE, "nothere/.wh.x", 0644, NULL, NULL); /* nothing to hide: fine */
	ent(&l2, TAR_FILE, "p", 0644, "now a file", NULL);     /* a folder replaced */
	end(&l2);
	err_init(&e);
	T_EQ_INT(pack_extract_begin(&x, d, NULL, &e), 0);
	T_CHECKF(layer(&x, &l1, &e) == 0, "%s", e.msg);
	T_CHECKF(layer(&x, &l2, &e) == 0, "%s", e.msg);
	T_EQ_INT(pack_extract_end(&x, 1), 0);
	T_CHECK(access(at(d, "b"), F_OK) != 0);
	T_CHECK(access(at(d, "a/x"), F_OK) != 0);
	T_CHECK(file_is(at(d, "a/y"), "y"));
	T_CHECK(access(at(d, "c/z"), F_OK) != 0);
	T_CHECK(access(at(d, "c/deep"), F_OK) != 0);
	T_CHECK(file_is(at(d, "c/new"), "new"));
	T_CHECK(access(at(d, "gone"), F_OK) != 0);
	T_CHECK(file_is(at(d, "p"), "now a file"));
	T_CHECK(access(at(d, ".wh.b"), F_OK) != 0 && access(at(d, "nothere"), F_OK) != 0);
	T_EQ_INT(count_entries(d), 5); /* a, a/y, c, c/new, p */
	buf_free(&l1);
	buf_free(&l2);
}

/* A symlink planted by one layer is not followed by the next; a failing later layer
 * removes the whole folder; limits count across layers. */
static void test_extract_layers_hostile(void)
{
	struct buf l1 = {0}, l2 = {0};
	struct err e;
	struct pack_extract x;
	struct pack_limits lim;
	const char *d = fresh();
	ent(&l1, TAR_DIR, "sub/", 0755, NULL, NULL);
	ent(&l1, TAR_SYMLINK, "l", 0777, NULL, "sub");
	end(&l1);
	ent(&l2, TAR_FILE, "l/evil", 0644, "x", NULL);
	end(&l2);
	err_init(&e);
	T_EQ_INT(pack_extract_begin(&x, d, NULL, &e), 0);
	T_EQ_INT(layer(&x, &l1, &e), 0);
	T_EQ_INT(layer(&x, &l2, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "entry 'l/evil': entry below a symlink") != NULL, "%s", e.msg);
	T_CHECK(access(d, F_OK) != 0);
	T_EQ_INT(pack_extract_end(&x, 0), 0);
	buf_free(&l2);

	pack_limits_default(&lim);
	lim.max_entries = 3;
	d = fresh();
	ent(&l2, TAR_FILE, "one", 0644, "x", NULL);
	ent(&l2, TAR_FILE, "two", 0644, "x", NULL);
	end(&l2);
	err_init(&e);
	T_EQ_INT(pack_extract_begin(&x, d, &lim, &e), 0);
	T_EQ_INT(layer(&x, &l1, &e), 0);
	T_EQ_INT(layer(&x, &l2, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "entry 'two': more than 3 entries") != NULL, "%s", e.msg);
	T_EQ_INT(pack_extract_end(&x, 0), 0);
	T_CHECK(access(d, F_OK) != 0);
	buf_free(&l1);
	buf_free(&l2);
}

/* A later entry replaces a file without writing through its inode (a hardlink keeps
 * the old content); the same name twice is fine. */
static void test_extract_replace(void)
{
	struct buf b = {0};
	struct err e;
	const char *d = fresh();
	ent(&b, TAR_FILE, "f", 0644, "orig", NULL);
	ent(&b, TAR_HARDLINK, "h", 0644, NULL, "f");
	ent(&b, TAR_FILE, "f", 0644, "new", NULL);
	ent(&b, TAR_DIR, "d/", 0755, NULL, NULL);
	ent(&b, TAR_DIR, "d/", 0700, NULL, NULL);
	ent(&b, TAR_SYMLINK, "s", 0777, NULL, "f");
	ent(&b, TAR_FILE, "s", 0644, "plain", NULL); /* replaces the link, not its target */
	end(&b);
	err_init(&e);
	T_CHECKF(unpack(&b, d, NULL, &e) == 0, "%s", e.msg);
	T_CHECK(file_is(at(d, "h"), "orig"));
	T_CHECK(file_is(at(d, "f"), "new"));
	T_CHECK(file_is(at(d, "s"), "plain"));
	buf_free(&b);
}

static void test_extract_begin_and_truncated(void)
{
	struct buf b = {0};
	struct err e;
	struct pack_extract x;
	const char *d = fresh();
	int fd;
	char path[256];

	/* not empty: refused, and the caller's folder is left alone */
	snprintf(path, sizeof path, "%s/keep", d);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	err_init(&e);
	T_EQ_INT(pack_extract_begin(&x, d, NULL, &e), ERR_FAIL);
	T_CHECK(strstr(e.msg, "not empty") != NULL);
	pack_extract_end(&x, 0);
	T_CHECK(access(path, F_OK) == 0);
	err_init(&e);
	T_EQ_INT(pack_extract_begin(&x, "/nonexistent/polycrate", NULL, &e), ERR_FAIL);
	pack_extract_end(&x, 0);

	/* a truncated archive after good entries: nothing left */
	d = fresh();
	ent(&b, TAR_FILE, "good", 0644, "data", NULL);
	ent(&b, TAR_FILE, "cut", 0644, "0123456789", NULL);
	b.len = 1024 + 512 + 3; /* 3 bytes into the data of "cut" */
	err_init(&e);
	T_EQ_INT(unpack(&b, d, NULL, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "truncated") != NULL, "%s", e.msg);
	T_CHECK(access(d, F_OK) != 0);
	buf_free(&b);
	rmrf(base_dir);
}

T_MAIN(test_extract_basic, test_extract_refusals, test_extract_size_bomb, test_extract_entry_bound,
       test_extract_long_path, test_extract_setuid_stripped, test_extract_whiteouts,
       test_extract_layers_hostile, test_extract_replace, test_extract_begin_and_truncated)
