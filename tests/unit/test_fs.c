/* test_fs.c - mkdir -p, rm -rf without following symlinks, bounded reads, atomic writes */
#include "t.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "fs.h"

static char top[64];

static void make_top(void)
{
	if (top[0])
		return;
	strcpy(top, "/tmp/test_fs.XXXXXX");
	if (!mkdtemp(top))
		abort();
}

/* top + "/" + rel into a static buffer (two alternate, so two can be in use at once). */
static const char *at(const char *rel)
{
	static char b[2][512];
	static int k;
	k ^= 1;
	snprintf(b[k], sizeof b[k], "%s/%s", top, rel);
	return b[k];
}

static void put(const char *rel, const char *text)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
}

static void test_mkdirs(void)
{
	struct err e;
	struct stat st;
	make_top();
	err_init(&e);
	T_EQ_INT(fs_mkdirs(at("m/a/b/c"), 0755, &e), 0);
	T_CHECK(fs_is_dir(at("m/a/b/c")));
	T_EQ_INT(fs_mkdirs(at("m/a/b/c"), 0755, &e), 0); /* again: fine */
	T_EQ_INT(fs_mkdirs(at("m/a//x/"), 0700, &e), 0);
	T_EQ_INT(stat(at("m/a/x"), &st), 0);
	T_EQ_INT(st.st_mode & 0077, 0);
	T_EQ_INT(fs_mkdirs("/", 0755, &e), 0);
	put("m/file", "x");
	T_EQ_INT(fs_mkdirs(at("m/file/sub"), 0755, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "no folder") != NULL, "%s", e.msg);
	err_init(&e);
	T_EQ_INT(fs_mkdirs(at("m/file"), 0755, &e), ERR_FAIL);
	err_init(&e);
	T_EQ_INT(fs_mkdirs("", 0755, &e), ERR_FAIL);
	/* through a symlink to a folder: that is a folder for mkdir -p */
	T_EQ_INT(symlink(at("m/a"), at("m/link")), 0);
	T_EQ_INT(fs_mkdirs(at("m/link/y"), 0755, &e), 0);
	T_CHECK(fs_is_dir(at("m/a/y")));
	/* too long */
	char longp[5000];
	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = 0;
	err_init(&e);
	T_EQ_INT(fs_mkdirs(longp, 0755, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "longer than") != NULL, "%s", e.msg);
	T_EQ_INT(fs_rmtree(at("m"), &e), 0);
}

static void test_rmtree_no_follow(void)
{
	struct err e;
	make_top();
	err_init(&e);
	/* outside: a folder and a file the tree links to */
	T_EQ_INT(fs_mkdirs(at("outside/keep"), 0755, &e), 0);
	put("outside/keep/precious", "p");
	put("outside/file", "f");
	T_EQ_INT(fs_mkdirs(at("tree/a/b/c"), 0755, &e), 0);
	put("tree/a/one", "1");
	put("tree/a/b/two", "2");
	put("tree/a/b/c/three", "3");
	T_EQ_INT(symlink(at("outside/keep"), at("tree/a/dirlink")), 0);
	T_EQ_INT(symlink(at("outside/file"), at("tree/a/b/filelink")), 0);
	T_EQ_INT(symlink("../../outside", at("tree/rel")), 0);
	T_EQ_INT(symlink("nowhere", at("tree/dangling")), 0);
	T_EQ_INT(mkfifo(at("tree/fifo"), 0600), 0);
	T_EQ_INT(fs_rmtree(at("tree"), &e), 0);
	T_EQ_INT(e.code, 0);
	T_CHECK(!fs_exists(at("tree")));
	T_CHECK(fs_exists(at("outside/keep/precious")));
	T_CHECK(fs_exists(at("outside/file")));
	/* the path itself a symlink to a folder: the link goes, the folder stays */
	T_EQ_INT(symlink(at("outside"), at("toplink")), 0);
	T_EQ_INT(fs_rmtree(at("toplink"), &e), 0);
	T_CHECK(!fs_exists(at("toplink")));
	T_CHECK(fs_exists(at("outside/keep/precious")));
	/* missing: success; a plain file: removed */
	T_EQ_INT(fs_rmtree(at("missing"), &e), 0);
	T_EQ_INT(fs_rmtree(at("outside/file"), &e), 0);
	T_CHECK(!fs_exists(at("outside/file")));
	T_EQ_INT(fs_rmtree("", &e), ERR_FAIL);
}

/* Read-only folders (as an unpacked archive may have them): 0 when removed, else the step
 * that failed. Permissions mean nothing to root, so as root this runs as nobody. */
