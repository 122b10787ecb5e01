/* workspace.c - workspace.poly, block.poly, CHANGELOG.poly, polycrate.yml into structs */
#include "workspace.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "log.h"
#include "semver.h"

/* Where messages point: the file, and the key path being read ("blocks[2].from"). */
struct ctx {
	const char *file;
	struct err *e;
};

__attribute__((format(printf, 4, 5))) static int bad(const struct ctx *c, const struct yaml_node *n,
                                                     const char *key, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (n)
		return err_set(c->e, ERR_USAGE, "%s:%d:%d: %s: %s", c->file, n->line, n->col, key,
		               what);
	return err_set(c->e, ERR_USAGE, "%s: %s: %s", c->file, key, what);
}

static int oom(const struct ctx *c)
{
	return err_set(c->e, ERR_FAIL, "%s: out of memory", c->file);
}

/* Warns about keys of map not in allowed (NULL-terminated). */
static void warn_unknown(const struct ctx *c, const struct yaml_node *map, const char *where,
                         const char *const *allowed)
{
	if (!map || map->kind != YAML_KIND_MAP)
		return;
	for (size_t i = 0; i < map->n; i++) {
		const struct yaml_node *k = map->kids[2 * i];
		int known = 0;
		for (int j = 0; allowed[j] && !known; j++)
			known = strcmp(k->str, allowed[j]) == 0;
		if (!known)
			log_warn("%s:%d:%d: unknown key %s%s%.200s (ignored)", c->file, k->line,
			         k->col, where, *where ? "." : "", k->str);
	}
}

/* A string value: absent or null -> *out = NULL; a scalar -> a copy; else ERR_USAGE. */
static int get_str(const struct ctx *c, const struct yaml_node *map, const char *key,
                   const char *where, int required, char **out)
{
	const struct yaml_node *v = yaml_map_get(map, key);
	char path[256];
	*out = NULL;
	snprintf(path, sizeof path, "%.200s%s%.40s", where, *where ? "." : "", key);
	if (yaml_is_null(v)) {
		if (required)
			return bad(c, v ? v : map, path, "is required");
		return 0;
	}
	if (v->kind != YAML_KIND_SCALAR)
		return bad(c, v, path, "expected a string, found a %s", yaml_kind_name(v));
	if (required && !*v->str)
		return bad(c, v, path, "must not be empty");
	if (!(*out = strdup(v->str)))
		return oom(c);
	return 0;
}

/* The value at key when it is of the kind wanted (*out NULL when absent or null); its
 * dotted path, for messages, in path. */
static int get_kind(const struct ctx *c, const struct yaml_node *map, const char *key,
                    const char *where, enum yaml_kind kind, const char *wanted, char path[256],
                    const struct yaml_node **out)
{
	const struct yaml_node *v = yaml_map_get(map, key);
	*out = NULL;
	if (yaml_is_null(v))
		return 0;
	snprintf(path, 256, "%.200s%s%.40s", where, *where ? "." : "", key);
	if (v->kind != kind)
		return bad(c, v, path, "expected %s, found a %s", wanted, yaml_kind_name(v));
	*out = v;
	return 0;
}

static int get_map(const struct ctx *c, const struct yaml_node *map, const char *key,
                   const char *where, const struct yaml_node **out)
{
	char path[256];
	return get_kind(c, map, key, where, YAML_KIND_MAP, "a mapping", path, out);
}

static int get_seq(const struct ctx *c, const struct yaml_node *map, const char *key,
                   const char *where, const struct yaml_node **out)
{
	char path[256];
	const struct yaml_node *v;
	int rc = get_kind(c, map, key, where, YAML_KIND_SEQ, "a list", path, &v);
	*out = NULL;
	if (rc < 0 || !v)
		return rc;
	if (v->n > WORKSPACE_LIST_MAX)
		return bad(c, v, path, "more than %d entries", WORKSPACE_LIST_MAX);
	*out = v;
	return 0;
}

/* A list of strings into a NULL-free array of copies. */
static int get_strs(const struct ctx *c, const struct yaml_node *seq, const char *path, char ***out,
                    size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!seq || !seq->n)
		return 0;
	if (!(*out = calloc(seq->n, sizeof **out)))
		return oom(c);
	for (size_t i = 0; i < seq->n; i++) {
		const struct yaml_node *v = seq->kids[i];
		if (v->kind != YAML_KIND_SCALAR || yaml_is_null(v))
			return bad(c, v, path, "entry %zu: expected a string, found a %s", i + 1,
			           yaml_is_null(v) ? "null" : yaml_kind_name(v));
		if (!((*out)[i] = strdup(v->str)))
			return oom(c);
		*n = i + 1;
	}
	return 0;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int is_map(const struct ctx *c, const struct yaml_node *n, const char *path)
{
	if (!n || n->kind != YAML_KIND_MAP)
		return bad(c, n, path, "expected a mapping, found a %s",
		           yaml_is_null(n) ? "null" : yaml_kind_name(n));
	return 0;
}

