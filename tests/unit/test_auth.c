/* test_auth.c - WWW-Authenticate parsing, base64, Basic and Bearer flows, the token cache */
#include "t.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "err.h"
#include "http.h"
#include "log.h"

/* One case: the header, then the expected challenges as "scheme|t68|k=v|k=v" lines
 * joined with ";" (NULL: a parse error is expected). */
struct pcase {
	const char *in;
	const char *want;
};

static const struct pcase pcases[] = {
    {"Basic realm=\"x\"", "Basic|-|realm=x"},
    {"basic REALM=\"Registry Realm\"", "basic|-|realm=Registry Realm"},
    {"Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
     "scope=\"repository:a/b:pull\"",
     "Bearer|-|realm=https://auth.example/token|service=registry.example|"
     "scope=repository:a/b:pull"},
    /* two challenges in one header, commas inside quotes */
    {"Bearer realm=\"https://a/t\",scope=\"repository:x:pull,push\", Basic realm=\"r\"",
     "Bearer|-|realm=https://a/t|scope=repository:x:pull,push;Basic|-|realm=r"},
    /* escapes in quoted strings */
    {"Basic realm=\"a \\\"q\\\" \\\\ b\"", "Basic|-|realm=a \"q\" \\ b"},
    /* token68 */
    {"Negotiate abc+/def==", "Negotiate|abc+/def==|"},
    {"Negotiate abc==, Basic realm=x", "Negotiate|abc==|;Basic|-|realm=x"},
    /* unquoted values, BWS around '=', empty list elements */
    {" , Bearer realm = \"https://h/t\" , , service=svc", "Bearer|-|realm=https://h/t|service=svc"},
    {"Bearer realm=https://h/t", NULL}, /* '/' is no token character: must be quoted */
    /* a scheme alone, then another */
    {"Foo, Bar x=1", "Foo|-|;Bar|-|x=1"},
    {"NewAuth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
     "NewAuth|-|realm=apps|type=1|title=Login to \"apps\";Basic|-|realm=simple"},
    {"Bearer error=\"insufficient_scope\",realm=\"http://127.0.0.1:1/t\"",
     "Bearer|-|error=insufficient_scope|realm=http://127.0.0.1:1/t"},
    {"Bearer realm=\"\"", "Bearer|-|realm="},
    /* malformed */
    {"Basic realm=\"unterminated", NULL},
    {"Basic realm=\"ctl\x01\"", NULL},
    {"Basic realm=", "Basic|realm=|"}, /* a token68, by the grammar */
    {"Basic a=b=c", NULL},
    {"=x", NULL},
    {"Basic realm=\"x\" junk", NULL},
    {"Basic realm=\"x\\", NULL},
    {"Ba(sic realm=x", NULL},
    {"Basic a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17", NULL},
    {"A, B, C, D, E, F, G, H, I", NULL},
};

static void render(const struct auth_chals *ch, struct buf *b)
{
	for (size_t i = 0; i < ch->n; i++) {
		const struct auth_chal *c = &ch->c[i];
		buf_printf(b, "%s%s|%s|", i ? ";" : "", c->scheme, c->token68 ? c->token68 : "-");
		for (size_t j = 0; j < c->n; j++)
			buf_printf(b, "%s%s=%s", j ? "|" : "", c->name[j], c->value[j]);
	}
}

static void test_parse_table(void)
{
	for (size_t i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
		struct auth_chals ch;
		struct err e;
		struct buf b;
		err_init(&e);
		buf_init(&b, 0);
		int rc = auth_parse_challenges(pcases[i].in, &ch, &e);
		if (!pcases[i].want) {
			T_CHECKF(rc == ERR_AUTH && e.msg[0], "case %zu should fail: %s", i,
			         pcases[i].in);
			T_EQ_INT(ch.n, 0);
		} else {
			T_CHECKF(rc == 0, "case %zu: %s: %s", i, pcases[i].in, e.msg);
			render(&ch, &b);
			T_CHECKF(strcmp(buf_cstr(&b), pcases[i].want) == 0, "case %zu: got %s", i,
			         buf_cstr(&b));
		}
		auth_chals_free(&ch);
		buf_free(&b);
	}
}

