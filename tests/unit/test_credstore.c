/* test_credstore.c - docker config lookups, credential helpers, login's rewrite of config.json */
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "credstore.h"
#include "err.h"
#include "fs.h"
#include "log.h"

static char tmp[256];
static char path_env[4096];

static void put(const char *name, const char *text, mode_t mode)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tmp, name);
	FILE *f = fopen(p, "w");
	if (!f) {
		perror(p);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

static char *slurp(const char *name)
{
	char p[512];
	struct buf b;
	struct err e;
	snprintf(p, sizeof p, "%s/%s", tmp, name);
	buf_init(&b, 0);
	err_init(&e);
	if (fs_read_file(p, &b, 1 << 20, &e) < 0)
		return NULL;
	return buf_steal(&b);
}

static void reset_env(void)
{
	char p[512];
	snprintf(p, sizeof p, "%s/docker", tmp);
	setenv("DOCKER_CONFIG", p, 1);
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	snprintf(p, sizeof p, "%s/home", tmp);
	setenv("HOME", p, 1);
}

static void setup(void)
{
	snprintf(tmp, sizeof tmp, "%s/credstore.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		exit(2);
	}
	char p[512];
	snprintf(p, sizeof p, "%s/docker", tmp);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/bin", tmp);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/home", tmp);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/xdg", tmp);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/xdg/containers", tmp);
	mkdir(p, 0700);
	snprintf(path_env, sizeof path_env, "%s/bin:/usr/bin:/bin", tmp);
	setenv("PATH", path_env, 1);
	/* a helper: `get` answers from files named after the server URL, `store` and
	 * `erase` record their input; special names misbehave */
	put("bin/docker-credential-test",
	    "#!/bin/sh\n"
	    "url=$(cat)\n"
	    "d=$(dirname \"$0\")/../helper\n"
	    "mkdir -p \"$d\"\n"
	    "echo \"$1 $url\" >>\"$d/calls\"\n"
	    "case \"$1\" in\n"
	    "get)\n"
	    "  case \"$url\" in\n"
	    "  slow.example) sleep 5 ;;\n"
	    "  loud.example) head -c 200000 /dev/zero | tr '\\0' x ;;\n"
	    "  broken.example) echo 'error getting credentials - err: exit status 1, out: "
	    "`keychain locked`'; exit 1 ;;\n"
	    "  garbage.example) echo 'not json' ;;\n"
	    "  tok.example) echo '{\"ServerURL\":\"tok.example\",\"Username\":\"<token>\","
	    "\"Secret\":\"idtok-1\"}' ;;\n"
	    "  helped.example|https://index.docker.io/v1/) echo \"{\\\"ServerURL\\\":\\\"$url\\\","
	    "\\\"Username\\\":\\\"huser\\\",\\\"Secret\\\":\\\"hpass\\\"}\" ;;\n"
	    "  *) echo 'credentials not found in native keychain'; exit 1 ;;\n"
	    "  esac ;;\n"
	    "store) printf %s \"$url\" >\"$d/stored\" ;;\n"
	    "erase) echo \"$url\" >\"$d/erased\" ;;\n"
	    "esac\n",
	    0755);
	reset_env();
}

static void test_keys(void)
{
	static const char *const cases[][2] = {
	    {"docker.io", CREDSTORE_HUB_KEY},
	    {"index.docker.io", CREDSTORE_HUB_KEY},
	    {"registry-1.docker.io", CREDSTORE_HUB_KEY},
	    {"https://index.docker.io/v1/", CREDSTORE_HUB_KEY},
	    {"Registry.Example.com", "registry.example.com"},
	    {"localhost:5000", "localhost:5000"},
	    {"https://reg.example:8443", "reg.example:8443"},
	    {"http://127.0.0.1:5000/", "127.0.0.1:5000"},
	};
	char out[CREDSTORE_KEY_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		credstore_key(cases[i][0], out, sizeof out);
		T_EQ_STR(out, cases[i][1]);
	}
}

struct lcase {
	const char *registry;
	int rc;
	const char *user, *pass, *idtok;
};

static void check_lookups(const struct lcase *lc, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct auth_creds c;
		struct err e;
		err_init(&e);
		int rc = credstore_lookup(NULL, lc[i].registry, &c, &e);
		T_CHECKF(rc == lc[i].rc, "%s: rc %d want %d (%s)", lc[i].registry, rc, lc[i].rc,
		         e.msg);
		if (rc == 1) {
			T_EQ_STR(c.username, lc[i].user);
			T_EQ_STR(c.password, lc[i].pass);
			T_EQ_STR(c.identity_token, lc[i].idtok);
		}
	}
}

