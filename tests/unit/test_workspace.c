/* test_workspace.c - workspace.poly: the seed's examples, schema errors, ${VAR}, proxies */
#include "t.h"

#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "ref.h"
#include "workspace.h"

static int load(const char *text, struct workspace *ws, struct err *e)
{
	err_init(e);
	return workspace_load_mem("workspace.poly", text, strlen(text), ws, e);
}

static const char seed_config[] = "name: my-workspace\n"
                                  "\n"
                                  "config:\n"
                                  "  registry:\n"
                                  "    url: my-registry.com\n"
                                  "    base_image: my-registry.com/library/scratch:latest\n";

static const char seed_proxy[] =
    "name: my-workspace\n"
    "\n"
    "registry:\n"
    "  endpoint: registry.enterprise.com\n"
    "  username: ${REGISTRY_USERNAME}\n"
    "  password: ${REGISTRY_PASSWORD}\n"
    "  proxy:\n"
    "    # Pattern-basierte Registry-Rewrites\n"
    "    - from: cargo.ayedo.cloud/ayedo\n"
    "      to: registry.enterprise.com/cargo-proxy/ayedo\n"
    "      username: proxy-user\n"
    "      password: ${PROXY_PASSWORD}\n"
    "\n"
    "    - from: hub.polycrate.io\n"
    "      to: registry.enterprise.com/polyhub-mirror\n"
    "\n"
    "    - from: ghcr.io/company\n"
    "      to: registry.enterprise.com/github-mirror/company\n"
    "\n"
    "blocks:\n"
    "  # Diese Referenz wird automatisch umgeschrieben\n"
    "  - name: k8s-nginx\n"
    "    from: cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0\n"
    "    # → wird zu: registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx:1.0.0\n";

static const char seed_patterns[] = "registry:\n"
                                    "  proxy:\n"
                                    "    # Spezifische Namespace-Proxies (werden zuerst geprüft)\n"
                                    "    - from: cargo.ayedo.cloud/ayedo/k8s\n"
                                    "      to: registry.enterprise.com/kubernetes-blocks\n"
                                    "\n"
                                    "    # Catch-all für restliche ayedo-Blocks\n"
                                    "    - from: cargo.ayedo.cloud/ayedo\n"
                                    "      to: registry.enterprise.com/ayedo-mirror\n"
                                    "\n"
                                    "    # Andere Registries\n"
                                    "    - from: docker.io/library\n"
                                    "      to: registry.enterprise.com/dockerhub-library\n";

static const char seed_harbor[] = "# Harbor Proxy-Setup\n"
                                  "registry:\n"
                                  "  endpoint: harbor.company.com\n"
                                  "  username: admin\n"
                                  "  password: ${HARBOR_PASSWORD}\n"
                                  "  proxy:\n"
                                  "    - from: cargo.ayedo.cloud\n"
                                  "      to: harbor.company.com/proxy-cache\n"
                                  "      username: proxy-bot\n"
                                  "      password: ${HARBOR_PROXY_PASSWORD}\n";

static const char seed_multi[] = "# workspace.poly mit mehreren Registries\n"
                                 "name: my-workspace\n"
                                 "\n"
                                 "blocks:\n"
                                 "  # Von öffentlichem Hub\n"
                                 "  - name: postgres-base\n"
                                 "    from: hub.polycrate.io/ayedo/postgres-base:1.0.0\n"
                                 "\n"
                                 "  # Von privater Company Registry\n"
                                 "  - name: company-base\n"
                                 "    from: registry.mycompany.com/infra/base:2.0.0\n"
                                 "\n"
                                 "  # Von Docker Hub\n"
                                 "  - name: some-tool\n"
                                 "    from: index.docker.io/someuser/tool:1.0.0\n";