static void test_parse_lookups(void)
{
	struct auth_chals ch;
	struct err e;
	err_init(&e);
	T_EQ_INT(auth_parse_challenges("basic Realm=a, BEARER REALM=\"b\", Service=s", &ch, &e), 0);
	const struct auth_chal *b = auth_chals_find(&ch, "bearer");
	T_CHECK(b != NULL);
	T_EQ_STR(auth_chal_param(b, "realm"), "b");
	T_EQ_STR(auth_chal_param(b, "SERVICE"), "s");
	T_CHECK(auth_chal_param(b, "scope") == NULL);
	T_EQ_STR(auth_chal_param(auth_chals_find(&ch, "Basic"), "realm"), "a");
	T_CHECK(auth_chals_find(&ch, "Digest") == NULL);
	auth_chals_free(&ch);
	/* too long */
	char *big = malloc(AUTH_HEADER_MAX + 100);
	memset(big, 'a', AUTH_HEADER_MAX + 99);
	big[AUTH_HEADER_MAX + 99] = 0;
	T_EQ_INT(auth_parse_challenges(big, &ch, &e), ERR_AUTH);
	free(big);
	auth_chals_free(&ch);
}

static void test_base64(void)
{
	static const char *const enc[][2] = {
	    {"", ""},
	    {"f", "Zg=="},
	    {"fo", "Zm8="},
	    {"foo", "Zm9v"},
	    {"foob", "Zm9vYg=="},
	    {"user:pass", "dXNlcjpwYXNz"},
	    {"a:b:c", "YTpiOmM="},
	};
	char out[64], dec[64];
	for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		T_EQ_INT(auth_base64_encode(enc[i][0], strlen(enc[i][0]), out, sizeof out),
		         strlen(enc[i][1]));
		T_EQ_STR(out, enc[i][1]);
		T_EQ_INT(auth_base64_decode(enc[i][1], dec, sizeof dec), strlen(enc[i][0]));
		T_EQ_STR(dec, enc[i][0]);
	}
	T_EQ_INT(auth_base64_decode("Zm9vYg", dec, sizeof dec), 4); /* unpadded */
	static const char *const bad[] = {"Zg=",  "Z",     "Zm9v!",    "Zm9v\n",
	                                  "Zh==", "Zg===", "Zm9vYg=a", "===="};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		T_CHECKF(auth_base64_decode(bad[i], dec, sizeof dec) == ERR_FAIL, "bad %s", bad[i]);
	T_EQ_INT(auth_base64_encode("foo", 3, out, 4), ERR_FAIL); /* no room for the NUL */
	T_EQ_INT(auth_base64_decode("Zm9vYmFy", dec, 6), ERR_FAIL);
}

static int lookups;
static int fake_lookup(void *arg, const char *registry, struct auth_creds *out, struct err *e)
{
	lookups++;
	if (strcmp(registry, "broken.example") == 0)
		return err_set(e, ERR_FAIL, "helper failed");
	if (strcmp(registry, (const char *)arg) != 0)
		return 0;
	strcpy(out->username, "tester");
	strcpy(out->password, "secret-pw");
	return 1;
}