/* ${NAME} from the environment; unset or empty is an error naming NAME and the file. */
static int expand_env(const struct ctx *c, const struct yaml_node *n, const char *path,
                      const char *s, char **out)
{
	struct buf b;
	int rc = 0;
	*out = NULL;
	buf_init(&b, WORKSPACE_VALUE_MAX);
	while (*s) {
		const char *end, *val;
		char name[256];
		size_t l;
		if (s[0] != '$' || s[1] != '{') {
			if (buf_putc(&b, *s++) < 0)
				goto toolong;
			continue;
		}
		if (!(end = strchr(s + 2, '}'))) {
			rc = bad(c, n, path, "unterminated ${ (write ${NAME})");
			goto out;
		}
		l = (size_t)(end - s - 2);
		if (l == 0 || l >= sizeof name ||
		    strspn(s + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                  "abcdefghijklmnopqrstuvwxyz"
		                  "0123456789_") != l ||
		    (s[2] >= '0' && s[2] <= '9')) {
			rc = bad(c, n, path, "bad variable name in \"%.*s\"", (int)(l + 3), s);
			goto out;
		}
		memcpy(name, s + 2, l);
		name[l] = 0;
		val = getenv(name);
		if (!val || !*val) {
			rc = bad(c, n, path, "environment variable %s is %s", name,
			         val ? "empty" : "not set");
			err_hint(c->e,
			         "export %s before running polycrate, or remove ${%s} from %s",
			         name, name, c->file);
			goto out;
		}
		if (buf_puts(&b, val) < 0)
			goto toolong;
		s = end + 1;
	}
	if (!(*out = strdup(buf_cstr(&b))))
		rc = oom(c);
	goto out;
toolong:
	rc = bad(c, n, path, "longer than %d bytes after ${VAR} expansion", WORKSPACE_VALUE_MAX);
out:
	buf_free(&b);
	return rc;
}

/* A registry: string: absent -> NULL; else expanded. */
static int get_env_str(const struct ctx *c, const struct yaml_node *map, const char *key,
                       const char *where, char **out)
{
	const struct yaml_node *v = yaml_map_get(map, key);
	char path[256];
	*out = NULL;
	if (yaml_is_null(v))
		return 0;
	snprintf(path, sizeof path, "%.200s.%.40s", where, key);
	if (v->kind != YAML_KIND_SCALAR)
		return bad(c, v, path, "expected a string, found a %s", yaml_kind_name(v));
	return expand_env(c, v, path, v->str, out);
}

static void action_free(struct workspace_action *a)
{
	free(a->name);
	free(a->description);
	free_strs(a->script, a->nscript);
	free(a->playbook);
}

static int parse_action(const struct ctx *c, const struct yaml_node *n, const char *where,
                        struct workspace_action *a)
{
	static const char *const keys[] = {"name", "description", "script", "playbook", NULL};
	const struct yaml_node *script = NULL, *sv;
	char path[300];
	int rc;
	memset(a, 0, sizeof *a);
	if ((rc = is_map(c, n, where)) < 0)
		return rc;
	a->node = n;
	a->line = n->line;
	a->col = n->col;
	warn_unknown(c, n, where, keys);
	if ((rc = get_str(c, n, "name", where, 1, &a->name)) < 0 ||
	    (rc = get_str(c, n, "description", where, 0, &a->description)) < 0 ||
	    (rc = get_str(c, n, "playbook", where, 0, &a->playbook)) < 0)
		return rc;
	sv = yaml_map_get(n, "script");
	snprintf(path, sizeof path, "%.200s.script", where);
	if (sv && sv->kind == YAML_KIND_SCALAR && !yaml_is_null(sv))
		return bad(c, sv, path, "expected a list of shell lines, found a string");
	if ((rc = get_seq(c, n, "script", where, &script)) < 0 ||
	    (rc = get_strs(c, script, path, &a->script, &a->nscript)) < 0)
		return rc;
	if (a->playbook && script)
		return bad(c, n, where, "action '%s' has both script and playbook (one only)",
		           a->name);
	if (!a->playbook && !script)
		return bad(c, n, where, "action '%s' needs a script or a playbook", a->name);
	return 0;
}

void workspace_block_free(struct workspace_block *b)
{
	if (!b)
		return;
	free(b->name);
	free(b->version);
	free(b->kind);
	free(b->description);
	free(b->from);
	for (size_t i = 0; i < b->nactions; i++)
		action_free(&b->actions[i]);
	free(b->actions);
	free(b->dir);
	free(b->install_path);
	free(b->file);
	yaml_doc_free(&b->doc);
	memset(b, 0, sizeof *b);
}