static void test_config_auths(void)
{
	reset_env();
	/* dXNlcjE6cGFzczE= is user1:pass1, dTI6cDI6d2l0aDpjb2xvbnM= u2:p2:with:colons */
	put("docker/config.json",
	    "{\"auths\":{"
	    "\"host.example\":{\"auth\":\"dXNlcjE6cGFzczE=\"},"
	    "\"https://tls.example:8443\":{\"auth\":\"dTI6cDI6d2l0aDpjb2xvbnM=\"},"
	    "\"http://plain.example\":{\"username\":\"u3\",\"password\":\"p\\\"3\"},"
	    "\"https://v1.example/v1/\":{\"username\":\"u4\",\"identitytoken\":\"it4\"},"
	    "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
	    "\"empty.example\":{},"
	    "\"Upper.Example\":{\"auth\":\"dXNlcjE6cGFzczE=\"}"
	    "},\"unknownKey\":[1,2,{\"x\":null}]}\n",
	    0600);
	static const struct lcase lc[] = {
	    {"host.example", 1, "user1", "pass1", ""},
	    {"tls.example:8443", 1, "u2", "p2:with:colons", ""},
	    {"tls.example", 0, "", "", ""}, /* another port is another registry */
	    {"plain.example", 1, "u3", "p\"3", ""},
	    {"v1.example", 1, "u4", "", "it4"},
	    {"registry-1.docker.io", 1, "hub", "hubpw", ""},
	    {"docker.io", 1, "hub", "hubpw", ""},
	    {"index.docker.io", 1, "hub", "hubpw", ""},
	    {"empty.example", 0, "", "", ""},
	    {"upper.example", 1, "user1", "pass1", ""},
	    {"nowhere.example", 0, "", "", ""},
	};
	check_lookups(lc, sizeof lc / sizeof lc[0]);
}

static void test_sources_order(void)
{
	char p[512];
	reset_env();
	put("docker/config.json", "{\"auths\":{\"a.example\":{\"auth\":\"YTphMQ==\"}}}", 0600);
	put("raf.json",
	    "{\"auths\":{\"a.example\":{\"auth\":\"YTphMg==\"},\"b.example\":{\"auth\":\"Yjpi"
	    "Mg==\"}}}",
	    0600);
	put("xdg/containers/auth.json",
	    "{\"auths\":{\"b.example\":{\"auth\":\"YjpiMw==\"},\"c.example\":{\"auth\":\"Yzpj"
	    "Mw==\"}}}",
	    0600);
	snprintf(p, sizeof p, "%s/raf.json", tmp);
	setenv("REGISTRY_AUTH_FILE", p, 1);
	snprintf(p, sizeof p, "%s/xdg", tmp);
	setenv("XDG_RUNTIME_DIR", p, 1);
	static const struct lcase lc[] = {
	    {"a.example", 1, "a", "a1", ""}, /* config.json first */
	    {"b.example", 1, "b", "b2", ""}, /* then REGISTRY_AUTH_FILE */
	    {"c.example", 1, "c", "c3", ""}, /* then XDG_RUNTIME_DIR */
	    {"d.example", 0, "", "", ""},
	};
	check_lookups(lc, sizeof lc / sizeof lc[0]);
	/* without DOCKER_CONFIG, ~/.docker/config.json; without HOME, skipped */
	unsetenv("DOCKER_CONFIG");
	snprintf(p, sizeof p, "%s/home/.docker", tmp);
	mkdir(p, 0700);
	put("home/.docker/config.json", "{\"auths\":{\"a.example\":{\"auth\":\"YTphNA==\"}}}",
	    0600);
	static const struct lcase lc2[] = {{"a.example", 1, "a", "a4", ""}};
	check_lookups(lc2, 1);
	unsetenv("HOME");
	static const struct lcase lc3[] = {{"a.example", 1, "a", "a2", ""}};
	check_lookups(lc3, 1);
	struct err e;
	err_init(&e);
	T_EQ_INT(credstore_config_path(p, sizeof p, &e), ERR_FAIL);
	reset_env();
}

