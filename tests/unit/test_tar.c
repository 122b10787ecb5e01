/* test_tar.c - tar writer bytes, reader formats (GNU tar, Python tarfile), hostile headers */
#include "t.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "io.h"
#include "tar.h"

/* ---- helpers ---- */

/* Recomputes a raw header's checksum after a test changed a field. */
static void fix_sum(uint8_t *h)
{
	unsigned sum = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static void put_block(struct buf *b, const void *p, size_t n)
{
	static const uint8_t zero[512];
	buf_append(b, p, n);
	if (n % 512)
		buf_append(b, zero, 512 - n % 512);
}

static void put_end(struct buf *b)
{
	static const uint8_t zero[1024];
	buf_append(b, zero, sizeof zero);
}

/* One entry as the reader saw it, flattened to "type path -> link size data" text. */
static int read_all(const void *p, size_t n, struct buf *out, struct err *e)
{
	struct io_in *in = io_in_mem(p, n, e);
	struct tar_reader r;
	const struct tar_entry *ent;
	int rc;
	tar_reader_init(&r, in, e);
	while ((rc = tar_next(&r, &ent)) == 1) {
		char data[64];
		ssize_t got = 0;
		if (ent->type == TAR_FILE && ent->size <= sizeof data)
			got = tar_read_data(&r, data, sizeof data);
		buf_printf(out, "%c %s", ent->type, ent->path);
		if (ent->link[0])
			buf_printf(out, " -> %s", ent->link);
		buf_printf(out, " %o %llu", ent->mode, (unsigned long long)ent->size);
		if (got > 0)
			buf_printf(out, " [%.*s]", (int)got, data);
		buf_putc(out, '\n');
	}
	tar_reader_free(&r);
	io_in_close(in);
	return rc;
}

/* Runs a shell command in dir; 0 when it worked. */
static int sh(const char *dir, const char *cmd)
{
	char full[4096];
	snprintf(full, sizeof full, "cd '%s' && ( %s ) >/dev/null 2>&1", dir, cmd);
	return system(full);
}

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char tmp[4096];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_append(b, tmp, n);
	fclose(f);
	return 0;
}

/* ---- writer ---- */

static void test_writer_bytes(void)
{
	struct buf b = {0};
	struct err e;
	struct io_out *out;
	struct tar_writer w;
	struct tar_entry f = {"a.txt", NULL, TAR_FILE, 0600, 2, 0};
	uint8_t *h;

	err_init(&e);
	out = io_out_buf(&b, &e);
	tar_writer_init(&w, out, 0, &e);
	T_EQ_INT(tar_write_header(&w, &f), 0);
	T_EQ_INT(tar_write_data(&w, "hi", 2), 0);
	T_EQ_INT(tar_write_finish(&w), 0);
	T_EQ_INT(io_out_close(out), 0);
	T_EQ_INT(b.len, 512 + 512 + 1024);
	h = (uint8_t *)b.p;
	T_EQ_STR((char *)h, "a.txt");
	T_EQ_MEM(h + 100, "0000644\0", 8);
	T_EQ_MEM(h + 108, "0000000\0", 8);
	T_EQ_MEM(h + 116, "0000000\0", 8);
	T_EQ_MEM(h + 124, "00000000002\0", 12);
	T_EQ_MEM(h + 136, "00000000000\0", 12);
	T_EQ_INT(h[156], '0');
	T_EQ_MEM(h + 257,
	         "ustar\0"
	         "00",
	         8);
	T_EQ_INT(h[265], 0); /* no uname */
	T_EQ_INT(h[297], 0); /* no gname */
	uint8_t copy[512];
	memcpy(copy, h, 512);
	fix_sum(copy);
	T_EQ_MEM(copy, h, 512);
	T_EQ_MEM(b.p + 512, "hi\0\0", 4);
	buf_free(&b);
}