static void test_basic_flow(void)
{
	struct auth_ctx *a = auth_new(NULL);
	struct http_headers h;
	struct err e;
	const char *sc[] = {"repository:x:pull"};
	err_init(&e);
	http_headers_init(&h);
	lookups = 0;
	auth_set_lookup(a, fake_lookup, "reg.example:5000");
	/* nothing known yet: nothing added */
	T_EQ_INT(auth_header(a, "reg.example:5000", sc, 1, &h, &e), 0);
	T_EQ_INT(h.n, 0);
	T_EQ_INT(auth_challenge(a, "reg.example:5000", "Basic realm=\"r\"", sc, 1, &e), 0);
	T_EQ_INT(auth_header(a, "reg.example:5000", sc, 1, &h, &e), 0);
	T_EQ_STR(http_headers_get(&h, "Authorization"), "Basic dGVzdGVyOnNlY3JldC1wdw==");
	T_EQ_INT(lookups, 1); /* looked up once for the process */
	/* a 401 although Basic was sent: the password is wrong */
	T_EQ_INT(auth_challenge(a, "reg.example:5000", "Basic realm=\"r\"", sc, 1, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "authentication required") != NULL, "%s", e.msg);
	T_EQ_STR(e.hint, "polycrate login reg.example:5000");
	/* no credentials at all */
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "other.example", "Basic realm=x", NULL, 0, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "no credentials") != NULL, "%s", e.msg);
	T_EQ_STR(e.hint, "polycrate login other.example");
	/* a failing helper is its own error */
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "broken.example", "Basic realm=x", NULL, 0, &e), ERR_FAIL);
	T_EQ_STR(e.msg, "helper failed");
	/* direct credentials win over the lookup */
	struct auth_creds c;
	memset(&c, 0, sizeof c);
	strcpy(c.username, "u");
	strcpy(c.password, "p");
	err_init(&e);
	T_EQ_INT(auth_set_creds(a, "direct.example", &c, &e), 0);
	T_EQ_INT(auth_challenge(a, "direct.example", "Basic realm=x", NULL, 0, &e), 0);
	http_headers_free(&h);
	T_EQ_INT(auth_header(a, "direct.example", NULL, 0, &h, &e), 0);
	T_EQ_STR(http_headers_get(&h, "Authorization"), "Basic dTpw");
	/* unknown schemes and empty challenges */
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "direct.example", "Digest realm=x", NULL, 0, &e), ERR_AUTH);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "direct.example", "", NULL, 0, &e), ERR_AUTH);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "direct.example", "Bearer service=x", NULL, 0, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "realm") != NULL, "%s", e.msg);
	http_headers_free(&h);
	auth_free(a);
}

