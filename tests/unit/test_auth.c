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

T_MAIN(test_parse_table, test_parse_lookups, test_base64, test_basic_flow)
