/* test_workspace_blocks.c - block.poly, block discovery, lookups, CHANGELOG.poly, HOME */
#include "t.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "workspace.h"

static int load(const char *text, struct workspace_block *b, struct err *e)
{
	err_init(e);
	return workspace_block_load_mem("block.poly", text, strlen(text), b, e);
}

static void put(const char *dir, const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	for (slash = path + strlen(dir) + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_seed_blocks(void)
{
	struct workspace_block b;
	struct err e;
	T_CHECKF(load("name: my-block\nversion: 1.2.3\n", &b, &e) == 0, "%s", e.msg);
	T_EQ_STR(b.name, "my-block");
	T_EQ_STR(b.version, "1.2.3");
	T_EQ_INT(b.nactions, 0);
	workspace_block_free(&b);
	T_CHECKF(load("name: postgres-base\nversion: 1.0.0\nkind: k8sapp\nactions:\n"
	              "  - name: install\n    playbook: playbooks/install.yml\n",
	              &b, &e) == 0,
	         "%s", e.msg);
	T_EQ_STR(b.kind, "k8sapp");
	T_EQ_INT(b.nactions, 1);
	T_EQ_STR(workspace_block_action(&b, "install")->playbook, "playbooks/install.yml");
	T_CHECK(workspace_block_action(&b, "nope") == NULL);
	workspace_block_free(&b);
	T_CHECKF(load("name: my-app\nfrom: postgres-base:1.2.0\n", &b, &e) == 0, "%s", e.msg);
	T_EQ_STR(b.from, "postgres-base:1.2.0");
	workspace_block_free(&b);
	T_CHECKF(load("name: my-app\nfrom: postgres-base:latest\n", &b, &e) == 0, "%s", e.msg);
	workspace_block_free(&b);
	/* version as a bare number is still read as text: 1.0 is kept as written, and warned */
	t_stderr_begin();
	int rc = load("name: x\nversion: 1.0\n", &b, &e);
	const char *out = t_stderr_end();
	T_EQ_INT(rc, 0);
	T_EQ_STR(b.version, "1.0");
	T_CHECKF(strstr(out, "block.poly:2:10: version: invalid version \"1.0\"") != NULL, "%s",
	         out);
	workspace_block_free(&b);
}

static void test_block_full(void)
{
	struct workspace_block b;
	struct err e;
	const char *text = "name: full\n"
	                   "version: 2.0.0-rc.1+b7\n"
	                   "description: A block\n"
	                   "template: yes\n"
	                   "labels:\n"
	                   "  team: infra\n"
	                   "  tier: '1'\n"
	                   "config:\n"
	                   "  defaults: &d\n"
	                   "    replicas: 1\n"
	                   "  app:\n"
	                   "    <<: *d\n"
	                   "    image: nginx\n"
	                   "    ports: [80, 443]\n"
	                   "actions:\n"
	                   "  - name: install\n"
	                   "    description: Installs\n"
	                   "    script:\n"
	                   "      - cd sub\n"
	                   "      - echo ${HOME} \"$PWD\"\n"
	                   "  - name: other\n"
	                   "    playbook: x.yml\n"
	                   "extra: 1\n";
	t_stderr_begin();
	int rc = load(text, &b, &e);
	const char *out = t_stderr_end();
	T_CHECKF(rc == 0, "%s", e.msg);
	T_CHECKF(strstr(out, "Warning: block.poly:23:1: unknown key extra (ignored)") != NULL, "%s",
	         out);
	T_EQ_INT(b.is_template, 1);
	T_EQ_STR(b.description, "A block");
	T_EQ_STR(yaml_str(yaml_map_get(b.labels, "tier")), "1");
	T_EQ_STR(yaml_str(yaml_path_get(b.config, "app.replicas")), "1");
	T_EQ_STR(yaml_str(yaml_path_get(b.config, "app.ports.1")), "443");
	T_EQ_INT(b.nactions, 2);
	T_EQ_INT(b.actions[0].nscript, 2);
	T_EQ_STR(b.actions[0].script[1], "echo ${HOME} \"$PWD\"");
	T_EQ_STR(b.actions[0].description, "Installs");
	T_EQ_INT(b.actions[1].line, 21);
	/* the snapshot: workspace, block and action as loaded */
	struct buf snap;
	struct yaml_doc d;
	buf_init(&snap, 0);
	T_EQ_INT(workspace_snapshot(NULL, &b, &b.actions[0], &snap, &e), 0);
	T_EQ_INT(yaml_load_mem("snap", snap.p, snap.len, &d, &e), 0);
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "block.config.app.image")), "nginx");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "action.script.0")), "cd sub");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "block.labels.tier")), "1");
	T_CHECK(yaml_map_get(d.root, "workspace") != NULL);
	yaml_doc_free(&d);
	buf_free(&snap);
	workspace_block_free(&b);
}