static void test_seed_config(void)
{
	struct workspace ws;
	struct err e;
	T_CHECKF(load(seed_config, &ws, &e) == 0, "%s", e.msg);
	T_EQ_STR(ws.name, "my-workspace");
	T_EQ_STR(ws.registry_url, "my-registry.com");
	T_EQ_STR(ws.base_image, "my-registry.com/library/scratch:latest");
	T_EQ_STR(ws.blocksroot, "blocks");
	T_EQ_STR(ws.artifactsroot, "artifacts");
	T_EQ_INT(ws.nproxy, 0);
	T_EQ_INT(ws.present, 1);
	/* the workspace's url is the default registry unless a flag or env says otherwise */
	struct ref w, u;
	struct ref_creds cr;
	T_EQ_INT(workspace_resolve_ref(&ws, "my-block", NULL, NULL, NULL, &w, &u, &cr, NULL, &e),
	         0);
	T_EQ_STR(u.host, "my-registry.com");
	T_EQ_INT(
	    workspace_resolve_ref(&ws, "my-block", NULL, "env.io", NULL, &w, &u, &cr, NULL, &e), 0);
	T_EQ_STR(u.host, "env.io");
	T_EQ_INT(workspace_resolve_ref(&ws, "my-block", "flag.io", "env.io", NULL, &w, &u, &cr,
	                               NULL, &e),
	         0);
	T_EQ_STR(u.host, "flag.io");
	workspace_free(&ws);
	T_EQ_INT(load("", &ws, &e), 0);
	T_CHECK(ws.name == NULL);
	T_EQ_STR(ws.blocksroot, "blocks");
	workspace_free(&ws);
	T_EQ_INT(load("config:\n  blocksroot: my/blocks\n  artifactsroot: out\n", &ws, &e), 0);
	T_EQ_STR(ws.blocksroot, "my/blocks");
	T_EQ_STR(ws.artifactsroot, "out");
	workspace_free(&ws);
}

static void test_seed_proxy(void)
{
	struct workspace ws;
	struct err e;
	struct ref w, u;
	struct ref_creds cr;
	char s[REF_STR_MAX];
	setenv("REGISTRY_USERNAME", "ruser", 1);
	setenv("REGISTRY_PASSWORD", "rpass", 1);
	setenv("PROXY_PASSWORD", "ppass", 1);
	T_CHECKF(load(seed_proxy, &ws, &e) == 0, "%s", e.msg);
	T_EQ_STR(ws.endpoint, "registry.enterprise.com");
	T_EQ_STR(ws.username, "ruser");
	T_EQ_STR(ws.password, "rpass");
	T_EQ_INT(ws.nproxy, 3);
	T_EQ_STR(ws.proxy[0].password, "ppass");
	T_EQ_INT(ws.proxy[1].line, 14);
	T_EQ_INT(ws.nws_blocks, 1);
	T_EQ_STR(ws.ws_blocks[0].name, "k8s-nginx");
	T_EQ_STR(ws.ws_blocks[0].from, "cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0");
	/* the block's from: is rewritten as the comment says */
	T_EQ_INT(workspace_resolve_ref(&ws, ws.ws_blocks[0].from, NULL, NULL, NULL, &w, &u, &cr,
	                               NULL, &e),
	         0);
	ref_format(&u, s, sizeof s);
	T_EQ_STR(s, "registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx:1.0.0");
	T_EQ_STR(ref_install_path(&w), "ayedo/k8s/nginx");
	T_EQ_STR(cr.username, "proxy-user");
	T_EQ_STR(cr.password, "ppass");
	/* the troubleshooting example: no registry in the reference */
	t_stderr_begin();
	int level = log_level;
	log_level = 2;
	T_EQ_INT(
	    workspace_resolve_ref(&ws, "ayedo/k8s/nginx", NULL, NULL, NULL, &w, &u, &cr, NULL, &e),
	    0);
	log_level = level;
	const char *out = t_stderr_end();
	T_EQ_STR(out, "INFO: Registry proxy match found: cargo.ayedo.cloud/ayedo/k8s/nginx -> "
	              "registry.enterprise.com/cargo-proxy/ayedo/k8s/nginx\n"
	              "DEBUG: Using proxy credentials for registry: "
	              "registry.enterprise.com/cargo-proxy\n");
	T_EQ_INT(workspace_resolve_ref(&ws, "hub.polycrate.io/ayedo/postgres-base:1.0.0", NULL,
	                               NULL, NULL, &w, &u, &cr, NULL, &e),
	         0);
	ref_format(&u, s, sizeof s);
	T_EQ_STR(s, "registry.enterprise.com/polyhub-mirror/ayedo/postgres-base:1.0.0");
	T_EQ_STR(cr.username, "ruser"); /* the endpoint's credentials */
	T_EQ_STR(ref_install_path(&w), "ayedo/postgres-base");
	/* the snapshot keeps ${VAR} as written: no secret from the environment */
	struct buf snap;
	buf_init(&snap, 0);
	T_EQ_INT(workspace_snapshot(&ws, &ws.ws_blocks[0], NULL, &snap, &e), 0);
	T_CHECK(strstr(buf_cstr(&snap), "${PROXY_PASSWORD}") != NULL);
	T_CHECK(strstr(buf_cstr(&snap), "ppass") == NULL);
	T_CHECK(strstr(buf_cstr(&snap), "rpass") == NULL);
	T_CHECK(strstr(buf_cstr(&snap), "block:\n  name: k8s-nginx\n") != NULL);
	buf_free(&snap);
	workspace_free(&ws);
}

