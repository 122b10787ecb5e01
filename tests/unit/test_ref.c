/* test_ref.c - reference parsing, formatting, registry precedence and proxy rewrites */
#include "t.h"

#include <unistd.h>

#include "err.h"
#include "log.h"
#include "ref.h"

struct ok_case {
	const char *in, *host, *path, *tag, *digest, *out;
};

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_parse_ok(void)
{
	static const struct ok_case cases[] = {
	    /* every reference in the registry documentation */
	    {"my-registry.com/team/my-block:1.0.0", "my-registry.com", "team/my-block", "1.0.0", "",
	     NULL},
	    {"my-block:1.0.0", "", "my-block", "1.0.0", "", NULL},
	    {"my-block", "", "my-block", "", "", NULL},
	    {"cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0", "cargo.ayedo.cloud", "ayedo/k8s/nginx",
	     "1.0.0", "", NULL},
	    {"ayedo/k8s/nginx", "", "ayedo/k8s/nginx", "", "", NULL},
	    {"postgres-base:1.2.0", "", "postgres-base", "1.2.0", "", NULL},
	    {"postgres-base", "", "postgres-base", "", "", NULL},
	    {"postgres-base:latest", "", "postgres-base", "latest", "", NULL},
	    {"my-registry.com/team/postgres-base:1.2.0", "my-registry.com", "team/postgres-base",
	     "1.2.0", "", NULL},
	    {"index.docker.io/myuser/my-block:1.0.0", "index.docker.io", "myuser/my-block", "1.0.0",
	     "", NULL},
	    {"my-registry.com/team/my-block", "my-registry.com", "team/my-block", "", "", NULL},
	    {"registry.mycompany.com/infra/postgres-base", "registry.mycompany.com",
	     "infra/postgres-base", "", "", NULL},
	    {"registry.mycompany.com/infra/postgres-base:1.0.0", "registry.mycompany.com",
	     "infra/postgres-base", "1.0.0", "", NULL},
	    {"hub.polycrate.io/ayedo/postgres-base:1.0.0", "hub.polycrate.io",
	     "ayedo/postgres-base", "1.0.0", "", NULL},
	    {"registry.mycompany.com/infra/base:2.0.0", "registry.mycompany.com", "infra/base",
	     "2.0.0", "", NULL},
	    {"index.docker.io/someuser/tool:1.0.0", "index.docker.io", "someuser/tool", "1.0.0", "",
	     NULL},
	    {"registry.mycompany.com/infra/my-block", "registry.mycompany.com", "infra/my-block",
	     "", "", NULL},
	    {"registry.mycompany.com/infra/proprietary-block", "registry.mycompany.com",
	     "infra/proprietary-block", "", "", NULL},
	    {"cargo.ayedo.cloud/my-org/my-block:1.0.0", "cargo.ayedo.cloud", "my-org/my-block",
	     "1.0.0", "", NULL},
	    {"registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx:1.0.0", "registry.enterprise.com",
	     "cargo-proxy/ayedo/k8s/nginx", "1.0.0", "", NULL},
	    {"my-registry.com/library/scratch:latest", "my-registry.com", "library/scratch",
	     "latest", "", NULL},
	    {"my-block:1.2.3", "", "my-block", "1.2.3", "", NULL},
	    /* the tricky ones */
	    {"localhost/x", "localhost", "x", "", "", NULL},
	    {"localhost:5000/x:1", "localhost:5000", "x", "1", "", NULL},
	    {"localhost:5000", "", "localhost", "5000", "", NULL},
	    {"127.0.0.1:5000/a/b:2", "127.0.0.1:5000", "a/b", "2", "", NULL},
	    {"[::1]:5000/x", "[::1]:5000", "x", "", "", NULL},
	    {"[::1]/x:y", "[::1]", "x", "y", "", NULL},
	    {"[fe80::1%25]:1/x", NULL, NULL, NULL, NULL, NULL}, /* zone ids: refused */
	    {"Registry.Example.COM/x", "Registry.Example.COM", "x", "", "", NULL},
	    {"my-reg.com:443/a", "my-reg.com:443", "a", "", "", NULL},
	    {"a/b@sha256:" D64, "", "a/b", "", "sha256:" D64, NULL},
	    {"h.io/a:t@sha256:" D64, "h.io", "a", "t", "sha256:" D64, NULL},
	    {"x/a.b__c--d_e/f", "", "x/a.b__c--d_e/f", "", "", NULL},
	    {"a.b/c", "a.b", "c", "", "", NULL},
	    {"x:_T-1.a", "", "x", "_T-1.a", "", NULL},
	    {"example.com", "", "example.com", "", "", NULL},
	    {"docker.io/nginx", "docker.io", "nginx", "", "", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct ok_case *c = &cases[i];
		struct ref r;
		struct err e;
		char out[REF_STR_MAX];
		err_init(&e);
		if (!c->host) {
			T_CHECKF(ref_parse(c->in, &r, &e) == ERR_USAGE, "%s must fail", c->in);
			continue;
		}
		T_CHECKF(ref_parse(c->in, &r, &e) == 0, "%s: %s", c->in, e.msg);
		T_EQ_STR(r.host, c->host);
		T_EQ_STR(r.path, c->path);
		T_EQ_STR(r.tag, c->tag);
		T_EQ_STR(r.digest, c->digest);
		ref_format(&r, out, sizeof out);
		T_EQ_STR(out, c->out ? c->out : c->in);
	}
}

struct bad_case {
	const char *in, *why;
};

static void test_parse_bad(void)
{
	char long_name[400], long_tag[200], edge[300];
	static const struct bad_case cases[] = {
	    {"", "empty reference"},
	    {"Foo/bar", "lowercase"},
	    {"my-registry.com/Team/x", "lowercase"},
	    {"a//b", "empty path component"},
	    {"a/b/", "empty path component"},
	    {"/a", "empty path component"},
	    {"h.io/", "empty repository path"},
	    {"h.io", NULL}, /* fine: a path component with a dot */
	    {"a:", "empty tag"},
	    {"a:-x", "tag must start"},
	    {"a:x/y", "lowercase"}, /* "a:x" is a host, "y" fine, so... see below */
	    {"a:b:c", "invalid character"},
	    {"a@sha256:abc", "sha256:<64"},
	    {"a@md5:" D64, "only sha256"},
	    {"a@sha256:" D64 "0", "sha256:<64"},
	    {"a@SHA256:" D64, "only sha256"},
	    {"a@", "digest"},
	    {"a-/b", "start and end"},
	    {"-a", "start and end"},
	    {"a..b", "start and end"},
	    {"a___b", "start and end"},
	    {"h.io:0/a", "port"},
	    {"h.io:65536/a", "port"},
	    {"h.io:x/a", "port"},
	    {"h..io/a", "host label"},
	    {"-h.io/a", "starts with '-'"},
	    {"h-.io/a", "host label"},
	    {"[::1/x", "without ']'"},
	    {"[zz]:5/x", "IPv6"},
	    {"[::1]x/y", "after IPv6"},
	    {"h_o.io/a", "invalid character in registry host"},
	    {"a b", "invalid character"},
	    {"a/b c", "invalid character"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ref r;
		struct err e;
		int rc;
		err_init(&e);
		rc = ref_parse(cases[i].in, &r, &e);
		if (!cases[i].why) {
			T_CHECKF(rc == 0, "%s: %s", cases[i].in, e.msg);
			continue;
		}
		if (strcmp(cases[i].in, "a:x/y") == 0) {
			/* a host "a:x": a bad port, so still refused */
			T_CHECKF(rc == ERR_USAGE && strstr(e.msg, "port"), "%s: %s", cases[i].in,
			         e.msg);
			continue;
		}
		T_CHECKF(rc == ERR_USAGE, "%s must fail", cases[i].in);
		T_CHECKF(strstr(e.msg, cases[i].why) != NULL, "%s: \"%s\" lacks \"%s\"",
		         cases[i].in, e.msg, cases[i].why);
		T_CHECKF(strncmp(e.msg, "invalid reference \"", 19) == 0, "%s", e.msg);
		T_CHECK(r.path[0] == 0 && r.host[0] == 0);
	}
	/* 255 characters of name are fine, 256 are not, host included */
	memset(edge, 'a', sizeof edge);
	memcpy(edge, "h.io/", 5);
	edge[255] = 0;
	{
		struct ref r;
		struct err e;
		err_init(&e);
		T_CHECKF(ref_parse(edge, &r, &e) == 0, "%s", e.msg);
		T_EQ_INT(strlen(r.path), 250);
		edge[255] = 'a';
		edge[256] = 0;
		err_init(&e);
		T_EQ_INT(ref_parse(edge, &r, &e), ERR_USAGE);
		T_CHECK(strstr(e.msg, "longer than 255") != NULL);
		memset(long_name, 'a', sizeof long_name);
		long_name[sizeof long_name - 1] = 0;
		err_init(&e);
		T_EQ_INT(ref_parse(long_name, &r, &e), ERR_USAGE);
		memset(long_tag, 'v', sizeof long_tag);
		memcpy(long_tag, "x:", 2);
		long_tag[2 + 128] = 0;
		err_init(&e);
		T_CHECKF(ref_parse(long_tag, &r, &e) == 0, "%s", e.msg);
		long_tag[2 + 128] = 'v';
		long_tag[2 + 129] = 0;
		err_init(&e);
		T_EQ_INT(ref_parse(long_tag, &r, &e), ERR_USAGE);
		T_CHECK(strstr(e.msg, "tag longer") != NULL);
		/* a huge input is refused without reading it all */
		static char huge[5000];
		memset(huge, 'a', sizeof huge - 1);
		err_init(&e);
		T_EQ_INT(ref_parse(huge, &r, &e), ERR_USAGE);
		T_EQ_INT(ref_parse(NULL, &r, NULL), ERR_USAGE);
	}
}

static void test_docker_hub(void)
{
	struct ref r;
	char p[REF_STR_MAX];
	T_EQ_INT(ref_parse("docker.io/nginx:1", &r, NULL), 0);
	T_EQ_STR(ref_api_host(&r), "registry-1.docker.io");
	ref_api_path(&r, p, sizeof p);
	T_EQ_STR(p, "library/nginx");
	T_EQ_STR(ref_install_path(&r), "nginx");
	ref_match_key(&r, p, sizeof p);
	T_EQ_STR(p, "docker.io/library/nginx");
	T_EQ_INT(ref_parse("index.docker.io/myuser/my-block:1.0.0", &r, NULL), 0);
	T_EQ_STR(ref_api_host(&r), "registry-1.docker.io");
	ref_api_path(&r, p, sizeof p);
	T_EQ_STR(p, "myuser/my-block");
	ref_match_key(&r, p, sizeof p);
	T_EQ_STR(p, "docker.io/myuser/my-block");
	/* library/ only for Docker Hub */
	T_EQ_INT(ref_parse("ghcr.io/nginx", &r, NULL), 0);
	ref_api_path(&r, p, sizeof p);
	T_EQ_STR(p, "nginx");
	T_EQ_STR(ref_api_host(&r), "ghcr.io");
	T_EQ_INT(ref_parse("cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0", &r, NULL), 0);
	T_EQ_STR(ref_install_path(&r), "ayedo/k8s/nginx");
	T_EQ_INT(ref_parse("My.Host:443/a", &r, NULL), 0);
	ref_match_key(&r, p, sizeof p);
	T_EQ_STR(p, "my.host/a");
}

struct reg_case {
	const char *flag, *env, *ws, *user, *host;
	int insecure;
	const char *err;
};

static void test_registry_precedence(void)
{
	static const struct reg_case cases[] = {
	    {NULL, NULL, NULL, NULL, "cargo.ayedo.cloud", 0, NULL},
	    {"", "", "", "", "cargo.ayedo.cloud", 0, NULL},
	    {NULL, NULL, NULL, "user.io", "user.io", 0, NULL},
	    {NULL, NULL, "ws.io", "user.io", "ws.io", 0, NULL},
	    {NULL, "env.io", "ws.io", "user.io", "env.io", 0, NULL},
	    {"flag.io", "env.io", "ws.io", "user.io", "flag.io", 0, NULL},
	    {"https://flag.io/", NULL, NULL, NULL, "flag.io", 0, NULL},
	    {"http://localhost:5000", NULL, NULL, NULL, "localhost:5000", 1, NULL},
	    {"HTTP://[::1]:5000", NULL, NULL, NULL, "[::1]:5000", 1, NULL},
	    {"my-registry.com", NULL, NULL, NULL, "my-registry.com", 0, NULL},
	    {"flag.io/team", NULL, NULL, NULL, NULL, 0, "--registry-url"},
	    {NULL, "bad host!", NULL, NULL, NULL, 0, "POLYCRATE_REGISTRY_URL"},
	    {NULL, NULL, "a:99999", NULL, NULL, 0, "workspace.poly"},
	    {NULL, NULL, NULL, "ftp://x", NULL, 0, "polycrate.yml"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct reg_case *c = &cases[i];
		struct ref_registry_sources s = {c->flag, c->env, c->ws, c->user};
		struct ref_registry reg;
		struct err e;
		err_init(&e);
		int rc = ref_registry_choose(&s, &reg, &e);
		if (c->err) {
			T_CHECKF(rc == ERR_USAGE && strstr(e.msg, c->err), "case %zu: %s", i,
			         e.msg);
			continue;
		}
		T_CHECKF(rc == 0, "case %zu: %s", i, e.msg);
		T_EQ_STR(reg.host, c->host);
		T_EQ_INT(reg.insecure, c->insecure);
	}
	/* a registry in the reference wins over all */
	struct ref r;
	struct ref_registry_sources s = {"flag.io", NULL, NULL, NULL};
	int insecure = 7;
	T_EQ_INT(ref_parse("my-registry.com/team/my-block:1.0.0", &r, NULL), 0);
	T_EQ_INT(ref_resolve(&r, &s, &insecure, NULL), 0);
	T_EQ_STR(r.host, "my-registry.com");
	T_EQ_INT(insecure, 0);
	T_EQ_INT(ref_parse("my-block", &r, NULL), 0);
	T_EQ_INT(ref_resolve(&r, &s, &insecure, NULL), 0);
	T_EQ_STR(r.host, "flag.io");
	T_EQ_INT(ref_parse("postgres-base:1.2.0", &r, NULL), 0);
	T_EQ_INT(ref_resolve(&r, NULL, NULL, NULL), 0);
	T_EQ_STR(r.host, "cargo.ayedo.cloud");
	T_EQ_STR(r.tag, "1.2.0");
}

struct rw_case {
	const char *in, *out, *user, *scope;
	int matched;
};

static void run_rw(const struct ref_proxy_config *c, const struct rw_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ref in, out;
		struct ref_creds cr;
		struct err e;
		char s[REF_STR_MAX];
		err_init(&e);
		T_CHECKF(ref_parse(cases[i].in, &in, &e) == 0, "%s: %s", cases[i].in, e.msg);
		T_EQ_INT(ref_resolve(&in, NULL, NULL, &e), 0);
		int rc = ref_rewrite(c, &in, &out, &cr, &e);
		T_CHECKF(rc == cases[i].matched, "%s: rc %d %s", cases[i].in, rc, e.msg);
		ref_format(&out, s, sizeof s);
		T_EQ_STR(s, cases[i].out);
		if (cases[i].user) {
			T_EQ_STR(cr.username, cases[i].user);
			T_EQ_STR(cr.scope, cases[i].scope);
		} else {
			T_CHECKF(cr.username == NULL, "%s: creds %s", cases[i].in, cr.username);
		}
		/* the install path never changes with a rewrite */
		T_EQ_STR(ref_install_path(&in), in.path);
	}
}

static void test_proxy_seed(void)
{
	/* the documentation's first example */
	static const struct ref_proxy seed1[] = {
	    {"cargo.ayedo.cloud/ayedo", "registry.enterprise.com/cargo-proxy/ayedo", "proxy-user",
	     "pw1"},
	    {"hub.polycrate.io", "registry.enterprise.com/polyhub-mirror", NULL, NULL},
	    {"ghcr.io/company", "registry.enterprise.com/github-mirror/company", NULL, NULL},
	};
	struct ref_proxy_config c1 = {seed1, 3, "registry.enterprise.com", "ruser", "rpass"};
	static const struct rw_case cases1[] = {
	    {"cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0",
	     "registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx:1.0.0", "proxy-user",
	     "registry.enterprise.com/cargo-proxy", 1},
	    {"ayedo/k8s/nginx", "registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx", "proxy-user",
	     "registry.enterprise.com/cargo-proxy", 1},
	    {"hub.polycrate.io/ayedo/postgres-base:1.0.0",
	     "registry.enterprise.com/polyhub-mirror/ayedo/postgres-base:1.0.0", "ruser",
	     "registry.enterprise.com", 1},
	    {"ghcr.io/company/x", "registry.enterprise.com/github-mirror/company/x", "ruser",
	     "registry.enterprise.com", 1},
	    {"ghcr.io/companyx/y", "ghcr.io/companyx/y", NULL, NULL, 0},
	    {"cargo.ayedo.cloud/ayedox/y:1", "cargo.ayedo.cloud/ayedox/y:1", NULL, NULL, 0},
	    {"CARGO.ayedo.cloud:443/ayedo/a@sha256:" D64,
	     "registry.enterprise.com/cargo-proxy/ayedo/a@sha256:" D64, "proxy-user",
	     "registry.enterprise.com/cargo-proxy", 1},
	    {"registry.enterprise.com/own/x", "registry.enterprise.com/own/x", "ruser",
	     "registry.enterprise.com", 0},
	    {"other.io/x", "other.io/x", NULL, NULL, 0},
	};
	run_rw(&c1, cases1, sizeof cases1 / sizeof cases1[0]);

	/* several patterns, specific first */
	static const struct ref_proxy seed2[] = {
	    {"cargo.ayedo.cloud/ayedo/k8s", "registry.enterprise.com/kubernetes-blocks", NULL,
	     NULL},
	    {"cargo.ayedo.cloud/ayedo", "registry.enterprise.com/ayedo-mirror", NULL, NULL},
	    {"docker.io/library", "registry.enterprise.com/dockerhub-library", NULL, NULL},
	};
	struct ref_proxy_config c2 = {seed2, 3, NULL, NULL, NULL};
	static const struct rw_case cases2[] = {
	    {"cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0",
	     "registry.enterprise.com/kubernetes-blocks/nginx:1.0.0", NULL, NULL, 1},
	    {"cargo.ayedo.cloud/ayedo/k8s", "registry.enterprise.com/kubernetes-blocks", NULL, NULL,
	     1},
	    {"cargo.ayedo.cloud/ayedo/db/pg", "registry.enterprise.com/ayedo-mirror/db/pg", NULL,
	     NULL, 1},
	    {"cargo.ayedo.cloud/ayedo/k8sx", "registry.enterprise.com/ayedo-mirror/k8sx", NULL,
	     NULL, 1},
	    {"docker.io/nginx:1", "registry.enterprise.com/dockerhub-library/nginx:1", NULL, NULL,
	     1},
	    {"index.docker.io/library/alpine", "registry.enterprise.com/dockerhub-library/alpine",
	     NULL, NULL, 1},
	    {"docker.io/someuser/tool", "docker.io/someuser/tool", NULL, NULL, 0},
	};
	run_rw(&c2, cases2, sizeof cases2 / sizeof cases2[0]);
	for (size_t j = 0; j < 3; j++)
		T_EQ_INT(ref_proxy_shadowed(&c2, j, NULL), 0);

	/* Harbor: a whole registry into a proxy-cache project */
	static const struct ref_proxy harbor[] = {
	    {"cargo.ayedo.cloud", "harbor.company.com/proxy-cache", "proxy-bot", "hpw"},
	};
	struct ref_proxy_config c3 = {harbor, 1, "harbor.company.com", "admin", "apw"};
	static const struct rw_case cases3[] = {
	    {"cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0",
	     "harbor.company.com/proxy-cache/ayedo/k8s/nginx:1.0.0", "proxy-bot",
	     "harbor.company.com/proxy-cache", 1},
	    {"my-block:1.0.0", "harbor.company.com/proxy-cache/my-block:1.0.0", "proxy-bot",
	     "harbor.company.com/proxy-cache", 1},
	    {"harbor.company.com/team/x", "harbor.company.com/team/x", "admin",
	     "harbor.company.com", 0},
	    {"cargo.ayedo.cloud.evil.io/x", "cargo.ayedo.cloud.evil.io/x", NULL, NULL, 0},
	};
	run_rw(&c3, cases3, sizeof cases3 / sizeof cases3[0]);
}

static void test_proxy_rules(void)
{
	/* generic before specific: the specific one never matches */
	static const struct ref_proxy sh[] = {
	    {"cargo.ayedo.cloud/ayedo", "a.io/m", NULL, NULL},
	    {"cargo.ayedo.cloud/ayedo/k8s", "b.io/k", NULL, NULL},
	    {"cargo.ayedo.cloud/ayedox", "c.io/x", NULL, NULL},
	    {"CARGO.ayedo.cloud:443/ayedo/", "d.io/y", NULL, NULL},
	    {"ghcr.io", "e.io/g", NULL, NULL},
	};
	struct ref_proxy_config c = {sh, 5, NULL, NULL, NULL};
	size_t by = 99;
	T_EQ_INT(ref_proxy_shadowed(&c, 0, &by), 0);
	T_EQ_INT(ref_proxy_shadowed(&c, 1, &by), 1);
	T_EQ_INT(by, 0);
	T_EQ_INT(ref_proxy_shadowed(&c, 2, &by), 0);
	T_EQ_INT(ref_proxy_shadowed(&c, 3, &by), 1);
	T_EQ_INT(by, 0);
	T_EQ_INT(ref_proxy_shadowed(&c, 4, &by), 0);
	T_EQ_INT(ref_proxy_shadowed(&c, 9, &by), 0);

	/* not matched again: a -> b and b -> c does not chain */
	static const struct ref_proxy chain[] = {
	    {"a.io/x", "b.io/x", NULL, NULL},
	    {"b.io/x", "c.io/x", NULL, NULL},
	};
	struct ref_proxy_config cc = {chain, 2, NULL, NULL, NULL};
	static const struct rw_case cases[] = {
	    {"a.io/x/y:1", "b.io/x/y:1", NULL, NULL, 1},
	    {"b.io/x/y", "c.io/x/y", NULL, NULL, 1},
	};
	run_rw(&cc, cases, 2);
	run_rw(NULL, (const struct rw_case[]){{"a.io/q", "a.io/q", NULL, NULL, 0}}, 1);

	/* rule checks */
	struct {
		struct ref_proxy p;
		const char *err;
	} checks[] = {
	    {{"cargo.ayedo.cloud/ayedo", "registry.enterprise.com/x", NULL, NULL}, NULL},
	    {{"https://cargo.ayedo.cloud/", "reg.io", NULL, NULL}, NULL},
	    {{"", "reg.io/x", NULL, NULL}, "from"},
	    {{NULL, "reg.io/x", NULL, NULL}, "from"},
	    {{"a.io", "", NULL, NULL}, "to"},
	    {{"a.io/Upper", "reg.io/x", NULL, NULL}, "lowercase"},
	    {{"a.io//x", "reg.io/x", NULL, NULL}, "empty"},
	    {{"a.io", "bad host/x", NULL, NULL}, "to"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		struct err e;
		err_init(&e);
		int rc = ref_proxy_check(&checks[i].p, &e);
		if (!checks[i].err)
			T_CHECKF(rc == 0, "check %zu: %s", i, e.msg);
		else
			T_CHECKF(rc == ERR_USAGE && strstr(e.msg, checks[i].err), "check %zu: %s",
			         i, e.msg);
	}

	/* a rewrite to a bare host with nothing left, or to something too long */
	static const struct ref_proxy bare[] = {{"a.io/x", "b.io", NULL, NULL}};
	struct ref_proxy_config cb = {bare, 1, NULL, NULL, NULL};
	struct ref in, out;
	struct err e;
	err_init(&e);
	T_EQ_INT(ref_parse("a.io/x", &in, NULL), 0);
	T_EQ_INT(ref_rewrite(&cb, &in, &out, NULL, &e), ERR_USAGE);
	T_CHECK(strstr(e.msg, "no repository path") != NULL);
	T_EQ_INT(ref_parse("a.io/x/y", &in, NULL), 0);
	T_EQ_INT(ref_rewrite(&cb, &in, &out, NULL, NULL), 1);
	T_EQ_STR(out.host, "b.io");
	T_EQ_STR(out.path, "y");
	static char longto[300];
	memset(longto, 'a', sizeof longto - 1);
	memcpy(longto, "b.io/", 5);
	struct ref_proxy lp[] = {{"a.io", longto, NULL, NULL}};
	struct ref_proxy_config cl = {lp, 1, NULL, NULL, NULL};
	err_init(&e);
	T_EQ_INT(ref_rewrite(&cl, &in, &out, NULL, &e), ERR_USAGE);
	T_CHECK(strstr(e.msg, "registry proxy rule") != NULL);
}

/* The seed's troubleshooting lines, exactly, and no secret in them. */
static void test_proxy_log(void)
{
	static const struct ref_proxy seed1[] = {
	    {"cargo.ayedo.cloud/ayedo", "registry.enterprise.com/cargo-proxy/ayedo", "proxy-user",
	     "s3cret-proxy"},
	};
	struct ref_proxy_config c = {seed1, 1, "registry.enterprise.com", "ruser", "s3cret-reg"};
	struct ref in, out;
	struct ref_creds cr;
	const char *text;
	int level = log_level;
	T_CHECK(t_stderr_begin() == 0);
	log_level = 2;
	T_EQ_INT(ref_parse("ayedo/k8s/nginx", &in, NULL), 0);
	T_EQ_INT(ref_resolve(&in, NULL, NULL, NULL), 0);
	T_EQ_INT(ref_rewrite(&c, &in, &out, &cr, NULL), 1);
	T_EQ_INT(ref_parse("registry.enterprise.com/x", &in, NULL), 0);
	T_EQ_INT(ref_rewrite(&c, &in, &out, &cr, NULL), 0);
	log_level = 1;
	T_EQ_INT(ref_parse("cargo.ayedo.cloud/ayedo/quiet", &in, NULL), 0);
	T_EQ_INT(ref_rewrite(&c, &in, &out, &cr, NULL), 1);
	text = t_stderr_end();
	log_level = level;
	T_EQ_STR(text, "INFO: Registry proxy match found: cargo.ayedo.cloud/ayedo/k8s/nginx -> "
	               "registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx\n"
	               "DEBUG: Using proxy credentials for registry: "
	               "registry.enterprise.com/cargo-proxy\n"
	               "DEBUG: Using registry credentials for registry: registry.enterprise.com\n");
	T_CHECK(strstr(text, "s3cret") == NULL);
	T_EQ_STR(cr.password, "s3cret-proxy");
}

T_MAIN(test_parse_ok, test_parse_bad, test_docker_hub, test_registry_precedence, test_proxy_seed,
       test_proxy_rules, test_proxy_log)
