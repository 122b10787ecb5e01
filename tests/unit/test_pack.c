/* test_pack.c - packing: globs, .polyignore, order, reproducibility, symlinks, round trip */
#include "t.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "gz.h"
#include "io.h"
#include "pack.h"
#include "tar.h"

static char top[64];

__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...);
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static const char *dirp(const char *name)
{
	static char p[4][256];
	static int k;
	if (!top[0]) {
		snprintf(top, sizeof top, "/tmp/test_pack.XXXXXX");
		if (!mkdtemp(top))
			abort();
	}
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", top, name);
	return p[k];
}

/* The tree most tests pack. */
static void make_block(const char *d)
{
	T_EQ_INT(sh("rm -rf '%s' && mkdir -p '%s' && cd '%s' && mkdir -p sub/deep empty a "
	            "roles/x/artifacts .git/objects artifacts .logs .polycrate && "
	            "printf 'name: b\\nversion: 1.0.0\\n' > block.poly && "
	            "printf '#!/bin/sh\\necho hi\\n' > sub/run.sh && chmod 755 sub/run.sh && "
	            "printf deep > sub/deep/f && printf x > a-b && printf y > a0 && "
	            "printf z > a/x && printf k > roles/x/artifacts/keep && "
	            "printf g > .git/HEAD && printf t > artifacts/t && printf l > .logs/l && "
	            "printf p > .polycrate/p && printf e > sub/e~ && printf s > .x.swp && "
	            "printf t > t.tmp && printf d > .DS_Store && ln -s ../block.poly sub/link && "
	            "ln -s sub dirlink && printf 'secret.txt\\n/only-root\\n' > .polyignore && "
	            "printf s > secret.txt && printf s > sub/secret.txt && printf r > only-root && "
	            "mkdir -p sub/only-root && printf kept > sub/only-root/f",
	            d, d, d),
	         0);
}

struct listing {
	struct buf b;
};

static int list_cb(void *arg, const struct tar_entry *ent)
{
	struct buf *b = arg;
	buf_printf(b, "%c %s%s%s\n", ent->type, ent->path, ent->link ? " -> " : "",
	           ent->link ? ent->link : "");
	return 0;
}

static int pack_to(const char *d, int level, int64_t mtime, struct buf *blob, struct buf *list,
                   struct pack_result *r, struct err *e)
{
	struct pack_opts o = {level, mtime, list ? list_cb : NULL, list};
	struct io_out *out = blob ? io_out_buf(blob, e) : NULL;
	return pack_block(d, out, &o, r, e);
}

/* ---- globs and .polyignore ---- */