/* A block mapping (block.poly's root, or an entry of workspace.poly blocks:). */
static int parse_block(const struct ctx *c, const struct yaml_node *n, const char *where,
                       int strict_keys, struct workspace_block *b)
{
	static const char *const keys[] = {"name", "version",  "kind",   "description", "labels",
	                                   "from", "template", "config", "actions",     NULL};
	const struct yaml_node *actions = NULL, *t;
	char path[300];
	int rc;
	if ((rc = is_map(c, n, *where ? where : "block")) < 0)
		return rc;
	b->node = n;
	b->line = n->line;
	b->col = n->col;
	if (strict_keys)
		warn_unknown(c, n, where, keys);
	if ((rc = get_str(c, n, "name", where, 1, &b->name)) < 0 ||
	    (rc = get_str(c, n, "version", where, 0, &b->version)) < 0 ||
	    (rc = get_str(c, n, "kind", where, 0, &b->kind)) < 0 ||
	    (rc = get_str(c, n, "description", where, 0, &b->description)) < 0 ||
	    (rc = get_str(c, n, "from", where, 0, &b->from)) < 0 ||
	    (rc = get_map(c, n, "labels", where, &b->labels)) < 0 ||
	    (rc = get_map(c, n, "config", where, &b->config)) < 0 ||
	    (rc = get_seq(c, n, "actions", where, &actions)) < 0)
		return rc;
	snprintf(path, sizeof path, "%.200s%sname", where, *where ? "." : "");
	if (strchr(b->name, '\n') || strlen(b->name) > REF_NAME_MAX)
		return bad(c, yaml_map_get(n, "name"), path, "not a usable block name");
	if (b->from) {
		struct ref r;
		struct err re;
		err_init(&re);
		snprintf(path, sizeof path, "%.200s%sfrom", where, *where ? "." : "");
		if (ref_parse(b->from, &r, &re) < 0)
			return bad(c, yaml_map_get(n, "from"), path, "%s", re.msg);
	}
	if (b->version) {
		struct semver v;
		struct err ve;
		err_init(&ve);
		t = yaml_map_get(n, "version");
		if (semver_parse(b->version, &v, &ve) < 0)
			log_warn("%s:%d:%d: version: %s", c->file, t->line, t->col, ve.msg);
	}
	t = yaml_map_get(n, "template");
	if (!yaml_is_null(t) && yaml_bool(t, &b->is_template) < 0) {
		snprintf(path, sizeof path, "%.200s%stemplate", where, *where ? "." : "");
		return bad(c, t, path, "expected true or false");
	}
	if (b->labels) {
		for (size_t i = 0; i < b->labels->n; i++) {
			const struct yaml_node *v = b->labels->kids[2 * i + 1];
			snprintf(path, sizeof path, "%.150s%slabels.%.100s", where,
			         *where ? "." : "", b->labels->kids[2 * i]->str);
			if (v->kind != YAML_KIND_SCALAR)
				return bad(c, v, path, "expected a string, found a %s",
				           yaml_kind_name(v));
		}
	}
	if (actions && actions->n) {
		if (!(b->actions = calloc(actions->n, sizeof *b->actions)))
			return oom(c);
		for (size_t i = 0; i < actions->n; i++) {
			snprintf(path, sizeof path, "%.200s%sactions[%zu]", where,
			         *where ? "." : "", i);
			rc = parse_action(c, actions->kids[i], path, &b->actions[i]);
			b->nactions = i + 1;
			if (rc < 0)
				return rc;
			for (size_t j = 0; j < i; j++)
				if (strcmp(b->actions[j].name, b->actions[i].name) == 0)
					return bad(c, actions->kids[i], path,
					           "a second action named '%s' (first at line %d)",
					           b->actions[i].name, b->actions[j].line);
		}
	}
	return 0;
}

static int block_from_doc(struct workspace_block *b, struct err *e)
{
	struct ctx c = {b->doc.name, e};
	int rc;
	if (!b->doc.root)
		return err_set(e, ERR_USAGE, "%s: empty file (a block needs at least a name)",
		               b->doc.name);
	rc = parse_block(&c, b->doc.root, "", 1, b);
	return rc;
}

int workspace_block_load_mem(const char *name, const char *text, size_t n,
                             struct workspace_block *b, struct err *e)
{
	int rc;
	memset(b, 0, sizeof *b);
	if ((rc = yaml_load_mem(name, text, n, &b->doc, e)) < 0 ||
	    (rc = block_from_doc(b, e)) < 0) {
		workspace_block_free(b);
		return rc;
	}
	return 0;
}

int workspace_block_load(const char *dir, const char *install_path, struct workspace_block *b,
                         struct err *e)
{
	char path[4096];
	int rc;
	memset(b, 0, sizeof *b);
	if (snprintf(path, sizeof path, "%s/%s", dir, WORKSPACE_BLOCK_FILE) >= (int)sizeof path)
		return err_set(e, ERR_FAIL, "%s: path too long", dir);
	if ((rc = yaml_load_file(path, &b->doc, e)) < 0 || (rc = block_from_doc(b, e)) < 0)
		goto fail;
	if (!(b->dir = strdup(dir)) || !(b->file = strdup(path)) ||
	    (install_path && !(b->install_path = strdup(install_path)))) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto fail;
	}
	return 0;