static void test_realm_creds(void)
{
	static const struct {
		const char *realm, *registry;
		int ok;
	} cases[] = {
	    {"https://auth.example/token", "reg.example", 1},
	    {"http://auth.example/token", "reg.example", 0}, /* plain HTTP to another host */
	    {"http://reg.example:8080/token", "reg.example:5000", 1}, /* the registry's host */
	    {"http://REG.example/token", "reg.example", 1},
	    {"http://127.0.0.1:9/token", "reg.example", 1},
	    {"http://localhost/token", "reg.example", 1},
	    {"http://[::1]:9/token", "reg.example", 1},
	    {"http://10.0.0.1/token", "reg.example", 0},
	    {"http://reg.example.evil/token", "reg.example", 0},
	    {"http://fe80::1/token", "[fe80::1]:5000", 0}, /* no valid URL: parse fails */
	    {"http://[fe80::1]/token", "[fe80::1]:5000", 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct http_url u;
		struct err e;
		err_init(&e);
		if (http_url_parse(cases[i].realm, &u, &e) < 0) {
			T_CHECKF(cases[i].ok == 0, "case %zu: %s", i, e.msg);
			continue;
		}
		T_CHECKF(auth_realm_may_get_creds(&u, cases[i].registry) == cases[i].ok, "case %zu",
		         i);
	}
}

/* ---- Bearer flows against tests/token_server.py ---- */

#define SERVER_WAIT_MS 20000
#define REALM_FMT "Bearer realm=\"http://127.0.0.1:%d/token\",service=\"polycrate-test\""

struct tsrv {
	pid_t pid;
	int port;
	char dir[128];
};

static const char *script_path(const char *name, char *out, size_t n)
{
	snprintf(out, n, "tests/%s", name);
	if (access(out, R_OK) != 0)
		snprintf(out, n, "../../../tests/%s", name);
	return out;
}

/* Starts the token server with users ("user:password" lines) and extra arguments. */
static int tsrv_start(struct tsrv *t, const char *users, const char *a1, const char *a2,
                      const char *a3, const char *a4)
{
	char script[256], pf[192], uf[192];
	memset(t, 0, sizeof *t);
	snprintf(t->dir, sizeof t->dir, "/tmp/polycrate-auth-%d-XXXXXX", (int)getpid());
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(pf, sizeof pf, "%s/port", t->dir);
	snprintf(uf, sizeof uf, "%s/users", t->dir);
	FILE *f = fopen(uf, "w");
	if (!f)
		return -1;
	fputs(users, f);
	fclose(f);
	script_path("token_server.py", script, sizeof script);
	t->pid = fork();
	if (t->pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/python3", "python3", script, "--dir", t->dir, "--users", uf,
		      "--port-file", pf, "--lifetime", "300", a1, a2, a3, a4, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < SERVER_WAIT_MS / 50; i++) {
		f = fopen(pf, "r");
		if (f) {
			int n = fscanf(f, "%d", &t->port);
			fclose(f);
			if (n == 1)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

static void tsrv_stop(struct tsrv *t)
{
	char cmd[256];
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
	}
	snprintf(cmd, sizeof cmd, "%s/requests.jsonl", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/cert.pem", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/key.pem", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/users", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/port", t->dir);
	unlink(cmd);
	rmdir(t->dir);
}

/* The recorded requests: their count, and the last line into last. */
static int tsrv_requests(const struct tsrv *t, char *last, size_t n)
{
	char p[192], line[8192];
	int count = 0;
	snprintf(p, sizeof p, "%s/requests.jsonl", t->dir);
	FILE *f = fopen(p, "r");
	last[0] = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		count++;
		snprintf(last, n, "%s", line);
	}
	fclose(f);
	return count;
}

static struct auth_creds test_creds;
static int creds_lookup(void *arg, const char *registry, struct auth_creds *out, struct err *e)
{
	if (!test_creds.username[0])
		return 0;
	*out = test_creds;
	return 1;
}

static struct http_client *client(void)
{
	struct http_client *cl = http_client_new();
	struct err e;
	err_init(&e);
	http_client_set_proxy(cl, NULL, NULL, NULL, &e);
	http_client_set_timeouts(cl, 5000, 10000);
	return cl;
}

static const char *authz(struct auth_ctx *a, const char *const *sc, size_t n,
                         struct http_headers *h)
{
	static struct err e;
	err_init(&e);
	http_headers_free(h);
	if (auth_header(a, "reg.test", sc, n, h, &e) < 0)
		return e.msg;
	const char *v = http_headers_get(h, "Authorization");
	return v ? v : "";
}

static void test_bearer_flow(void)
{
	struct tsrv t;
	struct err e;
	struct http_headers h;
	char chal[256], last[8192];
	if (tsrv_start(&t, "tester:secret-pw\n", "--expires-in", "1", "--token-field",
	               "access_token") < 0) {
		t_skip("token server did not start");
		tsrv_stop(&t);
		return;
	}
	struct http_client *cl = client();
	struct auth_ctx *a = auth_new(cl);
	http_headers_init(&h);
	memset(&test_creds, 0, sizeof test_creds);
	strcpy(test_creds.username, "tester");
	strcpy(test_creds.password, "secret-pw");
	auth_set_lookup(a, creds_lookup, NULL);
	snprintf(chal, sizeof chal, REALM_FMT ",scope=\"repository:team/x:pull\"", t.port);
	const char *pull[] = {"repository:team/x:pull"};
	const char *push[] = {"repository:team/x:pull,push"};
	const char *mount[] = {"repository:team/y:pull,push", "repository:team/x:pull"};
	const char *mount2[] = {"repository:team/x:pull", "repository:team/y:pull,push"};

	err_init(&e);
	T_EQ_STR(authz(a, pull, 1, &h), ""); /* nothing known: anonymous first */
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 1);
	T_CHECKF(strstr(last, "\"method\": \"GET\"") && strstr(last, "\"user\": \"tester\"") &&
	             strstr(last, "\"scopes\": [\"repository:team/x:pull\"]") &&
	             strstr(last, "\"service\": \"polycrate-test\""),
	         "%s", last);
	T_CHECK(strncmp(authz(a, pull, 1, &h), "Bearer eyJ", 10) == 0);
	/* cached: no new request, although expires_in was 1 (at least 60 s count) */
	T_CHECK(strncmp(authz(a, pull, 1, &h), "Bearer eyJ", 10) == 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 1);
	/* a new scope set on a Bearer registry: fetched at once, one scope parameter each */
	T_CHECK(strncmp(authz(a, push, 1, &h), "Bearer eyJ", 10) == 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 2);
	T_CHECKF(strstr(last, "\"scopes\": [\"repository:team/x:pull,push\"]") != NULL, "%s", last);
	T_CHECK(strncmp(authz(a, mount, 2, &h), "Bearer eyJ", 10) == 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 3);
	T_CHECKF(strstr(last, "\"scopes\": [\"repository:team/y:pull,push\", "
	                      "\"repository:team/x:pull\"]") != NULL,
	         "%s", last);
	/* the same set in another order is the same cache entry */
	T_CHECK(strncmp(authz(a, mount2, 2, &h), "Bearer eyJ", 10) == 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 3);
	/* a 401 with a cached token: fetched again once; refused again: ERR_AUTH */
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 4);
	snprintf(chal, sizeof chal, REALM_FMT ",error=\"insufficient_scope\"", t.port);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "authentication required: insufficient_scope") != NULL, "%s", e.msg);
	T_EQ_STR(e.hint, "polycrate login reg.test");
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 4);
	/* the scope from the challenge when the caller gives none */
	err_init(&e);
	snprintf(chal, sizeof chal, REALM_FMT ",scope=\"repository:z:pull repository:w:pull\"",
	         t.port);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, NULL, 0, &e), 0);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 5);
	T_CHECKF(strstr(last, "\"scopes\": [\"repository:z:pull\", \"repository:w:pull\"]") != NULL,
	         "%s", last);

	/* a wrong password: the token server's words */
	auth_free(a);
	a = auth_new(cl);
	strcpy(test_creds.password, "wrong");
	auth_set_lookup(a, creds_lookup, NULL);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "authentication required: invalid username or password") != NULL,
	         "%s", e.msg);
	T_EQ_STR(e.hint, "polycrate login reg.test");
	/* anonymous: refused by this server */
	auth_free(a);
	a = auth_new(cl);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "authentication required") != NULL, "%s", e.msg);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 7);
	T_CHECKF(strstr(last, "\"user\": null") && strstr(last, "\"basic\": false"), "%s", last);
	/* a realm that is no http(s) URL */
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", "Bearer realm=\"file:///etc/passwd\"", pull, 1, &e),
	         ERR_AUTH);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 7);
	http_headers_free(&h);
	auth_free(a);
	http_client_free(cl);
	tsrv_stop(&t);
}