static int readonly_cases(void)
{
	struct err e;
	err_init(&e);
	if (fs_mkdirs(at("rw/ro/x/y"), 0755, &e) < 0)
		return 1;
	put("rw/ro/x/y/f", "f");
	put("rw/ro/x/g", "g");
	if (chmod(at("rw/ro/x/y"), 0500) || chmod(at("rw/ro/x"), 0500) || chmod(at("rw/ro"), 0500))
		return 2;
	if (fs_rmtree(at("rw/ro"), &e) < 0 || fs_exists(at("rw/ro")))
		return 3;
	/* a folder with no permissions at all */
	if (fs_mkdirs(at("rw/np/z"), 0755, &e) < 0)
		return 4;
	put("rw/np/z/f", "f");
	if (chmod(at("rw/np/z"), 0) < 0)
		return 5;
	if (fs_rmtree(at("rw/np"), &e) < 0 || fs_exists(at("rw/np")))
		return 6;
	/* mkdir -p below a read-only folder: existing parts pass, a new one fails by name */
	if (fs_mkdirs(at("rw/ro2/x"), 0755, &e) < 0 || chmod(at("rw/ro2"), 0500) < 0)
		return 7;
	if (fs_mkdirs(at("rw/ro2/x/new/deeper"), 0755, &e) < 0 || !fs_is_dir(at("rw/ro2/x/new")))
		return 8;
	if (fs_mkdirs(at("rw/ro2/y/z"), 0755, &e) != ERR_FAIL || !strstr(e.msg, "ro2/y:") ||
	    strstr(e.msg, "ro2/y/z"))
		return 9;
	err_init(&e);
	if (fs_rmtree(at("rw/ro2"), &e) < 0)
		return 10;
	return 0;
}

static void test_rmtree_readonly_and_deep(void)
{
	struct err e;
	make_top();
	err_init(&e);
	T_EQ_INT(mkdir(at("rw"), 0755), 0);
	if (geteuid() == 0) {
		int st = -1;
		T_EQ_INT(chown(at("rw"), 65534, 65534), 0);
		T_EQ_INT(chmod(top, 0755), 0);
		pid_t pid = fork();
		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(100);
			_exit(readonly_cases());
		}
		waitpid(pid, &st, 0);
		T_CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "as nobody: step %d",
		         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	} else {
		T_EQ_INT(readonly_cases(), 0);
	}
	T_EQ_INT(fs_rmtree(at("rw"), &e), 0);

	/* nesting: 300 levels fine, past the limit a clear error */
	static const struct {
		const char *name;
		int depth, ok;
	} cases[] = {{"deep", 300, 1}, {"deeper", 700, 0}};
	for (size_t c = 0; c < 2; c++) {
		int fd = open(top, O_RDONLY | O_DIRECTORY);
		int made = 0;
		T_EQ_INT(mkdirat(fd, cases[c].name, 0755), 0);
		int nfd = openat(fd, cases[c].name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = nfd;
		for (int i = 0; i < cases[c].depth && fd >= 0; i++) {
			if (mkdirat(fd, "d", 0755) < 0)
				break;
			nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
			close(fd);
			fd = nfd;
			made++;
		}
		if (fd >= 0)
			close(fd);
		T_EQ_INT(made, cases[c].depth);
		err_init(&e);
		int rc = fs_rmtree(at(cases[c].name), &e);
		if (cases[c].ok) {
			T_EQ_INT(rc, 0);
			T_CHECK(!fs_exists(at(cases[c].name)));
		} else {
			T_EQ_INT(rc, ERR_FAIL);
			T_CHECKF(strstr(e.msg, "nested folders") != NULL, "%s", e.msg);
			char cmd[600];
			snprintf(cmd, sizeof cmd, "rm -rf '%s'", at(cases[c].name));
			T_EQ_INT(system(cmd), 0);
		}
	}
}