fail:
	workspace_block_free(b);
	return rc;
}

const struct workspace_action *workspace_block_action(const struct workspace_block *b,
                                                      const char *name)
{
	for (size_t i = 0; b && i < b->nactions; i++)
		if (strcmp(b->actions[i].name, name) == 0)
			return &b->actions[i];
	return NULL;
}

static int parse_registry(const struct ctx *c, const struct yaml_node *reg, struct workspace *ws)
{
	static const char *const keys[] = {"endpoint", "username", "password", "proxy", NULL};
	static const char *const pkeys[] = {"from", "to", "username", "password", NULL};
	const struct yaml_node *proxy = NULL;
	char path[64];
	int rc;
	if (!reg)
		return 0;
	warn_unknown(c, reg, "registry", keys);
	if ((rc = get_env_str(c, reg, "endpoint", "registry", &ws->endpoint)) < 0 ||
	    (rc = get_env_str(c, reg, "username", "registry", &ws->username)) < 0 ||
	    (rc = get_env_str(c, reg, "password", "registry", &ws->password)) < 0 ||
	    (rc = get_seq(c, reg, "proxy", "registry", &proxy)) < 0)
		return rc;
	if (ws->endpoint) {
		struct ref_registry r;
		struct err re;
		err_init(&re);
		if (ref_registry_parse(ws->endpoint, "registry.endpoint", &r, &re) < 0)
			return bad(c, yaml_map_get(reg, "endpoint"), "registry.endpoint", "%s",
			           re.msg);
	}
	if (!proxy || !proxy->n)
		return 0;
	if (proxy->n > WORKSPACE_PROXY_MAX)
		return bad(c, proxy, "registry.proxy", "more than %d rules", WORKSPACE_PROXY_MAX);
	if (!(ws->proxy = calloc(proxy->n, sizeof *ws->proxy)) ||
	    !(ws->proxy_view = calloc(proxy->n, sizeof *ws->proxy_view)))
		return oom(c);
	for (size_t i = 0; i < proxy->n; i++) {
		const struct yaml_node *p = proxy->kids[i];
		struct workspace_proxy *w = &ws->proxy[i];
		struct ref_proxy *v = &ws->proxy_view[i];
		struct err re;
		snprintf(path, sizeof path, "registry.proxy[%zu]", i);
		ws->nproxy = i + 1;
		if ((rc = is_map(c, p, path)) < 0)
			return rc;
		warn_unknown(c, p, path, pkeys);
		w->line = p->line;
		w->col = p->col;
		if ((rc = get_env_str(c, p, "from", path, &w->from)) < 0 ||
		    (rc = get_env_str(c, p, "to", path, &w->to)) < 0 ||
		    (rc = get_env_str(c, p, "username", path, &w->username)) < 0 ||
		    (rc = get_env_str(c, p, "password", path, &w->password)) < 0)
			return rc;
		v->from = w->from;
		v->to = w->to;
		v->username = w->username;
		v->password = w->password;
		err_init(&re);
		if (ref_proxy_check(v, &re) < 0)
			return bad(c, p, path, "%s", re.msg);
		if (w->password && !w->username)
			return bad(c, p, path, "password without username");
	}
	for (size_t j = 0; j < ws->nproxy; j++) {
		struct ref_proxy_config cfg;
		size_t by;
		workspace_proxy_config(ws, &cfg);
		if (ref_proxy_shadowed(&cfg, j, &by))
			log_warn("%s:%d:%d: registry.proxy[%zu] (from %s) never matches: "
			         "registry.proxy[%zu] (from %s, line %d) comes first and matches "
			         "all it would; put the more specific rule first",
			         c->file, ws->proxy[j].line, ws->proxy[j].col, j, ws->proxy[j].from,
			         by, ws->proxy[by].from, ws->proxy[by].line);
	}
	return 0;
}

/* blocksroot / artifactsroot: relative, without ".." components. */
static int check_subdir(const struct ctx *c, const struct yaml_node *n, const char *key,
                        const char *s)
{
	const char *p = s;
	if (!*s || *s == '/')
		return bad(c, n, key, "must be a relative folder");
	while (*p) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return bad(c, n, key, "must stay inside the workspace (no ..)");
		p += l;
		if (*p)
			p++;
	}
	return 0;
}