/* GET realm?service&offline_token=true with Basic: the refresh token. */
static int get_refresh(const struct tsrv *t, char *out, size_t n)
{
	struct http_client *cl = client();
	struct http_headers h;
	struct http_request rq;
	struct http_response rs;
	struct buf b;
	struct err e;
	char url[256];
	int rc = -1;
	err_init(&e);
	http_headers_init(&h);
	buf_init(&b, 0);
	memset(&rq, 0, sizeof rq);
	memset(&rs, 0, sizeof rs);
	http_headers_add(&h, "Authorization", "Basic dGVzdGVyOnNlY3JldC1wdw==");
	snprintf(url, sizeof url,
	         "http://127.0.0.1:%d/token?service=polycrate-test&offline_token=true", t->port);
	rq.method = "GET";
	rq.url = url;
	rq.headers = &h;
	if (http_request(cl, &rq, &rs, &e) == 0 && http_response_slurp(&rs, &b, 65536, &e) == 0) {
		const char *p = strstr(buf_cstr(&b), "\"refresh_token\": \"");
		if (p && sscanf(p + 18, "%63[0-9a-f]", out) == 1 && n > 64)
			rc = 0;
	}
	http_response_free(&rs);
	http_headers_free(&h);
	buf_free(&b);
	http_client_free(cl);
	return rc;
}