struct bad_case {
	const char *text, *err;
};

static void test_block_errors(void)
{
	static const struct bad_case cases[] = {
	    {"", "block.poly: empty file"},
	    {"version: 1.0.0\n", "block.poly:1:1: name: is required"},
	    {"name:\n", "block.poly:1:6: name: is required"},
	    {"name: [a]\n", "block.poly:1:7: name: expected a string, found a sequence"},
	    {"- name: x\n", "block.poly:1:1: block: expected a mapping"},
	    {"name: x\ntemplate: maybe\n", "block.poly:2:11: template: expected true or false"},
	    {"name: x\nlabels: [a]\n", "block.poly:2:9: labels: expected a mapping"},
	    {"name: x\nlabels:\n  a: {b: c}\n", "block.poly:3:6: labels.a: expected a string"},
	    {"name: x\nconfig: 1\n", "block.poly:2:9: config: expected a mapping"},
	    {"name: x\nfrom: 'a b'\n", "block.poly:2:7: from: invalid reference \"a b\""},
	    {"name: x\nactions: {a: 1}\n", "block.poly:2:10: actions: expected a list"},
	    {"name: x\nactions:\n  - name: a\n",
	     "block.poly:3:5: actions[0]: action 'a' needs a script or a playbook"},
	    {"name: x\nactions:\n  - name: a\n    script: [x]\n    playbook: p\n",
	     "action 'a' has both script and playbook"},
	    {"name: x\nactions:\n  - name: a\n    script: echo hi\n",
	     "block.poly:4:13: actions[0].script: expected a list of shell lines"},
	    {"name: x\nactions:\n  - name: a\n    script: [[x]]\n",
	     "actions[0].script: entry 1: expected a string"},
	    {"name: x\nactions:\n  - name: a\n    script: [x, ~]\n",
	     "actions[0].script: entry 2: expected a string, found a null"},
	    {"name: x\nactions:\n  - script: [x]\n",
	     "block.poly:3:5: actions[0].name: is required"},
	    {"name: x\nactions:\n  - name: a\n    script: [x]\n  - name: a\n    playbook: y\n",
	     "block.poly:5:5: actions[1]: a second action named 'a' (first at line 3)"},
	    {"name: x\nactions:\n  - 3\n", "block.poly:3:5: actions[0]: expected a mapping"},
	    {"name: x\nname: y\n", "block.poly:2:1: duplicate key \"name\""},
	    {"name: \"a\\nb\"\n", "name: not a usable block name"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct workspace_block b;
		struct err e;
		int rc = load(cases[i].text, &b, &e);
		T_CHECKF(rc == ERR_USAGE && strstr(e.msg, cases[i].err), "case %zu: rc %d \"%s\"",
		         i, rc, e.msg);
		T_CHECK(b.name == NULL && b.doc.root == NULL);
		workspace_block_free(&b);
	}
}

static void test_discovery(void)
{
	char dir[] = "/tmp/test_wsb_XXXXXX", cmd[300], link[300], target[300];
	struct workspace ws;
	const struct workspace_block *b;
	struct err e;
	T_CHECK(mkdtemp(dir) != NULL);
	put(dir, "workspace.poly", "name: ws\n");
	put(dir, "blocks/ayedo/k8s/nginx/block.poly", "name: nginx\nversion: 1.0.0\n");
	put(dir, "blocks/ayedo/k8s/nginx/templates/x/block.poly", "name: inner\n");
	put(dir, "blocks/postgres-base/block.poly", "name: postgres-base\n");
	put(dir, "blocks/team-a/app/block.poly", "name: app\n");
	put(dir, "blocks/team-b/app/block.poly", "name: app\n");
	put(dir, "blocks/.hidden/h/block.poly", "name: hidden\n");
	put(dir, "blocks/.polycrate/tmp/p/block.poly", "name: tmp\n");
	put(dir, "blocks/empty/readme.txt", "no block here\n");
	put(dir, "blocks/file-not-dir", "x");
	put(dir, "elsewhere/block.poly", "name: linked\n");
	snprintf(link, sizeof link, "%s/blocks/linked", dir);
	snprintf(target, sizeof target, "%s/elsewhere", dir);
	T_EQ_INT(symlink(target, link), 0);
	err_init(&e);
	T_CHECKF(workspace_load(dir, &ws, &e) == 0, "%s", e.msg);
	T_CHECKF(workspace_scan_blocks(&ws, &e) == 0, "%s", e.msg);
	T_EQ_INT(ws.nblocks, 4);
	if (ws.nblocks == 4) {
		T_EQ_STR(ws.blocks[0]->install_path, "ayedo/k8s/nginx");
		T_EQ_STR(ws.blocks[1]->install_path, "postgres-base");
		T_EQ_STR(ws.blocks[2]->install_path, "team-a/app");
		T_EQ_STR(ws.blocks[3]->install_path, "team-b/app");
		T_CHECK(strstr(ws.blocks[0]->dir, "/blocks/ayedo/k8s/nginx") != NULL);
		T_CHECK(strstr(ws.blocks[0]->file, "/blocks/ayedo/k8s/nginx/block.poly") != NULL);
	}
	/* lookups by name and by install path */
	T_EQ_INT(workspace_find_block(&ws, "nginx", &b, &e), 0);
	T_EQ_STR(b->install_path, "ayedo/k8s/nginx");
	T_EQ_INT(workspace_find_block(&ws, "ayedo/k8s/nginx", &b, &e), 0);
	T_EQ_STR(b->name, "nginx");
	T_EQ_INT(workspace_find_block(&ws, "team-b/app", &b, &e), 0);
	T_EQ_STR(b->install_path, "team-b/app");
	err_init(&e);
	T_EQ_INT(workspace_find_block(&ws, "app", &b, &e), ERR_USAGE);
	T_EQ_STR(e.msg, "2 blocks are named 'app': blocks/team-a/app, blocks/team-b/app");
	T_CHECK(b == NULL);
	err_init(&e);
	T_EQ_INT(workspace_find_block(&ws, "inner", &b, &e), ERR_NOTFOUND);
	T_EQ_INT(workspace_find_block(&ws, "hidden", &b, &e), ERR_NOTFOUND);
	T_EQ_INT(workspace_find_block(&ws, "linked", &b, &e), ERR_NOTFOUND);
	/* scanning again replaces the list */
	T_EQ_INT(workspace_scan_blocks(&ws, &e), 0);
	T_EQ_INT(ws.nblocks, 4);
	workspace_free(&ws);
	/* a broken block.poly stops the scan with its position */
	put(dir, "blocks/zz/block.poly", "name: [\n");
	err_init(&e);
	T_EQ_INT(workspace_load(dir, &ws, &e), 0);
	T_EQ_INT(workspace_scan_blocks(&ws, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "/blocks/zz/block.poly:2:1:") != NULL, "%s", e.msg);
	workspace_free(&ws);
	/* another blocks root; a missing one is an empty workspace */
	put(dir, "workspace.poly", "config:\n  blocksroot: nowhere\n");
	err_init(&e);
	T_EQ_INT(workspace_load(dir, &ws, &e), 0);
	T_EQ_INT(workspace_scan_blocks(&ws, &e), 0);
	T_EQ_INT(ws.nblocks, 0);
	workspace_free(&ws);
	/* deeper than WORKSPACE_SCAN_DEPTH_MAX folders: not looked at */
	put(dir, "workspace.poly", "name: ws\n");
	put(dir, "blocks/zz/block.poly", "name: zz\n");
	put(dir, "blocks/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/deep/block.poly", "name: deep\n");
	put(dir, "blocks/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/deeper/block.poly",
	    "name: deeper\n");
	err_init(&e);
	T_EQ_INT(workspace_load(dir, &ws, &e), 0);
	T_CHECKF(workspace_scan_blocks(&ws, &e) == 0, "%s", e.msg);
	T_EQ_INT(workspace_find_block(&ws, "deep", &b, &e), 0);
	T_EQ_INT(workspace_find_block(&ws, "deeper", &b, &e), ERR_NOTFOUND);
	workspace_free(&ws);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	T_EQ_INT(system(cmd), 0);
}

static void test_workspace_blocks_lookup(void)
{
	struct workspace ws;
	const struct workspace_block *b;
	struct err e;
	const char *text = "blocks:\n  - name: k8s-nginx\n    from: cargo.ayedo.cloud/ayedo/k8s/"
	                   "nginx:1.0.0\n    config:\n      replicas: 2\n";
	err_init(&e);
	T_CHECKF(workspace_load_mem("workspace.poly", text, strlen(text), &ws, &e) == 0, "%s",
	         e.msg);
	T_EQ_INT(workspace_find_block(&ws, "k8s-nginx", &b, &e), 0);
	T_EQ_STR(yaml_str(yaml_map_get(b->config, "replicas")), "2");
	workspace_free(&ws);
}

static void test_changelog(void)
{
	char dir[] = "/tmp/test_wsc_XXXXXX", path[300];
	struct workspace_changelog c;
	struct err e;
	T_CHECK(mkdtemp(dir) != NULL);
	put(dir, "CHANGELOG.poly",
	    "# CHANGELOG.poly\n"
	    "- version: 1.2.0\n"
	    "  date: 2025-01-30\n"
	    "  changes:\n"
	    "    - Added backup automation\n"
	    "    - Improved HA configuration\n"
	    "    - Fixed connection pooling issue\n"
	    "- version: 1.1.0\n"
	    "  type: minor\n"
	    "  description: Older\n");
	snprintf(path, sizeof path, "%s/CHANGELOG.poly", dir);
	err_init(&e);
	T_CHECKF(workspace_changelog_load(path, &c, &e) == 0, "%s", e.msg);
	T_EQ_INT(c.n, 2);
	T_EQ_STR(c.entries[0].version, "1.2.0");
	T_EQ_STR(c.entries[0].date, "2025-01-30");
	T_EQ_INT(c.entries[0].nchanges, 3);
	T_EQ_STR(c.entries[0].changes[2], "Fixed connection pooling issue");
	T_EQ_STR(c.entries[1].type, "minor");
	T_EQ_STR(c.entries[1].description, "Older");
	workspace_changelog_free(&c);
	put(dir, "CHANGELOG.poly", "version: 1\n");
	err_init(&e);
	T_EQ_INT(workspace_changelog_load(path, &c, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "CHANGELOG.poly:1:1: changelog: expected a list") != NULL, "%s",
	         e.msg);
	put(dir, "CHANGELOG.poly", "- date: x\n");
	err_init(&e);
	T_EQ_INT(workspace_changelog_load(path, &c, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "[0].version: is required") != NULL, "%s", e.msg);
	unlink(path);
	err_init(&e);
	T_EQ_INT(workspace_changelog_load(path, &c, &e), ERR_NOTFOUND);
	rmdir(dir);
}

static void test_user_config(void)
{
	char dir[] = "/tmp/test_wsh_XXXXXX", cmd[300];
	struct err e;
	char *url = (char *)"x";
	struct ref w, u;
	T_CHECK(mkdtemp(dir) != NULL);
	err_init(&e);
	T_EQ_INT(workspace_user_registry(NULL, &url, &e), 0); /* no HOME: skipped */
	T_CHECK(url == NULL);
	T_EQ_INT(workspace_user_registry("", &url, &e), 0);
	T_EQ_INT(workspace_user_registry(dir, &url, &e), 0); /* no file */
	T_CHECK(url == NULL && e.code == 0);
	put(dir, ".polycrate/polycrate.yml", "registry:\n  url: user-registry.io:5000\n");
	T_EQ_INT(workspace_user_registry(dir, &url, &e), 0);
	T_EQ_STR(url, "user-registry.io:5000");
	free(url);
	/* in the chain: after the workspace, before the default */
	T_EQ_INT(workspace_resolve_ref(NULL, "a/b", NULL, NULL, dir, &w, &u, NULL, NULL, &e), 0);
	T_EQ_STR(u.host, "user-registry.io:5000");
	T_EQ_INT(workspace_resolve_ref(NULL, "a/b", NULL, NULL, NULL, &w, &u, NULL, NULL, &e), 0);
	T_EQ_STR(u.host, "cargo.ayedo.cloud");
	T_EQ_INT(workspace_resolve_ref(NULL, "a/b", NULL, "env.io", dir, &w, &u, NULL, NULL, &e),
	         0);
	T_EQ_STR(u.host, "env.io");
	put(dir, ".polycrate/polycrate.yml", "registry:\n  url: 'bad url'\n");
	err_init(&e);
	T_EQ_INT(workspace_resolve_ref(NULL, "a/b", NULL, NULL, dir, &w, &u, NULL, NULL, &e),
	         ERR_USAGE);
	T_CHECKF(strstr(e.msg, "polycrate.yml registry.url") != NULL, "%s", e.msg);
	put(dir, ".polycrate/polycrate.yml", "registry: [x]\n");
	err_init(&e);
	T_EQ_INT(workspace_user_registry(dir, &url, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "polycrate.yml:1:11: registry: expected a mapping") != NULL, "%s",
	         e.msg);
	err_init(&e);
	T_EQ_INT(workspace_resolve_ref(NULL, "Bad", NULL, NULL, dir, &w, &u, NULL, NULL, &e),
	         ERR_USAGE);
	T_CHECKF(strstr(e.msg, "invalid reference \"Bad\"") != NULL, "%s", e.msg);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	T_EQ_INT(system(cmd), 0);
}

T_MAIN(test_seed_blocks, test_block_full, test_block_errors, test_discovery,
       test_workspace_blocks_lookup, test_changelog, test_user_config)