static int parse_workflows(const struct ctx *c, const struct yaml_node *seq, struct workspace *ws)
{
	static const char *const keys[] = {"name", "steps", NULL};
	static const char *const skeys[] = {"name", "block", "action", NULL};
	char path[128];
	int rc;
	if (!seq || !seq->n)
		return 0;
	if (!(ws->workflows = calloc(seq->n, sizeof *ws->workflows)))
		return oom(c);
	for (size_t i = 0; i < seq->n; i++) {
		const struct yaml_node *w = seq->kids[i], *steps = NULL;
		struct workspace_workflow *wf = &ws->workflows[i];
		ws->nworkflows = i + 1;
		snprintf(path, sizeof path, "workflows[%zu]", i);
		if ((rc = is_map(c, w, path)) < 0)
			return rc;
		warn_unknown(c, w, path, keys);
		wf->line = w->line;
		wf->col = w->col;
		if ((rc = get_str(c, w, "name", path, 1, &wf->name)) < 0 ||
		    (rc = get_seq(c, w, "steps", path, &steps)) < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(ws->workflows[j].name, wf->name) == 0)
				return bad(c, w, path, "a second workflow named '%s'", wf->name);
		if (!steps || !steps->n)
			continue;
		if (!(wf->steps = calloc(steps->n, sizeof *wf->steps)))
			return oom(c);
		for (size_t j = 0; j < steps->n; j++) {
			const struct yaml_node *s = steps->kids[j];
			struct workspace_step *st = &wf->steps[j];
			char sp[160];
			wf->nsteps = j + 1;
			snprintf(sp, sizeof sp, "%.100s.steps[%zu]", path, j);
			if ((rc = is_map(c, s, sp)) < 0)
				return rc;
			warn_unknown(c, s, sp, skeys);
			if ((rc = get_str(c, s, "name", sp, 1, &st->name)) < 0 ||
			    (rc = get_str(c, s, "block", sp, 1, &st->block)) < 0 ||
			    (rc = get_str(c, s, "action", sp, 1, &st->action)) < 0)
				return rc;
		}
	}
	return 0;
}

static int ws_from_doc(struct workspace *ws, struct err *e)
{
	static const char *const keys[] = {"name",      "config",       "registry", "blocks",
	                                   "workflows", "dependencies", NULL};
	struct ctx c = {ws->doc.name, e};
	const struct yaml_node *root = ws->doc.root, *reg = NULL, *blocks = NULL, *wfs = NULL,
	                       *deps = NULL, *creg = NULL;
	char path[64];
	int rc;
	if (root) {
		if ((rc = is_map(&c, root, "workspace")) < 0)
			return rc;
		warn_unknown(&c, root, "", keys);
		if ((rc = get_str(&c, root, "name", "", 0, &ws->name)) < 0 ||
		    (rc = get_map(&c, root, "config", "", &ws->config)) < 0 ||
		    (rc = get_map(&c, root, "registry", "", &reg)) < 0 ||
		    (rc = get_seq(&c, root, "blocks", "", &blocks)) < 0 ||
		    (rc = get_seq(&c, root, "workflows", "", &wfs)) < 0 ||
		    (rc = get_seq(&c, root, "dependencies", "", &deps)) < 0)
			return rc;
	}
	if ((rc = get_map(&c, ws->config, "registry", "config", &creg)) < 0 ||
	    (rc = get_str(&c, creg, "url", "config.registry", 0, &ws->registry_url)) < 0 ||
	    (rc = get_str(&c, creg, "base_image", "config.registry", 0, &ws->base_image)) < 0 ||
	    (rc = get_str(&c, ws->config, "blocksroot", "config", 0, &ws->blocksroot)) < 0 ||
	    (rc = get_str(&c, ws->config, "artifactsroot", "config", 0, &ws->artifactsroot)) < 0)
		return rc;
	if (ws->registry_url) {
		struct ref_registry r;
		struct err re;
		err_init(&re);
		if (ref_registry_parse(ws->registry_url, "config.registry.url", &r, &re) < 0)
			return bad(&c, yaml_map_get(creg, "url"), "config.registry.url", "%s",
			           re.msg);
	}
	if (!ws->blocksroot && !(ws->blocksroot = strdup(WORKSPACE_BLOCKSROOT)))
		return oom(&c);
	if (!ws->artifactsroot && !(ws->artifactsroot = strdup(WORKSPACE_ARTIFACTSROOT)))
		return oom(&c);
	if ((rc = check_subdir(&c, yaml_map_get(ws->config, "blocksroot"), "config.blocksroot",
	                       ws->blocksroot)) < 0 ||
	    (rc = check_subdir(&c, yaml_map_get(ws->config, "artifactsroot"),
	                       "config.artifactsroot", ws->artifactsroot)) < 0)
		return rc;
	if ((rc = parse_registry(&c, reg, ws)) < 0)
		return rc;
	if (blocks && blocks->n) {
		if (!(ws->ws_blocks = calloc(blocks->n, sizeof *ws->ws_blocks)))
			return oom(&c);
		for (size_t i = 0; i < blocks->n; i++) {
			snprintf(path, sizeof path, "blocks[%zu]", i);
			ws->nws_blocks = i + 1;
			if ((rc = parse_block(&c, blocks->kids[i], path, 1, &ws->ws_blocks[i])) < 0)
				return rc;
		}
	}
	if ((rc = parse_workflows(&c, wfs, ws)) < 0)
		return rc;
	if ((rc = get_strs(&c, deps, "dependencies", &ws->dependencies, &ws->ndependencies)) < 0)
		return rc;
	for (size_t i = 0; deps && i < ws->ndependencies; i++) {
		struct ref r;
		struct err re;
		err_init(&re);
		if (ref_parse(ws->dependencies[i], &r, &re) < 0)
			return bad(&c, deps->kids[i], "dependencies", "%s", re.msg);
	}
	return 0;
}