static void test_identity_token(void)
{
	struct tsrv t, t2;
	struct err e;
	struct http_headers h;
	char chal[256], last[8192], refresh[128];
	const char *pull[] = {"repository:team/x:pull"};
	if (tsrv_start(&t, "tester:secret-pw\n", "--token-field", "token", "--post", "200") < 0 ||
	    get_refresh(&t, refresh, sizeof refresh) < 0) {
		t_skip("token server did not start");
		tsrv_stop(&t);
		return;
	}
	struct http_client *cl = client();
	struct auth_ctx *a = auth_new(cl);
	http_headers_init(&h);
	memset(&test_creds, 0, sizeof test_creds);
	strcpy(test_creds.username, "tester");
	strcpy(test_creds.identity_token, refresh);
	auth_set_lookup(a, creds_lookup, NULL);
	snprintf(chal, sizeof chal, REALM_FMT, t.port);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), 0);
	T_CHECKF(e.msg[0] == 0, "%s", e.msg);
	T_EQ_INT(tsrv_requests(&t, last, sizeof last), 2);
	T_CHECKF(strstr(last, "\"method\": \"POST\"") &&
	             strstr(last, "\"grant\": \"refresh_token\"") &&
	             strstr(last, "\"scopes\": [\"repository:team/x:pull\"]"),
	         "%s", last);
	T_CHECK(strncmp(authz(a, pull, 1, &h), "Bearer eyJ", 10) == 0);
	/* a refresh token the server does not know: its words (invalid_grant) */
	auth_free(a);
	a = auth_new(cl);
	strcpy(test_creds.identity_token, "0123456789abcdef");
	auth_set_lookup(a, creds_lookup, NULL);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), ERR_AUTH);
	T_CHECKF(strstr(e.msg, "invalid_grant") != NULL, "%s", e.msg);
	auth_free(a);
	tsrv_stop(&t);

	/* GHCR-like: POST answered 405, so GET with Basic (the token as password) */
	if (tsrv_start(&t2, "tester:ghp-token\n", "--post", "405", "--anonymous", "pull") < 0) {
		t_skip("token server did not start");
		tsrv_stop(&t2);
		http_client_free(cl);
		return;
	}
	a = auth_new(cl);
	strcpy(test_creds.identity_token, "ghp-token");
	auth_set_lookup(a, creds_lookup, NULL);
	snprintf(chal, sizeof chal, REALM_FMT, t2.port);
	err_init(&e);
	T_EQ_INT(auth_challenge(a, "reg.test", chal, pull, 1, &e), 0);
	T_CHECKF(e.msg[0] == 0, "%s", e.msg);
	T_EQ_INT(tsrv_requests(&t2, last, sizeof last), 2);
	T_CHECKF(strstr(last, "\"method\": \"GET\"") && strstr(last, "\"user\": \"tester\""), "%s",
	         last);
	T_CHECK(strncmp(authz(a, pull, 1, &h), "Bearer eyJ", 10) == 0);
	http_headers_free(&h);
	auth_free(a);
	http_client_free(cl);
	tsrv_stop(&t2);
}

/* Several threads on one context: headers, new scopes and challenges at once. */
struct thr {
	struct auth_ctx *a;
	int port, id, ok;
};

