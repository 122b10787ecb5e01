/* test_semver.c - SemVer 2.0 parsing, precedence and the '+' -> '_' tag rule */
#include "t.h"

#include <stdint.h>

#include "err.h"
#include "semver.h"

struct parse_case {
	const char *in;
	uint64_t ma, mi, pa;
	const char *pre, *build, *err; /* err: NULL when valid */
};

static void test_parse(void)
{
	static const struct parse_case cases[] = {
	    {"1.2.3", 1, 2, 3, "", "", NULL},
	    {"0.0.0", 0, 0, 0, "", "", NULL},
	    {"1.0.0-alpha", 1, 0, 0, "alpha", "", NULL},
	    {"1.0.0-alpha.1", 1, 0, 0, "alpha.1", "", NULL},
	    {"1.0.0-0.3.7", 1, 0, 0, "0.3.7", "", NULL},
	    {"1.0.0-x.7.z.92", 1, 0, 0, "x.7.z.92", "", NULL},
	    {"1.0.0-x-y-z.--", 1, 0, 0, "x-y-z.--", "", NULL},
	    {"1.0.0+20130313144700", 1, 0, 0, "", "20130313144700", NULL},
	    {"1.0.0-beta+exp.sha.5114f85", 1, 0, 0, "beta", "exp.sha.5114f85", NULL},
	    {"1.0.0+21AF26D3----117B344092BD", 1, 0, 0, "", "21AF26D3----117B344092BD", NULL},
	    {"1.0.0+001", 1, 0, 0, "", "001", NULL},
	    {"18446744073709551615.0.0", UINT64_MAX, 0, 0, "", "", NULL},
	    {"18446744073709551616.0.0", 0, 0, 0, "", "", "too large"},
	    {"", 0, 0, 0, "", "", "empty"},
	    {"1", 0, 0, 0, "", "", "major.minor.patch"},
	    {"1.2", 0, 0, 0, "", "", "major.minor.patch"},
	    {"1.2.", 0, 0, 0, "", "", "numbers"},
	    {"v1.2.3", 0, 0, 0, "", "", "numbers"},
	    {"01.2.3", 0, 0, 0, "", "", "leading zero"},
	    {"1.02.3", 0, 0, 0, "", "", "leading zero"},
	    {"1.2.3-01", 0, 0, 0, "", "", "leading zero"},
	    {"1.2.3-", 0, 0, 0, "", "", "empty identifier"},
	    {"1.2.3-a..b", 0, 0, 0, "", "", "empty identifier"},
	    {"1.2.3+", 0, 0, 0, "", "", "empty identifier"},
	    {"1.2.3+a+b", 0, 0, 0, "", "", "[0-9A-Za-z-]"},
	    {"1.2.3-a_b", 0, 0, 0, "", "", "[0-9A-Za-z-]"},
	    {"1.2.3.4", 0, 0, 0, "", "", "expected '-' or '+'"},
	    {"1.2.3 ", 0, 0, 0, "", "", "expected '-' or '+'"},
	    {"1.2.3_b1", 0, 0, 0, "", "", "expected '-' or '+'"},
	    {"1.2.-3", 0, 0, 0, "", "", "numbers"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct parse_case *c = &cases[i];
		struct semver v;
		struct err e;
		err_init(&e);
		int rc = semver_parse(c->in, &v, &e);
		if (c->err) {
			T_CHECKF(rc == ERR_USAGE && strstr(e.msg, c->err), "%s: %s", c->in, e.msg);
			T_CHECK(v.major == 0 && v.pre[0] == 0);
			continue;
		}
		T_CHECKF(rc == 0, "%s: %s", c->in, e.msg);
		T_CHECK(v.major == c->ma && v.minor == c->mi && v.patch == c->pa);
		T_EQ_STR(v.pre, c->pre);
		T_EQ_STR(v.build, c->build);
	}
	char big[200];
	struct semver v;
	memset(big, '1', sizeof big);
	memcpy(big, "1.0.0-", 6);
	big[128] = 0;
	T_EQ_INT(semver_parse(big, &v, NULL), 0);
	big[128] = '1';
	big[129] = 0;
	T_EQ_INT(semver_parse(big, &v, NULL), ERR_USAGE);
	T_EQ_INT(semver_parse(NULL, &v, NULL), ERR_USAGE);
}

static void test_precedence(void)
{
	/* SemVer §11's own chain, ascending */
	static const char *chain[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
	                              "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
	                              "1.0.0-rc.1",  "1.0.0",         "1.0.1",
	                              "1.1.0",       "1.10.0",        "2.0.0",
	                              "10.0.0",      "10.0.1-2",      "10.0.1-10"};
	size_t n = sizeof chain / sizeof chain[0];
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			struct semver a, b;
			T_EQ_INT(semver_parse(chain[i], &a, NULL), 0);
			T_EQ_INT(semver_parse(chain[j], &b, NULL), 0);
			int c = semver_cmp(&a, &b);
			T_CHECKF((i < j && c < 0) || (i == j && c == 0) || (i > j && c > 0),
			         "%s vs %s: %d", chain[i], chain[j], c);
		}
	}
	struct semver a, b;
	semver_parse("1.0.0+a", &a, NULL);
	semver_parse("1.0.0+b", &b, NULL);
	T_EQ_INT(semver_cmp(&a, &b), 0); /* build metadata does not count */
}

static void test_tags(void)
{
	char t[SEMVER_MAX + 1], small[5];
	struct semver v;
	struct err e;
	T_EQ_INT(semver_tag("1.2.3", t, sizeof t, NULL), 0);
	T_EQ_STR(t, "1.2.3");
	T_EQ_INT(semver_tag("1.0.0-rc.1+build.7", t, sizeof t, NULL), 0);
	T_EQ_STR(t, "1.0.0-rc.1_build.7");
	T_EQ_INT(semver_tag("1.2.3", small, sizeof small, NULL), ERR_USAGE);
	err_init(&e);
	T_EQ_INT(semver_tag("latest", t, sizeof t, &e), ERR_USAGE);
	T_CHECK(strstr(e.msg, "\"latest\"") != NULL);
	T_EQ_INT(semver_parse_tag("1.0.0-rc.1_build.7", &v, NULL), 0);
	T_EQ_STR(v.pre, "rc.1");
	T_EQ_STR(v.build, "build.7");
	T_EQ_INT(semver_parse_tag("1.0.0+b", &v, NULL), 0);
	T_EQ_STR(v.build, "b");
	T_EQ_INT(semver_parse_tag("1.0.0_a_b", &v, NULL), ERR_USAGE);

	/* listing order: semver ascending, then the rest by text */
	const char *tags[] = {"latest",     "1.10.0", "1.2.0_b2", "1.2.0",
	                      "1.2.0-rc.1", "dev",    "v1.0.0",   "0.9.9"};
	const char *want[] = {"0.9.9",  "1.2.0-rc.1", "1.2.0",  "1.2.0_b2",
	                      "1.10.0", "dev",        "latest", "v1.0.0"};
	size_t n = sizeof tags / sizeof tags[0];
	for (size_t i = 0; i < n; i++) /* insertion sort: the comparator is what is tested */
		for (size_t j = i; j > 0 && semver_cmp_tags(tags[j - 1], tags[j]) > 0; j--) {
			const char *x = tags[j];
			tags[j] = tags[j - 1];
			tags[j - 1] = x;
		}
	for (size_t i = 0; i < n; i++)
		T_EQ_STR(tags[i], want[i]);
	T_EQ_INT(semver_cmp_tags("1.0.0", "1.0.0"), 0);
}

T_MAIN(test_parse, test_precedence, test_tags)