static void test_seed_patterns(void)
{
	struct workspace ws;
	struct err e;
	struct ref w, u;
	struct ref_creds cr;
	char s[REF_STR_MAX];
	static const char *const in[] = {
	    "cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0", "cargo.ayedo.cloud/ayedo/db/pg:2",
	    "docker.io/library/alpine:3", "docker.io/nginx", "ghcr.io/x/y"};
	static const char *const want[] = {"registry.enterprise.com/kubernetes-blocks/nginx:1.0.0",
	                                   "registry.enterprise.com/ayedo-mirror/db/pg:2",
	                                   "registry.enterprise.com/dockerhub-library/alpine:3",
	                                   "registry.enterprise.com/dockerhub-library/nginx",
	                                   "ghcr.io/x/y"};
	t_stderr_begin();
	int rc = load(seed_patterns, &ws, &e);
	T_EQ_STR(t_stderr_end(), ""); /* specific first: nothing shadowed */
	T_CHECKF(rc == 0, "%s", e.msg);
	for (size_t i = 0; i < 5; i++) {
		T_EQ_INT(workspace_resolve_ref(&ws, in[i], NULL, NULL, NULL, &w, &u, &cr, NULL, &e),
		         0);
		ref_format(&u, s, sizeof s);
		T_EQ_STR(s, want[i]);
		T_CHECK(cr.username == NULL);
	}
	workspace_free(&ws);

	setenv("HARBOR_PASSWORD", "hp", 1);
	setenv("HARBOR_PROXY_PASSWORD", "hpp", 1);
	T_CHECKF(load(seed_harbor, &ws, &e) == 0, "%s", e.msg);
	T_EQ_INT(workspace_resolve_ref(&ws, "postgres-base:1.2.0", NULL, NULL, NULL, &w, &u, &cr,
	                               NULL, &e),
	         0);
	ref_format(&u, s, sizeof s);
	T_EQ_STR(s, "harbor.company.com/proxy-cache/postgres-base:1.2.0");
	T_EQ_STR(cr.username, "proxy-bot");
	T_EQ_STR(cr.password, "hpp");
	T_EQ_STR(ref_install_path(&w), "postgres-base");
	T_EQ_INT(workspace_resolve_ref(&ws, "harbor.company.com/team/x", NULL, NULL, NULL, &w, &u,
	                               &cr, NULL, &e),
	         0);
	T_EQ_STR(cr.username, "admin");
	T_EQ_STR(cr.password, "hp");
	workspace_free(&ws);

	T_CHECKF(load(seed_multi, &ws, &e) == 0, "%s", e.msg);
	T_EQ_INT(ws.nws_blocks, 3);
	T_EQ_STR(ws.ws_blocks[2].from, "index.docker.io/someuser/tool:1.0.0");
	workspace_free(&ws);
}

static void test_shadowed(void)
{
	struct workspace ws;
	struct err e;
	const char *text = "registry:\n"
	                   "  proxy:\n"
	                   "    - from: cargo.ayedo.cloud/ayedo\n"
	                   "      to: registry.enterprise.com/ayedo-mirror\n"
	                   "    - from: cargo.ayedo.cloud/ayedo/k8s\n"
	                   "      to: registry.enterprise.com/kubernetes-blocks\n"
	                   "    - from: cargo.ayedo.cloud/ayedox\n"
	                   "      to: registry.enterprise.com/x\n";
	t_stderr_begin();
	int rc = load(text, &ws, &e);
	const char *out = t_stderr_end();
	T_EQ_INT(rc, 0);
	T_CHECKF(strstr(out,
	                "Warning: workspace.poly:5:7: registry.proxy[1] (from "
	                "cargo.ayedo.cloud/ayedo/k8s) never matches: registry.proxy[0]") != NULL,
	         "%s", out);
	T_CHECK(strstr(out, "registry.proxy[2]") == NULL);
	workspace_free(&ws);
}

struct env_case {
	const char *text, *err;
};