void workspace_free(struct workspace *ws)
{
	if (!ws)
		return;
	free(ws->root);
	free(ws->file);
	free(ws->name);
	free(ws->registry_url);
	free(ws->base_image);
	free(ws->blocksroot);
	free(ws->artifactsroot);
	free(ws->endpoint);
	free(ws->username);
	free(ws->password);
	for (size_t i = 0; i < ws->nproxy; i++) {
		free(ws->proxy[i].from);
		free(ws->proxy[i].to);
		free(ws->proxy[i].username);
		free(ws->proxy[i].password);
	}
	free(ws->proxy);
	free(ws->proxy_view);
	for (size_t i = 0; i < ws->nws_blocks; i++)
		workspace_block_free(&ws->ws_blocks[i]);
	free(ws->ws_blocks);
	for (size_t i = 0; i < ws->nworkflows; i++) {
		for (size_t j = 0; j < ws->workflows[i].nsteps; j++) {
			free(ws->workflows[i].steps[j].name);
			free(ws->workflows[i].steps[j].block);
			free(ws->workflows[i].steps[j].action);
		}
		free(ws->workflows[i].steps);
		free(ws->workflows[i].name);
	}
	free(ws->workflows);
	free_strs(ws->dependencies, ws->ndependencies);
	for (size_t i = 0; i < ws->nblocks; i++) {
		workspace_block_free(ws->blocks[i]);
		free(ws->blocks[i]);
	}
	free(ws->blocks);
	yaml_doc_free(&ws->doc);
	memset(ws, 0, sizeof *ws);
}