static void test_writer_modes(void)
{
	static const struct {
		struct tar_entry ent;
		const char *name, *mode, *link;
		int type;
	} cases[] = {
	    {{"run.sh", NULL, TAR_FILE, 0700, 0, 0}, "run.sh", "0000755", "", '0'},
	    {{"x", NULL, TAR_FILE, 04711, 0, 0}, "x", "0000755", "", '0'},
	    {{"y", NULL, TAR_FILE, 02664, 0, 0}, "y", "0000644", "", '0'},
	    {{"sub", NULL, TAR_DIR, 0700, 0, 0}, "sub/", "0000755", "", '5'},
	    {{"sub/", NULL, TAR_DIR, 0700, 0, 0}, "sub/", "0000755", "", '5'},
	    {{"l", "sub/x", TAR_SYMLINK, 0, 0, 0}, "l", "0000777", "sub/x", '2'},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		struct err e;
		struct io_out *out;
		struct tar_writer w;
		err_init(&e);
		out = io_out_buf(&b, &e);
		tar_writer_init(&w, out, 1700000000, &e);
		T_EQ_INT(tar_write_header(&w, &cases[i].ent), 0);
		T_EQ_INT(tar_write_finish(&w), 0);
		io_out_close(out);
		T_EQ_STR(b.p, cases[i].name);
		T_EQ_MEM(b.p + 100, cases[i].mode, 8);
		T_EQ_MEM(b.p + 136, "14524770400", 12); /* 1700000000 in octal */
		T_EQ_INT(b.p[156], cases[i].type);
		T_EQ_STR(b.p + 157, cases[i].link);
		buf_free(&b);
	}
}

/* Names that fit the prefix/name split stay ustar; the rest get PAX records. */
static void test_writer_long_names(void)
{
	char n150[160], n300[310], l200[210];
	struct buf b = {0}, got = {0};
	struct err e;
	struct io_out *out;
	struct tar_writer w;

	memset(n150, 'a', 149);
	n150[60] = '/';
	n150[149] = 0;
	memset(n300, 'b', 299);
	n300[299] = 0;
	n300[100] = '/';
	memset(l200, 'c', 199);
	l200[199] = 0;
	err_init(&e);
	out = io_out_buf(&b, &e);
	tar_writer_init(&w, out, 0, &e);
	struct tar_entry a = {n150, NULL, TAR_FILE, 0644, 3, 0};
	struct tar_entry c = {n300, NULL, TAR_DIR, 0755, 0, 0};
	struct tar_entry d = {"lnk", l200, TAR_SYMLINK, 0777, 0, 0};
	T_EQ_INT(tar_write_header(&w, &a), 0);
	T_EQ_INT(tar_write_data(&w, "abc", 3), 0);
	T_EQ_INT(tar_write_header(&w, &c), 0);
	T_EQ_INT(tar_write_header(&w, &d), 0);
	T_EQ_INT(tar_write_finish(&w), 0);
	io_out_close(out);
	/* first entry: ustar split, no PAX */
	T_EQ_INT(b.p[156], '0');
	T_EQ_INT((int)strnlen(b.p + 345, 155), 60);
	T_EQ_INT(b.p[1024 + 156], 'x');
	T_CHECK(strstr(b.p + 1024 + 512, " path=") != NULL);
	T_EQ_INT(read_all(b.p, b.len, &got, &e), 0);
	char want[1024];
	snprintf(want, sizeof want, "0 %s 644 3 [abc]\n5 %s 755 0\n2 lnk -> %s 777 0\n", n150, n300,
	         l200);
	T_EQ_STR(buf_cstr(&got), want);
	buf_free(&b);
	buf_free(&got);
}