static void *thr_run(void *arg)
{
	struct thr *t = arg;
	char scope[64], chal[256];
	struct http_headers h;
	struct err e;
	http_headers_init(&h);
	snprintf(chal, sizeof chal, REALM_FMT, t->port);
	for (int i = 0; i < 20; i++) {
		snprintf(scope, sizeof scope, "repository:t%d/r%d:pull", t->id, i % 4);
		const char *sc[] = {scope};
		err_init(&e);
		http_headers_free(&h);
		if (auth_header(t->a, "reg.test", sc, 1, &h, &e) < 0)
			continue;
		if (!http_headers_get(&h, "Authorization") &&
		    auth_challenge(t->a, "reg.test", chal, sc, 1, &e) < 0)
			continue;
		http_headers_free(&h);
		if (auth_header(t->a, "reg.test", sc, 1, &h, &e) == 0 &&
		    http_headers_get(&h, "Authorization"))
			t->ok++;
	}
	http_headers_free(&h);
	return NULL;
}

static void test_threads(void)
{
	struct tsrv t;
	struct thr th[4];
	pthread_t id[4];
	if (tsrv_start(&t, "tester:secret-pw\n", "--post", "200", "--anonymous", "pull") < 0) {
		t_skip("token server did not start");
		tsrv_stop(&t);
		return;
	}
	struct http_client *cl = client();
	struct auth_ctx *a = auth_new(cl);
	memset(&test_creds, 0, sizeof test_creds);
	strcpy(test_creds.username, "tester");
	strcpy(test_creds.password, "secret-pw");
	auth_set_lookup(a, creds_lookup, NULL);
	for (int i = 0; i < 4; i++) {
		th[i] = (struct thr){a, t.port, i, 0};
		pthread_create(&id[i], NULL, thr_run, &th[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(id[i], NULL);
		T_EQ_INT(th[i].ok, 20);
	}
	char last[8192];
	/* one token per (thread, repository): 16, and the first challenge's */
	int n = tsrv_requests(&t, last, sizeof last);
	T_CHECKF(n >= 16 && n <= 20, "%d requests", n);
	auth_free(a);
	http_client_free(cl);
	tsrv_stop(&t);
}

/* Token servers that answer oddly: python's http.server serving fixed files as the realm. */
static void test_token_bodies(void)
{
	static const struct {
		const char *file, *body;
		int rc;
		const char *msg; /* part of the message, or of the header on success */
	} cases[] = {
	    {"ok", "{\"token\":\"abc.def\",\"expires_in\":-5}", 0, "Bearer abc.def"},
	    {"access", "{\"access_token\":\"xyz\",\"token\":\"\"}", 0, "Bearer xyz"},
	    {"strexp", "{\"token\":\"t1\",\"expires_in\":\"300\"}", 0, "Bearer t1"},
	    {"hugeexp", "{\"token\":\"t2\",\"expires_in\":99999999999999}", 0, "Bearer t2"},
	    {"notoken", "{\"expires_in\":300}", ERR_AUTH, "sent no token"},
	    {"empty", "{\"token\":\"\"}", ERR_AUTH, "sent no token"},
	    {"space", "{\"token\":\"a b\"}", ERR_AUTH, "bad characters"},
	    {"crlf", "{\"token\":\"a\\r\\nX-Evil: 1\"}", ERR_AUTH, "bad characters"},
	    {"notjson", "<html>hello</html>", ERR_AUTH, "invalid JSON"},
	    {"array", "[\"token\"]", ERR_AUTH, "sent no token"},
	};
	char dir[] = "/tmp/polycrate-auth-static-XXXXXX", p[256], ps[16], pf[300];
	if (!mkdtemp(dir)) {
		t_skip("mkdtemp");
		return;
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, cases[i].file);
		FILE *f = fopen(p, "w");
		if (f) {
			fputs(cases[i].body, f);
			fclose(f);
		}
	}
	/* a body past AUTH_TOKEN_BODY_MAX */
	snprintf(p, sizeof p, "%s/big", dir);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs("{\"token\":\"", f);
		for (int i = 0; i < AUTH_TOKEN_BODY_MAX; i++)
			fputc('a', f);
		fputs("\"}", f);
		fclose(f);
	}
	int port = 0;
	pid_t pid = -1;
	for (int attempt = 0; attempt < 5 && port == 0; attempt++) {
		port = 20000 + (int)((getpid() * 7 + attempt * 131) % 30000);
		snprintf(ps, sizeof ps, "%d", port);
		pid = fork();
		if (pid == 0) {
			if (!freopen("/dev/null", "w", stdout) ||
			    !freopen("/dev/null", "w", stderr))
				_exit(127);
			execl("/usr/bin/python3", "python3", "-m", "http.server", ps, "--bind",
			      "127.0.0.1", "--directory", dir, (char *)NULL);
			_exit(127);
		}
		/* wait until it listens (or died: another port) */
		struct http_client *cl = client();
		int up = 0;
		for (int i = 0; i < 100 && !up; i++) {
			struct http_request rq = {.method = "GET"};
			struct http_response rs;
			struct err e;
			char url[64];
			err_init(&e);
			memset(&rs, 0, sizeof rs);
			snprintf(url, sizeof url, "http://127.0.0.1:%d/ok", port);
			rq.url = url;
			rq.flags = HTTP_NO_RETRY;
			if (http_request(cl, &rq, &rs, &e) == 0 && rs.status == 200)
				up = 1;
			http_response_free(&rs);
			if (!up) {
				if (waitpid(pid, NULL, WNOHANG) == pid)
					break;
				usleep(100000);
			}
		}
		http_client_free(cl);
		if (!up) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
			pid = -1;
			port = 0;
		}
	}
	if (!port) {
		t_skip("python http.server did not start");
		goto out;
	}
	struct http_client *cl = client();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0] + 2; i++) {
		const char *file = i < sizeof cases / sizeof cases[0]    ? cases[i].file
		                   : i == sizeof cases / sizeof cases[0] ? "big"
		                                                         : "missing";
		char chal[256];
		struct err e;
		struct http_headers h;
		const char *sc[] = {"repository:x:pull"};
		struct auth_ctx *a = auth_new(cl);
		http_headers_init(&h);
		err_init(&e);
		snprintf(chal, sizeof chal, "Bearer realm=\"http://127.0.0.1:%d/%s\",service=s",
		         port, file);
		int rc = auth_challenge(a, "reg.test", chal, sc, 1, &e);
		if (i < sizeof cases / sizeof cases[0]) {
			T_CHECKF(rc == cases[i].rc, "%s: rc %d (%s)", file, rc, e.msg);
			if (rc == 0) {
				T_EQ_INT(auth_header(a, "reg.test", sc, 1, &h, &e), 0);
				T_EQ_STR(http_headers_get(&h, "Authorization"), cases[i].msg);
			} else {
				T_CHECKF(strstr(e.msg, cases[i].msg) != NULL, "%s: %s", file,
				         e.msg);
			}
		} else if (strcmp(file, "big") == 0) {
			T_CHECKF(rc < 0 && strstr(e.msg, "larger than"), "big: %d %s", rc, e.msg);
		} else {
			T_CHECKF(rc == ERR_AUTH && strstr(e.msg, "token request failed") &&
			             strstr(e.msg, "answered 404"),
			         "missing: %s", e.msg);
		}
		http_headers_free(&h);
		auth_free(a);
	}
	http_client_free(cl);
out:
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(pf, sizeof pf, "%s/%s", dir, cases[i].file);
		unlink(pf);
	}
	snprintf(pf, sizeof pf, "%s/big", dir);
	unlink(pf);
	rmdir(dir);
}

T_MAIN(test_parse_table, test_parse_lookups, test_base64, test_basic_flow, test_realm_creds,
       test_bearer_flow, test_identity_token, test_threads, test_token_bodies)