int workspace_load_mem(const char *name, const char *text, size_t n, struct workspace *ws,
                       struct err *e)
{
	int rc;
	memset(ws, 0, sizeof *ws);
	if (!(ws->root = strdup(".")) || !(ws->file = strdup(name))) {
		workspace_free(ws);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	ws->present = 1;
	if ((rc = yaml_load_mem(name, text, n, &ws->doc, e)) < 0 || (rc = ws_from_doc(ws, e)) < 0) {
		workspace_free(ws);
		return rc;
	}
	return 0;
}

int workspace_load(const char *dir, struct workspace *ws, struct err *e)
{
	char path[4096];
	int rc;
	memset(ws, 0, sizeof *ws);
	if (snprintf(path, sizeof path, "%s/%s", dir, WORKSPACE_FILE) >= (int)sizeof path)
		return err_set(e, ERR_FAIL, "%s: path too long", dir);
	if (!(ws->root = strdup(dir)) || !(ws->file = strdup(path))) {
		workspace_free(ws);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	rc = yaml_load_file(path, &ws->doc, e);
	if (rc == ERR_NOTFOUND) {
		if (e)
			err_init(e);
		rc = 0;
	} else if (rc == 0) {
		ws->present = 1;
	}
	if (rc < 0 || (rc = ws_from_doc(ws, e)) < 0) {
		workspace_free(ws);
		return rc;
	}
	return 0;
}

/* The folder walk of workspace_scan_blocks. */
struct scan {
	struct workspace *ws;
	struct err *e;
	size_t cap;
	char base[4096]; /* <root>/<blocksroot> */
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int scan_dir(struct scan *s, const char *rel, int depth)
{
	char dir[4096], file[4200];
	char **names = NULL;
	size_t n = 0, cap = 0;
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int rc = 0;
	if (snprintf(dir, sizeof dir, "%s%s%s", s->base, *rel ? "/" : "", rel) >= (int)sizeof dir)
		return err_set(s->e, ERR_FAIL, "%s/%s: path too long", s->base, rel);
	snprintf(file, sizeof file, "%s/%s", dir, WORKSPACE_BLOCK_FILE);
	if (*rel && lstat(file, &st) == 0 && S_ISREG(st.st_mode)) {
		struct workspace_block *b;
		if (s->ws->nblocks >= WORKSPACE_BLOCKS_MAX)
			return err_set(s->e, ERR_FAIL, "%s: more than %d blocks", s->base,
			               WORKSPACE_BLOCKS_MAX);
		if (s->ws->nblocks == s->cap) {
			size_t nc = s->cap ? s->cap * 2 : 16;
			void *p = realloc(s->ws->blocks, nc * sizeof *s->ws->blocks);
			if (!p)
				return err_set(s->e, ERR_FAIL, "out of memory");
			s->ws->blocks = p;
			s->cap = nc;
		}
		if (!(b = calloc(1, sizeof *b)))
			return err_set(s->e, ERR_FAIL, "out of memory");
		if ((rc = workspace_block_load(dir, rel, b, s->e)) < 0) {
			free(b);
			return rc;
		}
		s->ws->blocks[s->ws->nblocks++] = b;
		return 0;
	}
	if (depth >= WORKSPACE_SCAN_DEPTH_MAX)
		return 0;
	if (!(d = opendir(dir))) {
		if (!*rel && errno == ENOENT)
			return 0; /* no blocks folder yet */
		return err_sys(s->e, ERR_FAIL, errno, "%s", dir);
	}
	while ((de = readdir(d))) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue; /* ., .., .polycrate/ and hidden folders */
		if (snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= (int)sizeof sub)
			continue;
		if (lstat(sub, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			void *p = realloc(names, nc * sizeof *names);
			if (!p) {
				rc = err_set(s->e, ERR_FAIL, "out of memory");
				goto out;
			}
			names = p;
			cap = nc;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = err_set(s->e, ERR_FAIL, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char sub[4096];
		if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) >=
		    (int)sizeof sub)
			continue;
		rc = scan_dir(s, sub, depth + 1);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
	return rc;
}

int workspace_scan_blocks(struct workspace *ws, struct err *e)
{
	struct scan s;
	memset(&s, 0, sizeof s);
	s.ws = ws;
	s.e = e;
	for (size_t i = 0; i < ws->nblocks; i++) {
		workspace_block_free(ws->blocks[i]);
		free(ws->blocks[i]);
	}
	free(ws->blocks);
	ws->blocks = NULL;
	ws->nblocks = 0;
	if (snprintf(s.base, sizeof s.base, "%s/%s", ws->root,
	             ws->blocksroot ? ws->blocksroot : WORKSPACE_BLOCKSROOT) >= (int)sizeof s.base)
		return err_set(e, ERR_FAIL, "%s: path too long", ws->root);
	/* folders are visited in sorted order, so blocks come sorted by install path */
	return scan_dir(&s, "", 0);
}

int workspace_find_block(const struct workspace *ws, const char *what,
                         const struct workspace_block **out, struct err *e)
{
	const struct workspace_block *hit = NULL;
	struct buf list;
	size_t count = 0;
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; strchr(what, '/') && i < ws->nblocks; i++)
		if (strcmp(ws->blocks[i]->install_path, what) == 0)
			return *out = ws->blocks[i], 0;
	buf_init(&list, ERR_MSG_MAX);
	for (size_t i = 0; i < ws->nblocks; i++) {
		if (strcmp(ws->blocks[i]->name, what) != 0)
			continue;
		if (count++)
			buf_puts(&list, ", ");
		buf_printf(&list, "%s/%s", ws->blocksroot, ws->blocks[i]->install_path);
		hit = ws->blocks[i];
	}
	if (count == 1) {
		*out = hit;
	} else if (count > 1) {
		rc = err_set(e, ERR_USAGE, "%zu blocks are named '%s': %s", count, what,
		             buf_cstr(&list));
		err_hint(e, "name the block by its folder below %s instead", ws->blocksroot);
	} else {
		for (size_t i = 0; i < ws->nblocks; i++)
			if (strcmp(ws->blocks[i]->install_path, what) == 0) {
				*out = ws->blocks[i];
				goto done;
			}
		/* a block only workspace.poly defines (name and from:) */
		for (size_t i = 0; i < ws->nws_blocks; i++)
			if (strcmp(ws->ws_blocks[i].name, what) == 0) {
				*out = &ws->ws_blocks[i];
				goto done;
			}
		rc = err_set(e, ERR_NOTFOUND, "block '%s' not found in the workspace", what);
	}
done:
	buf_free(&list);
	return rc;
}

static void change_free(struct workspace_change *c)
{
	free(c->version);
	free(c->date);
	free(c->type);
	free(c->description);
	free_strs(c->changes, c->nchanges);
}

void workspace_changelog_free(struct workspace_changelog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		change_free(&c->entries[i]);
	free(c->entries);
	memset(c, 0, sizeof *c);
}

int workspace_changelog_load(const char *path, struct workspace_changelog *cl, struct err *e)
{
	static const char *const keys[] = {"version",     "date",    "type",
	                                   "description", "changes", NULL};
	struct yaml_doc d;
	struct ctx c = {path, e};
	const struct yaml_node *root;
	char where[64];
	int rc;
	memset(cl, 0, sizeof *cl);
	if ((rc = yaml_load_file(path, &d, e)) < 0)
		return rc;
	root = d.root;
	if (!root)
		goto out;
	if (root->kind != YAML_KIND_SEQ) {
		rc = bad(&c, root, "changelog", "expected a list of versions, found a %s",
		         yaml_kind_name(root));
		goto out;
	}
	if (root->n > WORKSPACE_LIST_MAX) {
		rc = bad(&c, root, "changelog", "more than %d entries", WORKSPACE_LIST_MAX);
		goto out;
	}
	if (root->n && !(cl->entries = calloc(root->n, sizeof *cl->entries))) {
		rc = oom(&c);
		goto out;
	}
	for (size_t i = 0; i < root->n; i++) {
		const struct yaml_node *n = root->kids[i], *ch = NULL;
		struct workspace_change *w = &cl->entries[i];
		cl->n = i + 1;
		snprintf(where, sizeof where, "[%zu]", i);
		if ((rc = is_map(&c, n, where)) < 0)
			goto out;
		warn_unknown(&c, n, where, keys);
		if ((rc = get_str(&c, n, "version", where, 1, &w->version)) < 0 ||
		    (rc = get_str(&c, n, "date", where, 0, &w->date)) < 0 ||
		    (rc = get_str(&c, n, "type", where, 0, &w->type)) < 0 ||
		    (rc = get_str(&c, n, "description", where, 0, &w->description)) < 0 ||
		    (rc = get_seq(&c, n, "changes", where, &ch)) < 0 ||
		    (rc = get_strs(&c, ch, "changes", &w->changes, &w->nchanges)) < 0)
			goto out;
	}
out:
	yaml_doc_free(&d);
	if (rc < 0)
		workspace_changelog_free(cl);
	return rc;
}

int workspace_user_registry(const char *home, char **url, struct err *e)
{
	struct yaml_doc d;
	char path[4096];
	struct ctx c = {path, e};
	const struct yaml_node *reg = NULL;
	int rc;
	*url = NULL;
	if (!home || !*home)
		return 0;
	if (snprintf(path, sizeof path, "%s/%s", home, WORKSPACE_USER_CONFIG) >= (int)sizeof path)
		return 0;
	rc = yaml_load_file(path, &d, e);
	if (rc == ERR_NOTFOUND) {
		if (e)
			err_init(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	if (d.root && (rc = is_map(&c, d.root, "polycrate.yml")) == 0 &&
	    (rc = get_map(&c, d.root, "registry", "", &reg)) == 0)
		rc = get_str(&c, reg, "url", "registry", 0, url);
	yaml_doc_free(&d);
	return rc;
}

void workspace_proxy_config(const struct workspace *ws, struct ref_proxy_config *c)
{
	memset(c, 0, sizeof *c);
	if (!ws)
		return;
	c->rules = ws->proxy_view;
	c->n = ws->nproxy;
	c->endpoint = ws->endpoint;
	c->username = ws->username;
	c->password = ws->password;
}

int workspace_resolve_ref(const struct workspace *ws, const char *text, const char *flag_url,
                          const char *env_url, const char *home, struct ref *written,
                          struct ref *use, struct ref_creds *cr, int *insecure, struct err *e)
{
	struct ref_registry_sources src = {flag_url, env_url, ws ? ws->registry_url : NULL, NULL};
	struct ref_proxy_config cfg;
	char *user = NULL;
	int rc;
	if (insecure)
		*insecure = 0;
	if ((rc = ref_parse(text, written, e)) < 0)
		return rc;
	/* the user file is read only when nothing before it decides */
	if (!written->host[0] && !(flag_url && *flag_url) && !(env_url && *env_url) &&
	    !(src.workspace && *src.workspace)) {
		if ((rc = workspace_user_registry(home, &user, e)) < 0)
			return rc;
		src.user = user;
	}
	rc = ref_resolve(written, &src, insecure, e);
	free(user);
	if (rc < 0)
		return rc;
	workspace_proxy_config(ws, &cfg);
	rc = ref_rewrite(&cfg, written, use, cr, e);
	return rc < 0 ? rc : 0;
}

int workspace_snapshot(const struct workspace *ws, const struct workspace_block *b,
                       const struct workspace_action *a, struct buf *out, struct err *e)
{
	struct yaml_node *m = yaml_new_map();
	int rc;
	/* yaml_map_put takes over its value even when it fails, so each step stands alone */
	if (!m ||
	    yaml_map_put(m, "workspace",
	                 ws && ws->doc.root ? yaml_clone(ws->doc.root) : yaml_new_map()) < 0 ||
	    yaml_map_put(m, "block", b && b->node ? yaml_clone(b->node) : yaml_new_map()) < 0 ||
	    yaml_map_put(m, "action", a && a->node ? yaml_clone(a->node) : yaml_new_map()) < 0) {
		yaml_node_free(m);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	rc = yaml_emit_text(m, out, e);
	yaml_node_free(m);
	return rc;
}