static void test_env(void)
{
	struct workspace ws;
	struct err e;
	setenv("PC_T_USER", "alice", 1);
	setenv("PC_T_EMPTY", "", 1);
	unsetenv("PC_T_UNSET");
	T_CHECKF(load("registry:\n  username: pre-${PC_T_USER}-${PC_T_USER}\n"
	              "  password: $PC_T_USER\n"
	              "blocks:\n  - name: b\n    actions:\n      - name: a\n"
	              "        script:\n          - echo ${PC_T_USER}\n",
	              &ws, &e) == 0,
	         "%s", e.msg);
	T_EQ_STR(ws.username, "pre-alice-alice");
	T_EQ_STR(ws.password, "$PC_T_USER"); /* only ${VAR} is expanded */
	T_EQ_STR(ws.ws_blocks[0].actions[0].script[0], "echo ${PC_T_USER}");
	workspace_free(&ws);
	static const struct env_case cases[] = {
	    {"registry:\n  password: ${PC_T_UNSET}\n",
	     "workspace.poly:2:13: registry.password: environment variable PC_T_UNSET is not "
	     "set"},
	    {"registry:\n  password: ${PC_T_EMPTY}\n",
	     "workspace.poly:2:13: registry.password: environment variable PC_T_EMPTY is "
	     "empty"},
	    {"registry:\n  proxy:\n    - from: a.io\n      to: b.io/x\n"
	     "      password: ${PC_T_UNSET}\n      username: u\n",
	     "registry.proxy[0].password: environment variable PC_T_UNSET is not set"},
	    {"registry:\n  username: ${PC_T_USER\n", "unterminated ${"},
	    {"registry:\n  username: ${}\n", "bad variable name"},
	    {"registry:\n  username: ${1X}\n", "bad variable name"},
	    {"registry:\n  username: ${A-B}\n", "bad variable name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = load(cases[i].text, &ws, &e);
		T_CHECKF(rc == ERR_USAGE && strstr(e.msg, cases[i].err), "case %zu: %s", i, e.msg);
		workspace_free(&ws);
	}
	T_EQ_INT(load("registry:\n  password: ${PC_T_UNSET}\n", &ws, &e), ERR_USAGE);
	T_CHECK(strstr(e.hint, "export PC_T_UNSET") != NULL);
	/* a value growing past the limit */
	static char big[WORKSPACE_VALUE_MAX + 10];
	memset(big, 'x', sizeof big - 1);
	setenv("PC_T_BIG", big, 1);
	T_EQ_INT(load("registry:\n  password: ${PC_T_BIG}\n", &ws, &e), ERR_USAGE);
	T_CHECK(strstr(e.msg, "longer than") != NULL);
	unsetenv("PC_T_BIG");
}

struct schema_case {
	const char *text, *err;
};

static void test_schema_errors(void)
{
	static const struct schema_case cases[] = {
	    {"- a\n- b\n", "workspace.poly:1:1: workspace: expected a mapping, found a sequence"},
	    {"name: [x]\n", "workspace.poly:1:7: name: expected a string, found a sequence"},
	    {"config: 3\n", "workspace.poly:1:9: config: expected a mapping, found a scalar"},
	    {"config:\n  registry:\n    url: ftp://x/y\n",
	     "workspace.poly:3:10: config.registry.url: invalid registry URL"},
	    {"config:\n  blocksroot: ../x\n", "config.blocksroot: must stay inside"},
	    {"config:\n  blocksroot: /abs\n", "config.blocksroot: must be a relative folder"},
	    {"registry:\n  endpoint: a b\n", "registry.endpoint: invalid registry URL"},
	    {"registry:\n  proxy: {from: a}\n",
	     "workspace.poly:2:10: registry.proxy: expected a list"},
	    {"registry:\n  proxy:\n    - from: a.io\n",
	     "workspace.poly:3:7: registry.proxy[0]: registry proxy to \"\": is empty"},
	    {"registry:\n  proxy:\n    - from: A.io/Bad\n      to: b.io\n",
	     "registry.proxy[0]: registry proxy from \"A.io/Bad\": path components must be "
	     "lowercase"},
	    {"registry:\n  proxy:\n    - from: a.io\n      to: b.io\n      password: p\n",
	     "password without username"},
	    {"registry:\n  proxy:\n    - x\n", "registry.proxy[0]: expected a mapping"},
	    {"blocks:\n  - from: x\n", "workspace.poly:2:5: blocks[0].name: is required"},
	    {"blocks:\n  - name: ''\n", "blocks[0].name: must not be empty"},
	    {"blocks:\n  - name: a\n    from: Bad/Ref\n",
	     "workspace.poly:3:11: blocks[0].from: invalid reference \"Bad/Ref\""},
	    {"blocks:\n  - name: a\n    config: [1]\n", "blocks[0].config: expected a mapping"},
	    {"workflows:\n  - name: w\n    steps:\n      - name: s\n        block: b\n",
	     "workspace.poly:4:9: workflows[0].steps[0].action: is required"},
	    {"workflows:\n  - name: w\n  - name: w\n", "a second workflow named 'w'"},
	    {"dependencies:\n  - ok/ref:1\n  - Bad\n",
	     "workspace.poly:3:5: dependencies: invalid reference \"Bad\""},
	    {"dependencies:\n  - [x]\n", "dependencies: entry 1: expected a string"},
	    {"name: a\nname: b\n", "workspace.poly:2:1: duplicate key \"name\""},
	    {"name: 'x\n", "workspace.poly:"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct workspace ws;
		struct err e;
		int rc = load(cases[i].text, &ws, &e);
		T_CHECKF(rc == ERR_USAGE && strstr(e.msg, cases[i].err), "case %zu: rc %d \"%s\"",
		         i, rc, e.msg);
		T_CHECK(ws.name == NULL && ws.file == NULL);
		workspace_free(&ws);
	}
	/* too many proxy rules */
	{
		struct buf many;
		struct workspace w2;
		struct err e2;
		buf_init(&many, 0);
		buf_puts(&many, "registry:\n  proxy:\n");
		for (int i = 0; i <= WORKSPACE_PROXY_MAX; i++)
			buf_printf(&many, "    - {from: a%d.io, to: b.io/x}\n", i);
		err_init(&e2);
		T_EQ_INT(workspace_load_mem("workspace.poly", many.p, many.len, &w2, &e2),
		         ERR_USAGE);
		T_CHECKF(strstr(e2.msg, "workspace.poly:3:5: registry.proxy: more than 256 rules"),
		         "%s", e2.msg);
		buf_free(&many);
	}
	/* unknown keys are warnings, with their position */
	struct workspace ws;
	struct err e;
	t_stderr_begin();
	int rc = load("name: w\nsync: {}\nregistry:\n  mirror: x\n", &ws, &e);
	const char *out = t_stderr_end();
	T_EQ_INT(rc, 0);
	T_CHECKF(strstr(out, "Warning: workspace.poly:2:1: unknown key sync (ignored)") != NULL,
	         "%s", out);
	T_CHECKF(strstr(out, "workspace.poly:4:3: unknown key registry.mirror") != NULL, "%s", out);
	workspace_free(&ws);
}

static void test_workflows_deps(void)
{
	struct workspace ws;
	struct err e;
	const char *text = "name: w\n"
	                   "workflows:\n"
	                   "  - name: deploy-stack\n"
	                   "    steps:\n"
	                   "      - name: db\n"
	                   "        block: postgres-base\n"
	                   "        action: install\n"
	                   "      - name: app\n"
	                   "        block: my-app\n"
	                   "        action: install\n"
	                   "dependencies:\n"
	                   "  - cargo.ayedo.cloud/ayedo/k8s/nginx:1.0.0\n"
	                   "  - postgres-base:1.2.0\n";
	T_CHECKF(load(text, &ws, &e) == 0, "%s", e.msg);
	T_EQ_INT(ws.nworkflows, 1);
	T_EQ_STR(ws.workflows[0].name, "deploy-stack");
	T_EQ_INT(ws.workflows[0].nsteps, 2);
	T_EQ_STR(ws.workflows[0].steps[1].block, "my-app");
	T_EQ_STR(ws.workflows[0].steps[1].action, "install");
	T_EQ_INT(ws.ndependencies, 2);
	T_EQ_STR(ws.dependencies[1], "postgres-base:1.2.0");
	workspace_free(&ws);
}

static void test_load_dir(void)
{
	char dir[] = "/tmp/test_ws_XXXXXX", path[256];
	struct workspace ws;
	struct err e;
	FILE *f;
	T_CHECK(mkdtemp(dir) != NULL);
	err_init(&e);
	/* no workspace.poly: defaults */
	T_EQ_INT(workspace_load(dir, &ws, &e), 0);
	T_EQ_INT(ws.present, 0);
	T_EQ_STR(ws.blocksroot, "blocks");
	T_EQ_INT(e.code, 0);
	workspace_free(&ws);
	snprintf(path, sizeof path, "%s/workspace.poly", dir);
	f = fopen(path, "w");
	fputs("name: x\nconfig:\n  registry: {url: 'a b'}\n", f);
	fclose(f);
	err_init(&e);
	T_EQ_INT(workspace_load(dir, &ws, &e), ERR_USAGE);
	char want[300];
	snprintf(want, sizeof want, "%s:3:19: config.registry.url", path);
	T_CHECKF(strstr(e.msg, want) != NULL, "%s", e.msg);
	workspace_free(&ws);
	unlink(path);
	rmdir(dir);
}

T_MAIN(test_seed_config, test_seed_proxy, test_seed_patterns, test_shadowed, test_env,
       test_schema_errors, test_workflows_deps, test_load_dir)
