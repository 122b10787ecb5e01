/* test_lock.c - blocks.lock round trips, refused files, and the workspace lock across processes */
#include "t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "lock.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void fill(struct lock_entry *en, char *path, char *ref, char **layers, size_t n)
{
	memset(en, 0, sizeof *en);
	en->install_path = path;
	en->ref = ref;
	en->manifest_digest = (char *)DA;
	en->layers = layers;
	en->nlayers = n;
}

static void test_roundtrip(void)
{
	struct lock_file lf = {0}, back;
	struct lock_entry en;
	struct buf a, b;
	struct err e;
	char *layers[] = {(char *)DB, (char *)DC};
	char when[LOCK_TIME_MAX];
	err_init(&e);
	fill(&en, "postgres-base", "postgres-base:1.2.0", layers, 1);
	en.name = "postgres-base";
	T_EQ_INT(lock_put(&lf, &en, &e), 0);
	fill(&en, "ayedo/k8s/nginx", "ayedo/k8s/nginx:1.0.0", layers, 2);
	en.name = "nginx";
	en.version = "1.0.0";
	en.resolved = "registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx:1.0.0";
	en.registry = "registry.enterprise.com";
	en.config_digest = DC;
	en.pulled_at = "2026-12-03T14:00:00Z";
	T_EQ_INT(lock_put(&lf, &en, &e), 0);
	T_EQ_INT(lf.n, 2);
	T_EQ_STR(lf.entries[0].install_path, "ayedo/k8s/nginx"); /* sorted */
	buf_init(&a, 0);
	T_EQ_INT(lock_format(&lf, &a, &e), 0);
	T_EQ_STR(
	    buf_cstr(&a),
	    "{\n  \"lock_version\": 1,\n  \"blocks\": [\n"
	    "    {\"install_path\":\"ayedo/k8s/nginx\",\"name\":\"nginx\",\"version\":\"1.0.0\","
	    "\"ref\":\"ayedo/k8s/nginx:1.0.0\",\"resolved\":\"registry.enterprise.com/"
	    "cargo-proxy/ayedo/k8s/nginx:1.0.0\",\"registry\":\"registry.enterprise.com\","
	    "\"manifest_digest\":\"" DA "\",\"config_digest\":\"" DC "\",\"layers\":[\"" DB
	    "\",\"" DC "\"],\"pulled_at\":\"2026-12-03T14:00:00Z\"},\n"
	    "    {\"install_path\":\"postgres-base\",\"name\":\"postgres-base\","
	    "\"ref\":\"postgres-base:1.2.0\",\"manifest_digest\":\"" DA "\",\"layers\":[\"" DB
	    "\"]}\n  ]\n}\n");
	T_EQ_INT(lock_parse("blocks.lock", a.p, a.len, &back, &e), 0);
	buf_init(&b, 0);
	T_EQ_INT(lock_format(&back, &b, &e), 0);
	T_EQ_STR(buf_cstr(&b), buf_cstr(&a));
	T_EQ_STR(lock_find(&back, "ayedo/k8s/nginx")->layers[1], DC);
	T_CHECK(lock_find(&back, "nope") == NULL);
	/* replacing keeps one entry per install path */
	fill(&en, "postgres-base", "postgres-base:1.3.0", layers, 1);
	T_EQ_INT(lock_put(&back, &en, &e), 0);
	T_EQ_INT(back.n, 2);
	T_EQ_STR(lock_find(&back, "postgres-base")->ref, "postgres-base:1.3.0");
	T_EQ_INT(lock_remove(&back, "ayedo/k8s/nginx"), 1);
	T_EQ_INT(lock_remove(&back, "ayedo/k8s/nginx"), 0);
	T_EQ_INT(back.n, 1);
	/* a bad entry is refused and leaves the file alone */
	fill(&en, "../x", "x", NULL, 0);
	T_EQ_INT(lock_put(&back, &en, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "install_path must not hold") != NULL, "%s", e.msg);
	T_EQ_INT(back.n, 1);
	lock_free(&back);
	/* the empty file */
	struct lock_file none = {0};
	buf_reset(&b);
	T_EQ_INT(lock_format(&none, &b, &e), 0);
	T_EQ_STR(buf_cstr(&b), "{\n  \"lock_version\": 1,\n  \"blocks\": []\n}\n");
	T_EQ_INT(lock_parse("x", b.p, b.len, &back, &e), 0);
	T_EQ_INT(back.n, 0);
	lock_free(&back);
	/* on disk, atomically, and missing is empty */
	char dir[] = "/tmp/test_lock_XXXXXX", path[300];
	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/blocks.lock", dir);
	T_EQ_INT(lock_read(path, &back, NULL), 0);
	T_EQ_INT(back.n, 0);
	T_EQ_INT(lock_write(path, &lf, &e), 0);
	T_EQ_INT(lock_read(path, &back, &e), 0);
	T_EQ_INT(back.n, 2);
	lock_free(&back);
	unlink(path);
	rmdir(dir);
	lock_time_now(when);
	T_EQ_INT(strlen(when), 20);
	T_CHECK(when[10] == 'T' && when[19] == 'Z');
	buf_free(&a);
	buf_free(&b);
	lock_free(&lf);
}