/* Sizes of 8 GiB and more need a PAX size record; the writer refuses misuse. */
static void test_writer_big_and_misuse(void)
{
	struct buf b = {0};
	struct err e;
	struct io_out *out;
	struct tar_writer w;
	struct tar_entry big = {"big", NULL, TAR_FILE, 0644, 10ULL << 30, 0};
	struct tar_entry small = {"s", NULL, TAR_FILE, 0644, 2, 0};
	struct tar_entry abs = {"/etc/x", NULL, TAR_FILE, 0644, 0, 0};

	err_init(&e);
	out = io_out_buf(&b, &e);
	tar_writer_init(&w, out, 0, &e);
	T_EQ_INT(tar_write_header(&w, &big), 0);
	T_EQ_INT(b.p[156], 'x');
	T_CHECK(strstr(b.p + 512, " size=10737418240\n") != NULL);
	T_EQ_MEM(b.p + 1024 + 124, "00000000000\0", 12);
	{
		/* the reader takes the size from the PAX record */
		struct io_in *in = io_in_mem(b.p, b.len, &e);
		struct tar_reader r;
		const struct tar_entry *ent;
		tar_reader_init(&r, in, &e);
		if (T_CHECK(tar_next(&r, &ent) == 1)) {
			T_EQ_INT(ent->size, 10ULL << 30);
			T_EQ_STR(ent->path, "big");
		}
		T_EQ_INT(tar_next(&r, &ent), ERR_INTEGRITY); /* no data follows */
		tar_reader_free(&r);
		io_in_close(in);
		err_init(&e);
	}
	io_out_abort(out);
	buf_free(&b);

	out = io_out_buf(&b, &e);
	tar_writer_init(&w, out, 0, &e);
	T_EQ_INT(tar_write_header(&w, &abs), ERR_FAIL);
	io_out_abort(out);
	err_init(&e);
	tar_writer_init(&w, out = io_out_buf(&b, &e), 0, &e);
	T_EQ_INT(tar_write_header(&w, &small), 0);
	T_EQ_INT(tar_write_data(&w, "abc", 3), ERR_FAIL);
	T_CHECK(strstr(e.msg, "more data") != NULL);
	io_out_abort(out);
	err_init(&e);
	tar_writer_init(&w, out = io_out_buf(&b, &e), 0, &e);
	T_EQ_INT(tar_write_header(&w, &small), 0);
	T_EQ_INT(tar_write_finish(&w), ERR_FAIL);
	io_out_abort(out);
	err_init(&e);
	tar_writer_init(&w, out = io_out_buf(&b, &e), -5, &e);
	T_EQ_INT(tar_write_header(&w, &small), ERR_FAIL);
	io_out_abort(out);
	buf_free(&b);
}

/* ---- reader: what other tools write ---- */

/* The tree every external tool archives; the expected listing is the same for all. A
 * 201-byte path (110-byte folders, 90-byte file) fits ustar's prefix/name split only. */
static char long_d[111], long_f[91], mk_tree[1024];

static void make_names(void)
{
	memset(long_d, 'd', 110);
	long_d[60] = '/'; /* ustar cannot split a folder name of 110 bytes without a '/' */
	memset(long_f, 'f', 90);
	snprintf(mk_tree, sizeof mk_tree,
	         "mkdir -p t/sub t/%s && printf abc > t/sub/f.txt && chmod 755 t/sub/f.txt && "
	         "printf x > t/%s/%s && ln -s sub/f.txt t/link",
	         long_d, long_d, long_f);
}

static void check_listing(const char *what, const char *listing, int dotted)
{
	/* the order differs between tools: check each line is present */
	char lng[512];
	const char *want[] = {"5 sub 755 0\n", "0 sub/f.txt 755 3 [abc]\n", lng,
	                      "2 link -> sub/f.txt "};
	snprintf(lng, sizeof lng, "0 %s/%s 644 1 [x]\n", long_d, long_f);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		T_CHECKF(strstr(listing, want[i]) != NULL, "%s: missing %s in:\n%s", what, want[i],
		         listing);
	if (dotted)
		T_CHECKF(strstr(listing, "5  755 0\n") != NULL, "%s: no root entry in:\n%s", what,
		         listing);
}

static void test_reader_gnu_tar(void)
{
	static const struct {
		const char *tool, *what;
		int dotted;
	} cases[] = {
	    {"tar --format=gnu", "gnu", 0},     {"tar --format=oldgnu", "oldgnu", 0},
	    {"tar --format=pax", "pax", 0},     {"tar --format=posix", "posix", 1},
	    {"tar --format=ustar", "ustar", 0}, {"tar --format=gnu", "gnu-dot", 1},
	    {"busybox tar", "busybox", 0},      {"busybox tar", "busybox-dot", 1},
	};
	char dir[] = "/tmp/test_tar.XXXXXX";
	make_names();
	if (!mkdtemp(dir) || sh(dir, mk_tree) != 0 || sh(dir, "tar --version") != 0) {
		t_skip("no GNU tar");
		return;
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char cmd[512], path[600];
		struct buf b = {0}, got = {0};
		struct err e;
		snprintf(cmd, sizeof cmd, "umask 022 && cd t && %s -cf ../a.tar %s", cases[i].tool,
		         cases[i].dotted ? "." : "sub link d*");
		if (sh(dir, cmd) != 0) {
			t_skip(cases[i].what);
			continue;
		}
		snprintf(path, sizeof path, "%s/a.tar", dir);
		err_init(&e);
		T_EQ_INT(read_file(path, &b), 0);
		T_CHECKF(read_all(b.p, b.len, &got, &e) == 0, "%s: %s", cases[i].what, e.msg);
		check_listing(cases[i].what, buf_cstr(&got), cases[i].dotted);
		buf_free(&b);
		buf_free(&got);
	}
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	T_EQ_INT(system(rm), 0);
}