static void test_read_file(void)
{
	struct err e;
	struct buf b;
	static char big[200000];
	make_top();
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	int fd = open(at("big"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_EQ_INT(write(fd, big, sizeof big), sizeof big);
	close(fd);
	put("small", "hello");
	put("empty", "");
	static const struct {
		const char *name;
		size_t max;
		int rc;
		size_t len;
	} cases[] = {
	    {"small", 5, 0, 5},
	    {"small", 4, ERR_FAIL, 0},
	    {"small", 100, 0, 5},
	    {"empty", 0, 0, 0},
	    {"big", sizeof big, 0, sizeof big},
	    {"big", sizeof big - 1, ERR_FAIL, 0},
	    {"big", 65536, ERR_FAIL, 0},
	    {"missing", 10, ERR_NOTFOUND, 0},
	    {"", 10, ERR_FAIL, 0}, /* the folder itself */
	    {"big", (size_t)-1, 0, sizeof big},
	    {"big", (size_t)-1 - 1, 0, sizeof big},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err_init(&e);
		buf_init(&b, 0);
		buf_puts(&b, "pre:");
		int rc = fs_read_file(at(cases[i].name), &b, cases[i].max, &e);
		T_CHECKF(rc == cases[i].rc, "case %zu: %d %s", i, rc, e.msg);
		T_CHECKF(b.len == 4 + cases[i].len, "case %zu: len %zu", i, b.len);
		T_CHECK(memcmp(b.p, "pre:", 4) == 0 && b.p[b.len] == 0);
		if (rc == 0 && cases[i].len == sizeof big)
			T_EQ_MEM(b.p + 4, big, sizeof big);
		if (rc == ERR_FAIL && cases[i].name[0])
			T_CHECKF(strstr(e.msg, "larger than the limit") &&
			             strstr(e.msg, cases[i].name),
			         "case %zu: %s", i, e.msg);
		buf_free(&b);
	}
	/* the buffer's own limit applies too */
	err_init(&e);
	buf_init(&b, 100);
	T_EQ_INT(fs_read_file(at("big"), &b, sizeof big, &e), ERR_FAIL);
	T_EQ_INT(b.len, 0);
	buf_free(&b);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_write_atomic(void)
{
	struct err e;
	struct buf b;
	struct stat st;
	make_top();
	err_init(&e);
	T_EQ_INT(fs_mkdirs(at("w"), 0755, &e), 0);
	T_EQ_INT(fs_write_atomic(at("w/config.json"), "{}", 2, 0600, &e), 0);
	T_EQ_INT(stat(at("w/config.json"), &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0600);
	T_EQ_INT(fs_write_atomic(at("w/config.json"), "{\"a\":1}", 7, 0644, &e), 0);
	buf_init(&b, 0);
	T_EQ_INT(fs_read_file(at("w/config.json"), &b, 100, &e), 0);
	T_EQ_STR(b.p, "{\"a\":1}");
	T_EQ_INT(stat(at("w/config.json"), &st), 0);
	T_EQ_INT(st.st_mode & 07777, 0644);
	T_EQ_INT(fs_write_atomic(at("w/empty"), "", 0, 0644, &e), 0);
	T_EQ_INT(count_entries(at("w")), 2); /* no temp files */
	T_EQ_INT(fs_write_atomic(at("w/no/such"), "x", 1, 0644, &e), ERR_NOTFOUND);
	/* a folder in the way: rename fails, the temp file goes */
	err_init(&e);
	T_EQ_INT(fs_mkdirs(at("w/adir/inside"), 0755, &e), 0);
	T_EQ_INT(fs_write_atomic(at("w/adir"), "x", 1, 0644, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "rename") != NULL, "%s", e.msg);
	T_EQ_INT(count_entries(at("w")), 3);
	T_CHECK(fs_is_dir(at("w/adir")));
	buf_free(&b);
}

static void test_exists_is_dir(void)
{
	make_top();
	put("plain", "x");
	T_EQ_INT(mkdir(at("dir"), 0755), 0);
	T_EQ_INT(symlink(at("dir"), at("dirlink")), 0);
	T_EQ_INT(symlink(at("nothing"), at("dangling")), 0);
	static const struct {
		const char *name;
		int exists, dir;
	} cases[] = {
	    {"plain", 1, 0},    {"dir", 1, 1},     {"dirlink", 1, 1},
	    {"dangling", 1, 0}, {"nothing", 0, 0}, {"plain/x", 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		T_CHECKF(fs_exists(at(cases[i].name)) == cases[i].exists, "%s", cases[i].name);
		T_CHECKF(fs_is_dir(at(cases[i].name)) == cases[i].dir, "%s", cases[i].name);
	}
	T_EQ_INT(fs_exists(""), 0);
}

static void test_join(void)
{
	static const struct {
		const char *a, *b;
		size_t n;
		int rc;
		const char *out;
	} cases[] = {
	    {"a", "b", 64, 0, "a/b"},
	    {"a/", "b", 64, 0, "a/b"},
	    {"", "b", 64, 0, "b"},
	    {"/", "etc", 64, 0, "/etc"},
	    {"a", "", 64, 0, "a/"},
	    {"ab", "cd", 6, 0, "ab/cd"},
	    {"ab", "cd", 5, ERR_FAIL, ""},
	    {"ab", "cd", 1, ERR_FAIL, ""},
	    {"x/y", "z/w", 64, 0, "x/y/z/w"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[64] = "garbage";
		int rc = fs_join(out, cases[i].n, cases[i].a, cases[i].b);
		T_CHECKF(rc == cases[i].rc && strcmp(out, cases[i].out) == 0, "case %zu: %d \"%s\"",
		         i, rc, out);
	}
	char self[16] = "dir";
	T_EQ_INT(fs_join(self, sizeof self, self, "file"), 0);
	T_EQ_STR(self, "dir/file");
	T_EQ_INT(fs_join(self, 0, "a", "b"), ERR_FAIL);
}

static void test_cleanup(void)
{
	struct err e;
	err_init(&e);
	if (!top[0])
		return;
	T_EQ_INT(fs_rmtree(top, &e), 0);
	T_CHECK(!fs_exists(top));
}

T_MAIN(test_mkdirs, test_rmtree_no_follow, test_rmtree_readonly_and_deep, test_read_file,
       test_write_atomic, test_exists_is_dir, test_join, test_cleanup)