static void test_broken_files(void)
{
	static const char *const bad[] = {
	    "{\"auths\":{\"x.example\":{\"auth\":\"dXNlcjE6cGFzczE=\"},}}", /* trailing comma */
	    "[]",
	    "{\"auths\":{\"x.example\":{\"auth\":\"!!!\"}}}",
	    "{\"auths\":{\"x.example\":{\"auth\":\"bm9jb2xvbg==\"}}}", /* "nocolon" */
	    "{\"auths\":{\"x.example\":\"str\"}}",
	    "{\"auths\":[]}",
	    "{\"auths\":{},\"auths\":{}}",
	    "{\"credsStore\":\"../evil\"}",
	    "{\"credsStore\":\"absent-helper\"}",
	    "",
	};
	reset_env();
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct auth_creds c;
		struct err e;
		err_init(&e);
		put("docker/config.json", bad[i], 0600);
		int rc = credstore_lookup(NULL, "x.example", &c, &e);
		T_CHECKF(rc < 0, "case %zu: rc %d", i, rc);
		T_CHECKF(i >= 7 || strstr(e.msg, "config.json") != NULL, "case %zu: %s", i, e.msg);
		T_CHECKF(i != 8 || strstr(e.msg, "docker-credential-absent-helper not found"),
		         "case %zu: %s", i, e.msg);
		T_EQ_STR(c.password, "");
	}
	char p[512];
	snprintf(p, sizeof p, "%s/docker/config.json", tmp);
	unlink(p);
}

static void test_helpers(void)
{
	reset_env();
	put("docker/config.json",
	    "{\"auths\":{\"fallback.example\":{\"auth\":\"Zjpmdw==\"}},"
	    "\"credHelpers\":{\"helped.example\":\"test\",\"tok.example\":\"test\","
	    "\"broken.example\":\"test\",\"garbage.example\":\"test\",\"slow.example\":\"test\","
	    "\"loud.example\":\"test\",\"miss.example\":\"test\",\"docker.io\":\"test\"}}",
	    0600);
	static const struct lcase lc[] = {
	    {"helped.example", 1, "huser", "hpass", ""},
	    {"tok.example", 1, "", "", "idtok-1"}, /* "<token>": an identity token */
	    {"miss.example", 0, "", "", ""},       /* "credentials not found": no error */
	    {"registry-1.docker.io", 1, "huser", "hpass", ""},
	    {"fallback.example", 1, "f", "fw", ""}, /* no helper for it: auths */
	    {"garbage.example", ERR_AUTH, "", "", ""},
	    {"loud.example", ERR_FAIL, "", "", ""},
	};
	check_lookups(lc, sizeof lc / sizeof lc[0]);
	struct auth_creds c;
	struct err e;
	err_init(&e);
	T_EQ_INT(credstore_lookup(NULL, "broken.example", &c, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "keychain locked") != NULL, "%s", e.msg);
	T_CHECKF(strstr(e.msg, "docker-credential-test get") != NULL, "%s", e.msg);
	/* a timeout */
	struct buf out;
	buf_init(&out, 0);
	err_init(&e);
	int64_t t0 = log_now_ms();
	T_EQ_INT(credstore_helper_run("test", "get", "slow.example\n", &out, 300, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "took longer") != NULL, "%s", e.msg);
	T_CHECK(log_now_ms() - t0 < 3000);
	/* credsStore for everything not in credHelpers */
	put("docker/config.json", "{\"credsStore\":\"test\",\"auths\":{\"f.example\":{}}}", 0600);
	static const struct lcase lc2[] = {
	    {"helped.example", 1, "huser", "hpass", ""},
	    {"other.example", 0, "", "", ""},
	};
	check_lookups(lc2, 2);
	/* a helper that is no file on PATH, and names that could escape PATH */
	err_init(&e);
	buf_reset(&out);
	T_EQ_INT(credstore_helper_run("nope", "get", "x", &out, 0, &e), ERR_FAIL);
	err_init(&e);
	T_EQ_INT(credstore_helper_run("../bin/docker-credential-test", "get", "x", &out, 0, &e),
	         ERR_FAIL);
	buf_free(&out);
	char p[512];
	snprintf(p, sizeof p, "%s/docker/config.json", tmp);
	unlink(p);
}