static void test_reader_python(void)
{
	static const char *fmts[] = {"USTAR_FORMAT", "GNU_FORMAT", "PAX_FORMAT"};
	char dir[] = "/tmp/test_tar.XXXXXX";
	make_names();
	if (!mkdtemp(dir) || sh(dir, mk_tree) != 0 || access("/usr/bin/python3", X_OK) != 0) {
		t_skip("no /usr/bin/python3");
		return;
	}
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		char cmd[1024], path[600];
		struct buf b = {0}, got = {0};
		struct err e;
		/* a "./" prefix on every name and a "." root, as Go-based tools write */
		snprintf(cmd, sizeof cmd,
		         "umask 022 && cd t && /usr/bin/python3 -c \"import tarfile,os\n"
		         "t=tarfile.open('../p.tar','w',format=tarfile.%s)\n"
		         "t.add('.')\nt.close()\"",
		         fmts[i]);
		if (sh(dir, cmd) != 0) {
			T_CHECKF(0, "python3 %s failed", fmts[i]);
			continue;
		}
		snprintf(path, sizeof path, "%s/p.tar", dir);
		err_init(&e);
		T_EQ_INT(read_file(path, &b), 0);
		T_CHECKF(read_all(b.p, b.len, &got, &e) == 0, "%s: %s", fmts[i], e.msg);
		check_listing(fmts[i], buf_cstr(&got), 1);
		buf_free(&b);
		buf_free(&got);
	}
	char rm[128];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	T_EQ_INT(system(rm), 0);
}

/* ---- reader: hand-made headers ---- */

/* v7 (no magic, folder by trailing '/'), GNU L/K records, base-256 size, signed checksum,
 * NUL-filled mtime, "./" prefixes and a "." root. */