struct bad_case {
	const char *text, *err;
};

#define E1(x) "{\"lock_version\":1,\"blocks\":[" x "]}"
#define OKE "\"install_path\":\"a\",\"ref\":\"a\",\"manifest_digest\":\"" DA "\""

static void test_corrupt(void)
{
	static const struct bad_case cases[] = {
	    {"", "invalid JSON"},
	    {"{", "invalid JSON"},
	    {"[]", "expected a JSON object"},
	    {"{\"blocks\":[]}", "lock_version: expected a number"},
	    {"{\"lock_version\":\"1\",\"blocks\":[]}", "lock_version: expected a number"},
	    {"{\"lock_version\":2,\"blocks\":[]}", "lock_version 2 is not supported"},
	    {"{\"lock_version\":1}", "blocks: expected an array"},
	    {"{\"lock_version\":1,\"blocks\":{}}", "blocks: expected an array"},
	    {E1("1"), "blocks[0]: expected an object"},
	    {E1("{}"), "blocks[0].install_path is required"},
	    {E1("{\"install_path\":\"a\",\"ref\":\"a\"}"), "blocks[0].manifest_digest is required"},
	    {E1("{" OKE ",\"name\":1}"), "blocks[0].name: expected a string"},
	    {E1("{" OKE ",\"layers\":\"x\"}"), "blocks[0].layers: expected an array"},
	    {E1("{" OKE ",\"layers\":[1]}"), "blocks[0].layers[0]: expected a digest"},
	    {E1("{" OKE ",\"layers\":[\"sha256:x\"]}"), "blocks[0].layers entries must be"},
	    {E1("{\"install_path\":\"a\",\"ref\":\"a\",\"manifest_digest\":\"md5:1\"}"),
	     "blocks[0].manifest_digest must be sha256"},
	    {E1("{" OKE ",\"config_digest\":\"" DA "0\"}"), "config_digest must be sha256"},
	    {E1("{\"install_path\":\"/etc\",\"ref\":\"a\",\"manifest_digest\":\"" DA "\"}"),
	     "install_path must be a relative path"},
	    {E1("{\"install_path\":\"a/../../x\",\"ref\":\"a\",\"manifest_digest\":\"" DA "\"}"),
	     "install_path must not hold"},
	    {E1("{\"install_path\":\"a//b\",\"ref\":\"a\",\"manifest_digest\":\"" DA "\"}"),
	     "install_path must not hold"},
	    {E1("{\"install_path\":\"a/\",\"ref\":\"a\",\"manifest_digest\":\"" DA "\"}"),
	     "install_path must not end"},
	    {E1("{\"install_path\":\"a\\u0000b\",\"ref\":\"a\",\"manifest_digest\":\"" DA "\"}"),
	     "blocks[0].install_path:"},
	    {E1("{" OKE "},{" OKE "}"), "install path a is listed twice"},
	    {E1("{" OKE ",\"ref\":\"b\"}"), "invalid JSON"}, /* a duplicate key */
	    {E1("{" OKE ",\"pulled_at\":\"" DA "\"}"), "pulled_at is too long"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lock_file lf;
		struct err e;
		err_init(&e);
		int rc = lock_parse("blocks.lock", cases[i].text, strlen(cases[i].text), &lf, &e);
		T_CHECKF(rc == ERR_USAGE && strstr(e.msg, cases[i].err) &&
		             strncmp(e.msg, "blocks.lock: ", 13) == 0,
		         "case %zu: rc %d \"%s\"", i, rc, e.msg);
		T_CHECK(lf.n == 0 && lf.entries == NULL);
	}
	/* unknown keys are a later format's: ignored */
	const char *later = E1("{" OKE ",\"signature\":{\"x\":[1,2]}}");
	struct lock_file lf;
	struct err e;
	err_init(&e);
	T_EQ_INT(lock_parse("blocks.lock", later, strlen(later), &lf, &e), 0);
	T_EQ_INT(lf.n, 1);
	lock_free(&lf);
	/* too large */
	struct buf big;
	buf_init(&big, 0);
	buf_puts(&big, "{\"lock_version\":1,\"blocks\":[]}");
	while (big.len <= LOCK_FILE_MAX)
		buf_puts(&big, "                                                                ");
	err_init(&e);
	T_EQ_INT(lock_parse("blocks.lock", big.p, big.len, &lf, &e), ERR_USAGE);
	T_CHECK(strstr(e.msg, "larger than the limit") != NULL);
	char dir[] = "/tmp/test_lockb_XXXXXX", path[300];
	T_CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/blocks.lock", dir);
	FILE *f = fopen(path, "w");
	fwrite(big.p, 1, big.len, f);
	fclose(f);
	err_init(&e);
	T_CHECK(lock_read(path, &lf, &e) < 0);
	T_CHECKF(strstr(e.msg, path) != NULL, "%s", e.msg);
	unlink(path);
	rmdir(dir);
	buf_free(&big);
}

static void test_workspace_lock(void)
{
	char dir[] = "/tmp/test_wslock_XXXXXX", cmd[300];
	int up[2], down[2], fd, status;
	char c;
	pid_t pid;
	struct err e;
	T_CHECK(mkdtemp(dir) != NULL);
	T_EQ_INT(pipe(up), 0);
	T_EQ_INT(pipe(down), 0);
	pid = fork();
	if (pid == 0) {
		/* the other polycrate: take the lock, say so, hold it until told */
		int lfd = lock_workspace(dir, 0, NULL);
		if (write(up[1], lfd >= 0 ? "y" : "n", 1) != 1)
			_exit(2);
		if (read(down[0], &c, 1) != 1)
			_exit(3);
		lock_workspace_release(lfd);
		if (write(up[1], "r", 1) != 1)
			_exit(2);
		_exit(0);
	}
	T_CHECK(pid > 0);
	T_EQ_INT(read(up[0], &c, 1), 1);
	T_EQ_INT(c, 'y');
	err_init(&e);
	T_EQ_INT(lock_workspace(dir, 0, &e), ERR_FAIL);
	char want[100];
	snprintf(want, sizeof want, "another polycrate is changing this workspace (pid %ld)",
	         (long)pid);
	T_EQ_STR(e.msg, want);
	/* a bounded wait gives up too while it is held */
	err_init(&e);
	T_EQ_INT(lock_workspace(dir, 120, &e), ERR_FAIL);
	T_EQ_STR(e.msg, want);
	/* released: a waiting taker gets it */
	T_EQ_INT(write(down[1], "x", 1), 1);
	T_EQ_INT(read(up[0], &c, 1), 1);
	err_init(&e);
	fd = lock_workspace(dir, 2000, &e);
	T_CHECKF(fd >= 0, "%s", e.msg);
	T_EQ_INT(waitpid(pid, &status, 0), pid);
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* our pid is in the file now */
	char path[300], text[32] = {0};
	snprintf(path, sizeof path, "%s/.polycrate/lock", dir);
	FILE *f = fopen(path, "r");
	T_CHECK(f && fgets(text, sizeof text, f));
	if (f)
		fclose(f);
	T_EQ_INT(atol(text), getpid());
	/* a second take in this process, through another open file, is refused as well */
	err_init(&e);
	T_EQ_INT(lock_workspace(dir, 0, &e), ERR_FAIL);
	lock_workspace_release(fd);
	fd = lock_workspace(dir, 0, &e);
	T_CHECK(fd >= 0);
	lock_workspace_release(fd);
	lock_workspace_release(-1);
	/* a holder whose pid cannot be read is still named as a holder */
	pid = fork();
	if (pid == 0) {
		int lfd = lock_workspace(dir, 0, NULL);
		if (lfd < 0 || ftruncate(lfd, 0) < 0 || pwrite(lfd, "garbage", 7, 0) != 7)
			_exit(2);
		if (write(up[1], "y", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(3);
		_exit(0);
	}
	T_EQ_INT(read(up[0], &c, 1), 1);
	err_init(&e);
	T_EQ_INT(lock_workspace(dir, 0, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "another polycrate is changing this workspace (pid unknown)");
	T_EQ_INT(write(down[1], "x", 1), 1);
	T_EQ_INT(waitpid(pid, &status, 0), pid);
	T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the lock file is never followed through a symlink */
	snprintf(path, sizeof path, "%s/.polycrate/lock", dir);
	unlink(path);
	T_EQ_INT(symlink("/tmp/elsewhere-lock", path), 0);
	err_init(&e);
	T_EQ_INT(lock_workspace(dir, 0, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "open ") != NULL, "%s", e.msg);
	/* a folder that cannot hold .polycrate */
	err_init(&e);
	T_CHECK(lock_workspace("/proc/self/nonexistent-dir/x", 0, &e) < 0);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	T_EQ_INT(system(cmd), 0);
}

T_MAIN(test_roundtrip, test_corrupt, test_workspace_lock)