static void test_store_erase(void)
{
	struct auth_creds c;
	struct err e;
	struct stat st;
	char where[512], p[512];
	reset_env();
	memset(&c, 0, sizeof c);
	strcpy(c.username, "tester");
	strcpy(c.password, "secret-pw");
	/* a fresh file */
	err_init(&e);
	T_EQ_INT(credstore_store("localhost:5000", &c, where, sizeof where, &e), 0);
	snprintf(p, sizeof p, "%s/docker/config.json", tmp);
	T_EQ_STR(where, p);
	T_CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	char *s = slurp("docker/config.json");
	T_EQ_STR(s, "{\"auths\":{\"localhost:5000\":{\"auth\":\"dGVzdGVyOnNlY3JldC1wdw==\"}}}");
	free(s);
	/* other entries, unknown keys and their raw text are kept; old key forms replaced */
	put("docker/config.json",
	    "{\n\t\"auths\": {\n\t\t\"other.example\": {\"auth\": \"eDp5\", \"email\": \"a@b\"},\n"
	    "\t\t\"https://localhost:5000\": {\"auth\": \"b2xkOm9sZA==\"},\n"
	    "\t\t\"http://localhost:5000/v1/\": {\"auth\": \"b2xkOm9sZA==\"}\n\t},\n"
	    "\t\"HttpHeaders\": {\"X-Meta\": \"v\\u00e9\"},\n\t\"psFormat\": \"table {{.ID}}\",\n"
	    "\t\"n\": 1.50e3\n}\n",
	    0644);
	err_init(&e);
	T_EQ_INT(credstore_store("localhost:5000", &c, where, sizeof where, &e), 0);
	s = slurp("docker/config.json");
	T_EQ_STR(s, "{\"auths\":{\"other.example\":{\"auth\": \"eDp5\", \"email\": \"a@b\"},"
	            "\"localhost:5000\":{\"auth\":\"dGVzdGVyOnNlY3JldC1wdw==\"}},"
	            "\"HttpHeaders\":{\"X-Meta\": \"v\\u00e9\"},\"psFormat\":\"table {{.ID}}\","
	            "\"n\":1.50e3}");
	free(s);
	T_CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* what was stored is found again */
	static const struct lcase lc[] = {{"localhost:5000", 1, "tester", "secret-pw", ""}};
	check_lookups(lc, 1);
	/* an identity token: "user:" in auth, the token beside it */
	strcpy(c.identity_token, "refresh-1");
	err_init(&e);
	T_EQ_INT(credstore_store("docker.io", &c, where, sizeof where, &e), 0);
	static const struct lcase lc2[] = {{"registry-1.docker.io", 1, "tester", "", "refresh-1"}};
	check_lookups(lc2, 1);
	s = slurp("docker/config.json");
	T_CHECK(s && strstr(s, "\"https://index.docker.io/v1/\":{\"auth\":\"dGVzdGVyOg==\","
	                       "\"identitytoken\":\"refresh-1\"}"));
	free(s);
	/* erase */
	err_init(&e);
	T_EQ_INT(credstore_erase("localhost:5000", &e), 1);
	T_EQ_INT(credstore_erase("localhost:5000", &e), 0);
	s = slurp("docker/config.json");
	T_CHECK(s && !strstr(s, "localhost:5000") && strstr(s, "other.example") &&
	        strstr(s, "psFormat"));
	free(s);
	/* through credsStore */
	put("docker/config.json", "{\"credsStore\":\"test\"}", 0600);
	memset(&c, 0, sizeof c);
	strcpy(c.username, "hu");
	strcpy(c.password, "hp\"w");
	err_init(&e);
	T_EQ_INT(credstore_store("helped.example", &c, where, sizeof where, &e), 0);
	T_EQ_STR(where, "docker-credential-test");
	s = slurp("helper/stored");
	T_EQ_STR(s,
	         "{\"ServerURL\":\"helped.example\",\"Username\":\"hu\",\"Secret\":\"hp\\\"w\"}");
	free(s);
	s = slurp("docker/config.json");
	T_EQ_STR(s, "{\"credsStore\":\"test\"}"); /* the file untouched */
	free(s);
	err_init(&e);
	T_EQ_INT(credstore_erase("helped.example", &e), 1);
	s = slurp("helper/erased");
	T_EQ_STR(s, "helped.example\n");
	free(s);
	/* a broken config is not overwritten */
	put("docker/config.json", "{broken", 0600);
	err_init(&e);
	T_EQ_INT(credstore_store("localhost:5000", &c, where, sizeof where, &e), ERR_FAIL);
	s = slurp("docker/config.json");
	T_EQ_STR(s, "{broken");
	free(s);
}

static void cleanup(void)
{
	struct err e;
	err_init(&e);
	fs_rmtree(tmp, &e);
}

T_MAIN(setup, test_keys, test_config_auths, test_sources_order, test_broken_files, test_helpers,
       test_store_erase, cleanup)