static void test_reader_old_formats(void)
{
	struct buf b = {0}, got = {0};
	struct err e;
	uint8_t h[512];
	char longname[300];

	/* "." root as Go writes it, with an empty mtime field */
	tar_raw_header(h, NULL, "./", TAR_DIR, 0755, 0, 0, NULL);
	memset(h + 136, 0, 12);
	fix_sum(h);
	put_block(&b, h, 512);
	/* v7 folder */
	tar_raw_header(h, NULL, "./old/", 0, 0755, 0, 0, NULL);
	memset(h + 257, 0, 8);
	fix_sum(h);
	put_block(&b, h, 512);
	/* GNU long name and long link */
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	tar_raw_header(h, NULL, "././@LongLink", 'L', 0644, sizeof longname, 0, NULL);
	memcpy(h + 257, "ustar  \0", 8);
	fix_sum(h);
	put_block(&b, h, 512);
	put_block(&b, longname, sizeof longname);
	tar_raw_header(h, NULL, "././@LongLink", 'K', 0644, 4, 0, NULL);
	fix_sum(h);
	put_block(&b, h, 512);
	put_block(&b, "tgt", 4);
	tar_raw_header(h, NULL, "short", TAR_SYMLINK, 0777, 0, 0, "ignored");
	put_block(&b, h, 512);
	/* base-256 size and a signed checksum (a name byte >= 0x80) */
	tar_raw_header(h, NULL, "./b\xe9", '7', 0644, 0, 0, NULL);
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[135] = 3;
	{
		int sum = 0;
		memset(h + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (signed char)h[i];
		snprintf((char *)h + 148, 8, "%06o", sum);
	}
	put_block(&b, h, 512);
	put_block(&b, "xyz", 3);
	put_end(&b);
	err_init(&e);
	T_CHECKF(read_all(b.p, b.len, &got, &e) == 0, "%s", e.msg);
	char want[1024];
	snprintf(want, sizeof want,
	         "5  755 0\n5 old 755 0\n2 %s -> tgt 777 0\n0 b\xe9 644 3 [xyz]\n", longname);
	T_EQ_STR(buf_cstr(&got), want);
	buf_free(&b);
	buf_free(&got);
}

/* Unread data is skipped; PAX global headers are ignored; trailing record padding read. */
static void test_reader_skip_and_global(void)
{
	struct buf b = {0};
	struct err e;
	uint8_t h[512];
	static char data[3000];
	const char *g = "21 path=ignored/name\n";
	struct io_in *in;
	struct tar_reader r;
	const struct tar_entry *ent;
	char part[10];

	memset(data, 'q', sizeof data);
	tar_raw_header(h, NULL, "pax_global_header", 'g', 0644, strlen(g), 0, NULL);
	put_block(&b, h, 512);
	put_block(&b, g, strlen(g));
	tar_raw_header(h, NULL, "one", TAR_FILE, 0644, sizeof data, 0, NULL);
	put_block(&b, h, 512);
	put_block(&b, data, sizeof data);
	tar_raw_header(h, NULL, "two", TAR_FILE, 0644, 5, 0, NULL);
	put_block(&b, h, 512);
	put_block(&b, "hello", 5);
	put_end(&b);
	{
		static const uint8_t pad[8192];
		buf_append(&b, pad, sizeof pad); /* a 10240-byte record, as GNU tar pads */
	}
	err_init(&e);
	in = io_in_mem(b.p, b.len, &e);
	tar_reader_init(&r, in, &e);
	T_EQ_INT(tar_next(&r, &ent), 1);
	T_EQ_STR(ent->path, "one");
	T_EQ_INT(tar_read_data(&r, part, 4), 4);
	T_EQ_INT(tar_next(&r, &ent), 1);
	T_EQ_STR(ent->path, "two");
	T_EQ_INT(tar_read_data(&r, part, sizeof part), 5);
	T_EQ_INT(tar_read_data(&r, part, sizeof part), 0);
	T_EQ_INT(tar_next(&r, &ent), 0);
	T_EQ_INT(tar_next(&r, &ent), 0);
	T_EQ_INT(r.offset, b.len);
	tar_reader_free(&r);
	io_in_close(in);
	buf_free(&b);
}

/* Damaged and hostile archives: each is ERR_INTEGRITY with a message saying what. */
enum {
	H_OK,
	H_BADSUM,
	H_TRUNC_HDR,
	H_TRUNC_DATA,
	H_NO_END,
	H_ZERO_MID,
	H_BADNUM,
	H_BADPAX,
	H_PAXBIG,
	H_SPARSE,
	H_GNUSPARSE,
	H_EXT_ONLY,
	H_LONGBIG,
	H_NEGSIZE,
	H_MULTIVOL,
	H_PAXNUL,
	H_EMPTY,
	H_EXT_CHAIN
};

static void build_hostile(int kind, struct buf *b)
{
	uint8_t h[512];
	tar_raw_header(h, NULL, "file", TAR_FILE, 0644, 5, 0, NULL);
	switch (kind) {
	case H_BADSUM:
		h[0] = 'F';
		break;
	case H_BADNUM:
		memcpy(h + 124, "00000000x02\0", 12);
		fix_sum(h);
		break;
	case H_NEGSIZE:
		memset(h + 124, 0xff, 12);
		fix_sum(h);
		break;
	case H_SPARSE:
		h[156] = 'S';
		fix_sum(h);
		break;
	case H_MULTIVOL:
		h[156] = 'M';
		fix_sum(h);
		break;
	case H_EMPTY:
		return;
	default:
		break;
	}
	if (kind == H_BADPAX || kind == H_PAXBIG || kind == H_GNUSPARSE || kind == H_EXT_ONLY ||
	    kind == H_PAXNUL) {
		const char *rec = kind == H_BADPAX      ? "99 path=x\n"
		                  : kind == H_GNUSPARSE ? "22 GNU.sparse.major=1\n"
		                  : kind == H_PAXNUL    ? "12 path=a\0b\n"
		                                        : "11 path=zz\n";
		uint8_t x[512];
		size_t n = kind == H_PAXNUL ? 12 : strlen(rec);
		tar_raw_header(x, NULL, "pax", 'x', 0644, kind == H_PAXBIG ? 2u << 20 : n, 0, NULL);
		put_block(b, x, 512);
		put_block(b, rec, n);
		if (kind == H_EXT_ONLY) {
			put_end(b);
			return;
		}
	}
	if (kind == H_EXT_CHAIN) {
		for (int i = 0; i <= TAR_EXT_MAX; i++) {
			uint8_t x[512];
			tar_raw_header(x, NULL, "g", 'g', 0644, 10, 0, NULL);
			put_block(b, x, 512);
			put_block(b, "10 path=x\n", 10);
		}
	}
	if (kind == H_LONGBIG) {
		uint8_t x[512];
		tar_raw_header(x, NULL, "././@LongLink", 'L', 0644, 5u << 20, 0, NULL);
		put_block(b, x, 512);
	}
	put_block(b, h, 512);
	if (kind == H_TRUNC_HDR) {
		b->len -= 100;
		return;
	}
	if (kind == H_TRUNC_DATA) {
		buf_append(b, "he", 2);
		return;
	}
	put_block(b, "hello", 5);
	if (kind == H_NO_END)
		return;
	if (kind == H_ZERO_MID) {
		static const uint8_t zero[512];
		buf_append(b, zero, 512);
		put_block(b, h, 512);
		return;
	}
	put_end(b);
}

static void test_reader_hostile(void)
{
	static const struct {
		int kind;
		int rc;
		const char *msg;
	} cases[] = {
	    {H_OK, 0, ""},
	    {H_BADSUM, ERR_INTEGRITY, "bad header checksum"},
	    {H_TRUNC_HDR, ERR_INTEGRITY, "truncated archive"},
	    {H_TRUNC_DATA, ERR_INTEGRITY, "truncated"},
	    {H_NO_END, ERR_INTEGRITY, "no end-of-archive mark"},
	    {H_ZERO_MID, ERR_INTEGRITY, "zero block inside"},
	    {H_BADNUM, ERR_INTEGRITY, "bad number"},
	    {H_NEGSIZE, ERR_INTEGRITY, "bad number"},
	    {H_BADPAX, ERR_INTEGRITY, "bad PAX record"},
	    {H_PAXBIG, ERR_INTEGRITY, "larger than its limit"},
	    {H_SPARSE, ERR_INTEGRITY, "sparse"},
	    {H_GNUSPARSE, ERR_INTEGRITY, "sparse"},
	    {H_EXT_ONLY, ERR_INTEGRITY, "extension header without an entry"},
	    {H_LONGBIG, ERR_INTEGRITY, "larger than its limit"},
	    {H_MULTIVOL, ERR_INTEGRITY, "multi-volume"},
	    {H_PAXNUL, ERR_INTEGRITY, "NUL byte"},
	    {H_EMPTY, ERR_INTEGRITY, "no end-of-archive mark"},
	    {H_EXT_CHAIN, ERR_INTEGRITY, "too many extension headers"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0}, got = {0};
		struct err e;
		int rc;
		err_init(&e);
		build_hostile(cases[i].kind, &b);
		rc = read_all(b.p, b.len, &got, &e);
		T_CHECKF(rc == cases[i].rc, "case %zu: rc %d msg %s", i, rc, e.msg);
		T_CHECKF(strstr(e.msg, cases[i].msg) != NULL, "case %zu: msg '%s' lacks '%s'", i,
		         e.msg, cases[i].msg);
		if (cases[i].rc)
			T_CHECKF(!strncmp(e.msg, "tar: ", 5), "case %zu: %s", i, e.msg);
		buf_free(&b);
		buf_free(&got);
	}
}

/* The errors name the entry they happened after (the last good one). */
static void test_reader_names_entry(void)
{
	struct buf b = {0}, got = {0};
	struct err e;
	uint8_t h[512];
	tar_raw_header(h, NULL, "good", TAR_FILE, 0644, 0, 0, NULL);
	put_block(&b, h, 512);
	tar_raw_header(h, NULL, "bad", TAR_FILE, 0644, 0, 0, NULL);
	h[0] = 'B';
	put_block(&b, h, 512);
	put_end(&b);
	err_init(&e);
	T_EQ_INT(read_all(b.p, b.len, &got, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "after entry 'good'") && strstr(e.msg, "byte 1024"), "%s", e.msg);
	buf_free(&b);
	buf_free(&got);
	/* truncated data names the entry itself */
	tar_raw_header(h, NULL, "short\x01", TAR_FILE, 0644, 100, 0, NULL);
	put_block(&b, h, 512);
	buf_append(&b, "abc", 3);
	err_init(&e);
	T_EQ_INT(read_all(b.p, b.len, &got, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, "truncated") && strstr(e.msg, "'short?'"), "%s", e.msg);
	buf_free(&b);
	buf_free(&got);
}

T_MAIN(test_writer_bytes, test_writer_modes, test_writer_long_names, test_writer_big_and_misuse,
       test_reader_gnu_tar, test_reader_python, test_reader_old_formats,
       test_reader_skip_and_global, test_reader_hostile, test_reader_names_entry)