static void test_glob(void)
{
	static const struct {
		const char *pat, *s;
		int want;
	} cases[] = {
	    {"*.txt", "a.txt", 1},
	    {"*.txt", "a/b.txt", 0},
	    {"a?c", "abc", 1},
	    {"a?c", "a/c", 0},
	    {"**/x", "x", 1},
	    {"**/x", "a/b/x", 1},
	    {"a/**/b", "a/b", 1},
	    {"a/**/b", "a/x/y/b", 1},
	    {"a/**/b", "a/x/y/bc", 0},
	    {"a/**", "a/x/y", 1},
	    {"a/**", "a", 0},
	    {"a**b", "axxb", 1},
	    {"a**b", "ax/xb", 0},
	    {"[abc]x", "bx", 1},
	    {"[!abc]x", "bx", 0},
	    {"[a-c]x", "dx", 0},
	    {"[a-c]x", "cx", 1},
	    {"[x", "[x", 1},
	    {"\\*x", "*x", 1},
	    {"\\*x", "ax", 0},
	    {"\\#a", "#a", 1},
	    {"*", "", 1},
	    {"", "", 1},
	    {"abc", "abcd", 0},
	    {"*~", "file~", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(pack_glob(cases[i].pat, cases[i].s) == cases[i].want, "glob '%s' '%s'",
		         cases[i].pat, cases[i].s);
}

static void test_ignore_rules(void)
{
	static const char text[] = "# a comment\n"
	                           "\n"
	                           "*.log\n"
	                           "!keep.log\n"
	                           "/rootonly\n"
	                           "build/\n"
	                           "docs/*.md\n"
	                           "**/cache\n"
	                           "trail   \n"
	                           "\\!bang\n"
	                           "\\#hash\r\n"
	                           "!artifacts/\n"
	                           "/.git/\n";
	static const struct {
		const char *path;
		int dir, want;
	} cases[] = {
	    {"x.log", 0, 1},
	    {"a/b/x.log", 0, 1},
	    {"keep.log", 0, 0},
	    {"rootonly", 0, 1},
	    {"sub/rootonly", 0, 0},
	    {"build", 1, 1},
	    {"build", 0, 0},
	    {"a/build", 1, 1},
	    {"docs/a.md", 0, 1},
	    {"docs/sub/a.md", 0, 0},
	    {"x/docs/a.md", 0, 0},
	    {"cache", 1, 1},
	    {"a/b/cache", 0, 1},
	    {"trail", 0, 1},
	    {"!bang", 0, 1},
	    {"#hash", 0, 1},
	    {"a comment", 0, 0},
	    /* the built-in list, with artifacts/ re-included above */
	    {".git", 1, 1},
	    {"sub/.git", 0, 1},
	    {"artifacts", 1, 0},
	    {".logs", 1, 1},
	    {"x/.logs", 1, 0},
	    {".polycrate", 1, 1},
	    {"f~", 0, 1},
	    {"a/.f.swp", 0, 1},
	    {"t.tmp", 0, 1},
	    {"x/.DS_Store", 0, 1},
	    {".polyignore", 0, 0},
	    {"block.poly", 0, 0},
	};
	struct pack_ignore ig = {0};
	struct err e;
	err_init(&e);
	T_EQ_INT(pack_ignore_defaults(&ig, &e), 0);
	T_EQ_INT(pack_ignore_parse(&ig, text, sizeof text - 1, &e), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECKF(pack_ignore_match(&ig, cases[i].path, cases[i].dir) == cases[i].want,
		         "ignore '%s' (dir %d)", cases[i].path, cases[i].dir);
	pack_ignore_free(&ig);

	/* bounds: a NUL byte and too many rules are errors naming the problem */
	err_init(&e);
	T_EQ_INT(pack_ignore_parse(&ig, "a\nb\0c\n", 6, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "line 2") != NULL, "%s", e.msg);
	pack_ignore_free(&ig);
	{
		struct buf many = {0};
		for (int i = 0; i <= PACK_IGNORE_RULES_MAX; i++)
			buf_printf(&many, "p%d\n", i);
		err_init(&e);
		T_EQ_INT(pack_ignore_parse(&ig, many.p, many.len, &e), ERR_USAGE);
		T_CHECK(strstr(e.msg, "patterns") != NULL);
		buf_free(&many);
		pack_ignore_free(&ig);
	}
}

/* ---- packing ---- */

static void test_pack_order_and_exclusions(void)
{
	struct buf list = {0};
	struct pack_result r;
	struct err e;
	const char *d = dirp("order");
	make_block(d);
	err_init(&e);
	T_CHECKF(pack_to(d, 1, 0, NULL, &list, &r, &e) == 0, "%s", e.msg);
	/* bytewise by full path, a folder as "name/": '-' < '/' < '0' */
	T_EQ_STR(buf_cstr(&list), "0 .polyignore\n"
	                          "0 a-b\n"
	                          "5 a\n"
	                          "0 a/x\n"
	                          "0 a0\n"
	                          "0 block.poly\n"
	                          "2 dirlink -> sub\n"
	                          "5 empty\n"
	                          "5 roles\n"
	                          "5 roles/x\n"
	                          "5 roles/x/artifacts\n"
	                          "0 roles/x/artifacts/keep\n"
	                          "5 sub\n"
	                          "5 sub/deep\n"
	                          "0 sub/deep/f\n"
	                          "2 sub/link -> ../block.poly\n"
	                          "5 sub/only-root\n"
	                          "0 sub/only-root/f\n"
	                          "0 sub/run.sh\n");
	T_EQ_INT(r.entries, 19);
	T_CHECK(!strncmp(r.diff_id, "sha256:", 7) && strlen(r.diff_id) == 71);
	T_CHECK(!strncmp(r.digest, "sha256:", 7) && strcmp(r.digest, r.diff_id) != 0);
	T_CHECK(r.tar_size % 512 == 0 && r.tar_size > 19 * 512);
	T_CHECK(r.size > 0 && r.size < r.tar_size);
	buf_free(&list);
}

/* Same content with other mtimes, modes (same exec bits), owners and umask: same
 * diff_id; same level: same blob bytes; another level: same diff_id only. */
static void test_pack_reproducible(void)
{
	struct buf b1 = {0}, b2 = {0}, b3 = {0};
	struct pack_result r1, r2, r3, r4, r5;
	struct err e;
	const char *d1 = dirp("rep1"), *d2 = dirp("rep2");
	make_block(d1);
	T_EQ_INT(sh("rm -rf '%s' && umask 077 && cp -r '%s' '%s'", d2, d1, d2), 0);
	T_EQ_INT(sh("cd '%s' && touch -d '2001-02-03 04:05:06' block.poly sub sub/run.sh a-b && "
	            "chmod 600 block.poly && chmod 711 sub/run.sh && chmod 700 sub && "
	            "touch -h -d 2010-01-01 sub/link",
	            d2),
	         0);
	if (getuid() == 0)
		T_EQ_INT(sh("chown -R 1234:4321 '%s'", d2), 0);
	else
		t_skip("not root: owners not varied");
	err_init(&e);
	T_CHECKF(pack_to(d1, 1, 0, &b1, NULL, &r1, &e) == 0, "%s", e.msg);
	T_CHECKF(pack_to(d2, 1, 0, &b2, NULL, &r2, &e) == 0, "%s", e.msg);
	T_CHECKF(pack_to(d2, 9, 0, &b3, NULL, &r3, &e) == 0, "%s", e.msg);
	T_EQ_STR(r1.diff_id, r2.diff_id);
	T_EQ_STR(r1.digest, r2.digest);
	T_CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	T_EQ_INT(r1.size, b1.len);
	T_EQ_STR(r1.diff_id, r3.diff_id);
	T_CHECK(strcmp(r1.digest, r3.digest) != 0);
	/* the blob digest is the digest of the bytes written */
	{
		char dg[DIGEST_STR_MAX];
		sha256_str(b3.p, b3.len, dg);
		T_EQ_STR(dg, r3.digest);
	}
	/* SOURCE_DATE_EPOCH changes the tar (every mtime), the same way on both */
	T_EQ_INT(pack_to(d1, 1, 1700000000, NULL, NULL, &r4, &e), 0);
	T_EQ_INT(pack_to(d2, 1, 1700000000, NULL, NULL, &r5, &e), 0);
	T_CHECK(strcmp(r4.diff_id, r1.diff_id) != 0);
	T_EQ_STR(r4.diff_id, r5.diff_id);
	/* a change of the exec bit is a change of content */
	T_EQ_INT(sh("chmod 644 '%s/sub/run.sh'", d2), 0);
	T_EQ_INT(pack_to(d2, 1, 0, NULL, NULL, &r5, &e), 0);
	T_CHECK(strcmp(r5.diff_id, r1.diff_id) != 0);
	buf_free(&b1);
	buf_free(&b2);
	buf_free(&b3);
}

static int stop_at_sub(void *arg, const struct tar_entry *ent)
{
	(void)arg;
	return strcmp(ent->path, "sub") ? 0 : 1;
}

/* Dry run computes the same digests and writes nothing; a callback can stop it. */
static void test_pack_dry_run(void)
{
	struct buf b = {0}, list = {0};
	struct pack_result r1, r2;
	struct err e;
	const char *d = dirp("dry");
	make_block(d);
	err_init(&e);
	T_EQ_INT(pack_to(d, 1, 0, &b, NULL, &r1, &e), 0);
	T_EQ_INT(pack_to(d, 1, 0, NULL, &list, &r2, &e), 0);
	T_EQ_STR(r1.diff_id, r2.diff_id);
	T_EQ_STR(r1.digest, r2.digest);
	T_EQ_INT(r1.size, r2.size);
	T_CHECK(strstr(buf_cstr(&list), "0 block.poly\n") != NULL);
	{
		struct pack_opts o = {1, 0, stop_at_sub, NULL};
		err_init(&e);
		T_EQ_INT(pack_block(d, NULL, &o, &r2, &e), ERR_FAIL);
		T_CHECK(strstr(e.msg, "stopped") != NULL);
		T_CHECK(r2.diff_id[0] == 0);
	}
	/* no options: the default level */
	err_init(&e);
	T_EQ_INT(pack_block(d, NULL, NULL, &r2, &e), 0);
	T_EQ_STR(r1.diff_id, r2.diff_id);
	buf_free(&b);
	buf_free(&list);
}

static void test_pack_refusals(void)
{
	static const struct {
		const char *setup, *msg;
	} cases[] = {
	    {"ln -s ../../etc/passwd sub/bad", "cannot pack symlink 'sub/bad'"},
	    {"ln -s /etc/passwd bad", "cannot pack symlink 'bad' -> '/etc/passwd'"},
	    {"ln -s sub/../.. bad", "'..' after a name"},
	    {"ln -s ../.. sub/deep/ok && ln -s ../../.. sub/deep/up",
	     "cannot pack symlink 'sub/deep/up' -> '../../..': symlink target leaves"},
	    {"mkfifo sub/pipe", "cannot pack 'sub/pipe': a device, fifo or socket"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pack_result r;
		struct err e;
		struct buf b = {0};
		const char *d = dirp("refuse");
		make_block(d);
		T_EQ_INT(sh("cd '%s' && %s", d, cases[i].setup), 0);
		err_init(&e);
		T_EQ_INT(pack_to(d, 1, 0, &b, NULL, &r, &e), ERR_USAGE);
		T_CHECKF(strstr(e.msg, cases[i].msg) != NULL, "'%s' lacks '%s'", e.msg,
		         cases[i].msg);
		T_CHECK(r.diff_id[0] == 0);
		buf_free(&b);
	}
	/* a missing block folder */
	{
		struct pack_result r;
		struct err e;
		err_init(&e);
		T_EQ_INT(pack_to("/nonexistent/block", 1, 0, NULL, NULL, &r, &e), ERR_NOTFOUND);
	}
}

#define LONG_DIR                                                                                   \
	"a-folder-with-a-rather-long-name-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/"    \
	"and-another-one-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy/"  \
	"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"

/* Pack, gunzip, extract: files, empty folders, exec bits and symlinks come back. */
static void test_pack_round_trip(void)
{
	struct buf b = {0};
	struct pack_result r;
	struct err e;
	struct io_in *in;
	const char *d = dirp("rt"), *x = dirp("rt-out");
	struct stat st;
	char path[512];
	make_block(d);
	/* names and link targets over 100 bytes go through PAX records both ways */
	T_EQ_INT(sh("cd '%s' && mkdir -p %s && printf long > %s/file && ln -s %s/file sub/longlink",
	            d, LONG_DIR, LONG_DIR, "../" LONG_DIR),
	         0);
	err_init(&e);
	T_EQ_INT(pack_to(d, 6, 0, &b, NULL, &r, &e), 0);
	T_EQ_INT(sh("rm -rf '%s' && mkdir '%s'", x, x), 0);
	in = gz_in(io_in_mem(b.p, b.len, &e), 0, &e);
	T_CHECKF(pack_unpack(in, x, NULL, &e) == 0, "%s", e.msg);
	T_EQ_INT(io_in_close(in), 0);
	/* what was excluded is absent; the rest is identical (symlinks not followed) */
	T_EQ_INT(
	    sh("cd '%s' && rm -rf .git artifacts .logs .polycrate sub/e~ .x.swp t.tmp "
	       ".DS_Store secret.txt sub/secret.txt only-root && diff -r --no-dereference . '%s'",
	       d, x),
	    0);
	snprintf(path, sizeof path, "%s/sub/run.sh", x);
	T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0111) != 0);
	snprintf(path, sizeof path, "%s/sub/link", x);
	T_CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	snprintf(path, sizeof path, "%s/empty", x);
	T_CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	snprintf(path, sizeof path, "%s/sub/longlink", x);
	T_CHECK(stat(path, &st) == 0 && st.st_size == 4);
	buf_free(&b);
}

/* Large incompressible files are stored, text around them still deflated (the speed is
 * measured in bench/); what tests can hold: the same bytes every time, the same tree back,
 * and a diff_id the level does not change. */
static void test_pack_stores_incompressible(void)
{
	struct buf b1 = {0}, b2 = {0}, b3 = {0};
	struct pack_result r1, r2, r3;
	struct err e;
	struct io_in *in;
	const char *d = dirp("inc"), *x = dirp("inc-out");
	T_EQ_INT(sh("rm -rf '%s' && mkdir -p '%s' && cd '%s' && "
	            "printf 'name: inc\nversion: 1.0.0\n' > block.poly && "
	            "head -c 3000000 /dev/urandom > random.bin && "
	            "yes 'text that compresses well' | head -c 3000000 > text.txt && "
	            "head -c 100000 /dev/urandom > small.bin",
	            d, d, d),
	         0);
	err_init(&e);
	T_EQ_INT(pack_to(d, 6, 0, &b1, NULL, &r1, &e), 0);
	T_EQ_INT(pack_to(d, 6, 0, &b2, NULL, &r2, &e), 0);
	T_EQ_INT(pack_to(d, 1, 0, &b3, NULL, &r3, &e), 0);
	T_CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
	T_EQ_STR(r1.digest, r2.digest);
	T_EQ_STR(r1.diff_id, r3.diff_id);
	/* about the random data's size: the text deflated to almost nothing around it */
	T_CHECKF(b1.len > 3100000 && b1.len < 3200000, "blob of %zu bytes", b1.len);
	T_EQ_INT(sh("rm -rf '%s' && mkdir '%s'", x, x), 0);
	in = gz_in(io_in_mem(b1.p, b1.len, &e), 0, &e);
	T_CHECKF(pack_unpack(in, x, NULL, &e) == 0, "%s", e.msg);
	T_EQ_INT(io_in_close(in), 0);
	T_EQ_INT(sh("diff -r '%s' '%s'", d, x), 0);
	buf_free(&b1);
	buf_free(&b2);
	buf_free(&b3);
}

/* What we write, GNU tar and Python's tarfile read (names over 100 bytes included). */
static void test_pack_others_read_it(void)
{
	struct buf b = {0};
	struct pack_result r;
	struct err e;
	const char *d = dirp("interop");
	char blob[300], cmd[1024];
	FILE *f;
	make_block(d);
	T_EQ_INT(
	    sh("mkdir -p '%s/%s'", d,
	       "a/long-folder-name-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
	       "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/"
	       "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	       "cccccccccccccccccccccccccccccccccccc"),
	    0);
	err_init(&e);
	T_EQ_INT(pack_to(d, 1, 0, &b, NULL, &r, &e), 0);
	snprintf(blob, sizeof blob, "%s/blob.tgz", top);
	f = fopen(blob, "wb");
	T_CHECK(f && fwrite(b.p, 1, b.len, f) == b.len);
	if (f)
		fclose(f);
	snprintf(cmd, sizeof cmd, "tar -tzvf '%s' | grep -q 'ccccccc/$'", blob);
	T_EQ_INT(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "tar -tzvf '%s' | grep -q ' root/root \\| 0/0 '", blob);
	T_EQ_INT(system(cmd), 0);
	snprintf(cmd, sizeof cmd,
	         "/usr/bin/python3 -c \"import tarfile,sys\n"
	         "t=tarfile.open('%s')\n"
	         "m=t.getmembers()\n"
	         "assert all(x.uid==0 and x.gid==0 and x.mtime==0 and x.uname=='' for x in m)\n"
	         "assert any(x.name.endswith('cccc') and x.isdir() for x in m)\n"
	         "assert [x.name for x in m][:2]==['.polyignore','a-b']\"",
	         blob);
	T_EQ_INT(system(cmd), 0);
	buf_free(&b);
	T_EQ_INT(sh("rm -rf '%s'", top), 0);
}

/* Our headers are byte for byte what Python's tarfile (USTAR_FORMAT) writes for the same
 * entries: an independent check of every field (Python pads to 10 KiB: compare the start). */
static void test_pack_matches_python(void)
{
	struct buf b = {0}, tar = {0};
	struct pack_result r;
	struct err e;
	struct io_in *in;
	struct io_out *out;
	const char *d = dirp("py"), *t = dirp("py.tar");
	char cmd[2048], want[DIGEST_STR_MAX];
	FILE *f;
	T_EQ_INT(sh("rm -rf '%s' && mkdir -p '%s/sub' && cd '%s' && printf 'name: b\\n' > "
	            "block.poly && printf '#!/bin/sh\\n' > sub/run.sh && chmod 755 sub/run.sh && "
	            "ln -s sub/run.sh link && mkdir empty",
	            d, d, d),
	         0);
	err_init(&e);
	T_EQ_INT(pack_to(d, 1, 0, &b, NULL, &r, &e), 0);
	in = gz_in(io_in_mem(b.p, b.len, &e), 0, &e);
	out = io_out_buf(&tar, &e);
	T_CHECK(io_copy(in, out) == (int64_t)r.tar_size);
	io_out_close(out);
	io_in_close(in);
	snprintf(cmd, sizeof cmd,
	         "/usr/bin/python3 -c \"import tarfile,io,hashlib\n"
	         "b=io.BytesIO()\n"
	         "t=tarfile.open(fileobj=b,mode='w',format=tarfile.USTAR_FORMAT)\n"
	         "def add(n,ty,m,data=b'',link=''):\n"
	         "  i=tarfile.TarInfo(n);i.type=ty;i.mode=m;i.uid=i.gid=0;i.uname=i.gname='';"
	         "i.mtime=0;i.linkname=link;i.size=len(data)\n"
	         "  t.addfile(i,io.BytesIO(data) if data else None)\n"
	         "add('block.poly',tarfile.REGTYPE,0o644,b'name: b\\\\n')\n"
	         "add('empty/',tarfile.DIRTYPE,0o755)\n"
	         "add('link',tarfile.SYMTYPE,0o777,link='sub/run.sh')\n"
	         "add('sub/',tarfile.DIRTYPE,0o755)\n"
	         "add('sub/run.sh',tarfile.REGTYPE,0o755,b'#!/bin/sh\\\\n')\n"
	         "t.close()\n"
	         "open('%s','wb').write(b.getvalue()[:%llu])\"",
	         t, (unsigned long long)r.tar_size);
	T_EQ_INT(system(cmd), 0);
	f = fopen(t, "rb");
	if (f) {
		static char py[8192];
		size_t n = fread(py, 1, sizeof py, f);
		fclose(f);
		T_EQ_INT(n, tar.len);
		T_CHECK(n == tar.len && memcmp(py, tar.p, n) == 0);
		sha256_str(py, n, want);
		T_EQ_STR(r.diff_id, want);
	} else {
		T_CHECKF(0, "python3 wrote no %s", t);
	}
	buf_free(&b);
	buf_free(&tar);
}

T_MAIN(test_glob, test_ignore_rules, test_pack_order_and_exclusions, test_pack_reproducible,
       test_pack_dry_run, test_pack_refusals, test_pack_round_trip, test_pack_matches_python,
       test_pack_others_read_it, test_pack_stores_incompressible)
