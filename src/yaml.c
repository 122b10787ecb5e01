/* yaml.c - libyaml events into plain trees, with bounded alias expansion; emit and merge */
#define POLYCRATE_WANT_LIBYAML
#include <yaml.h>

#include "yaml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

/* A string -> value hash (open addressing, at most half full): mapping keys while a
 * mapping is built or merged, anchors by name. Keys point to strings that outlive it. */
struct hent {
	const char *k;
	void *v;
};
struct hmap {
	struct hent *t;
	size_t cap, n;
};

static size_t hstr(const char *s)
{
	size_t h = 1469598103934665603ull & (size_t)-1;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (size_t)1099511628211ull;
	return h;
}

static struct hent *hslot(const struct hmap *h, const char *k)
{
	size_t i = hstr(k) & (h->cap - 1);
	while (h->t[i].k && strcmp(h->t[i].k, k) != 0)
		i = (i + 1) & (h->cap - 1);
	return &h->t[i];
}

static void *hget(const struct hmap *h, const char *k)
{
	return h->cap ? hslot(h, k)->v : NULL;
}

/* Sets k to v (v must not be NULL). 0 or ERR_FAIL (memory; the map is unchanged). */
static int hput(struct hmap *h, const char *k, void *v)
{
	struct hent *e;
	if (2 * (h->n + 1) > h->cap) {
		struct hmap g = {NULL, h->cap ? 2 * h->cap : 16, 0};
		if (!(g.t = calloc(g.cap, sizeof *g.t)))
			return ERR_FAIL;
		for (size_t i = 0; i < h->cap; i++)
			if (h->t[i].k) {
				*hslot(&g, h->t[i].k) = h->t[i];
				g.n++;
			}
		free(h->t);
		*h = g;
	}
	e = hslot(h, k);
	if (!e->k)
		h->n++;
	e->k = k;
	e->v = v;
	return 0;
}

static void hfree(struct hmap *h)
{
	free(h->t);
	memset(h, 0, sizeof *h);
}

struct frame {
	struct yaml_node *n;
	struct yaml_node *key; /* a mapping's key waiting for its value */
	char *anchor;
	struct hmap keys; /* a mapping's keys so far: duplicates are found in O(1) */
};

struct builder {
	struct yaml_doc *d;
	struct err *e;
	struct frame stack[YAML_DEPTH_MAX + 1];
	int depth;
	struct hmap anchors; /* name (owned, in names) -> node */
	char **names;
	size_t nnames, capnames;
	/* "<<" pairs taken out of their mapping: anchors may still point into them */
	struct yaml_node **limbo;
	size_t nlimbo, caplimbo;
	int docs;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 4;
	void *q;
	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	if (!(q = realloc(*p, c * size)))
		return ERR_FAIL;
	*p = q;
	*cap = c;
	return 0;
}

static struct yaml_node *node_new(enum yaml_kind kind)
{
	struct yaml_node *n = calloc(1, sizeof *n);
	if (n) {
		n->kind = kind;
		n->file = "";
	}
	return n;
}

void yaml_node_free(struct yaml_node *n)
{
	if (!n)
		return;
	if (n->kind == YAML_KIND_MAP)
		for (size_t i = 0; i < 2 * n->n; i++)
			yaml_node_free(n->kids[i]);
	else if (n->kind == YAML_KIND_SEQ)
		for (size_t i = 0; i < n->n; i++)
			yaml_node_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
}

static size_t nkids(const struct yaml_node *n)
{
	return n->kind == YAML_KIND_MAP ? 2 * n->n : n->kind == YAML_KIND_SEQ ? n->n : 0;
}

static int node_height(const struct yaml_node *n)
{
	int h = 0;
	for (size_t i = 0; i < nkids(n); i++) {
		int k = node_height(n->kids[i]);
		if (k > h)
			h = k;
	}
	return h + 1;
}

static int over_budget(const struct yaml_doc *d)
{
	return d->nodes > YAML_NODES_MAX || d->copies > YAML_COPIES_MAX ||
	       d->bytes > YAML_BYTES_MAX;
}

/* A copy; d's counts (d may be NULL) grow by the nodes and scalar bytes made, failing past
 * the limits of over_budget. */
static struct yaml_node *clone_counted(const struct yaml_node *n, struct yaml_doc *d)
{
	struct yaml_node *c;
	size_t k = nkids(n);
	if (d && (++d->nodes, ++d->copies, d->bytes += n->len, over_budget(d)))
		return NULL;
	if (!(c = node_new(n->kind)))
		return NULL;
	c->plain = n->plain;
	c->line = n->line;
	c->col = n->col;
	c->file = n->file;
	if (n->str) {
		if (!(c->str = malloc(n->len + 1)))
			goto fail;
		memcpy(c->str, n->str, n->len + 1);
		c->len = n->len;
	}
	if (k) {
		size_t per = n->kind == YAML_KIND_MAP ? 2 : 1;
		if (!(c->kids = calloc(k, sizeof *c->kids)))
			goto fail;
		c->cap = k;
		for (size_t i = 0; i < n->n; i++) {
			for (size_t j = 0; j < per; j++)
				c->kids[per * i + j] = clone_counted(n->kids[per * i + j], d);
			if (!c->kids[per * i] || !c->kids[per * i + per - 1]) {
				yaml_node_free(c->kids[per * i]);
				if (per == 2)
					yaml_node_free(c->kids[per * i + 1]);
				goto fail;
			}
			c->n = i + 1;
		}
	}
	return c;
fail:
	yaml_node_free(c);
	return NULL;
}

struct yaml_node *yaml_clone(const struct yaml_node *n)
{
	return n ? clone_counted(n, NULL) : NULL;
}

static int kid_push(struct yaml_node *p, struct yaml_node *k)
{
	size_t have = nkids(p);
	if (grow((void **)&p->kids, &p->cap, have + 1, sizeof *p->kids) < 0)
		return ERR_FAIL;
	p->kids[have] = k;
	return 0;
}

static int scalar_is(const struct yaml_node *n, const char *s)
{
	return n && n->kind == YAML_KIND_SCALAR && strcmp(n->str, s) == 0;
}

struct yaml_node *yaml_map_get(const struct yaml_node *map, const char *key)
{
	if (!map || map->kind != YAML_KIND_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (scalar_is(map->kids[2 * i], key))
			return map->kids[2 * i + 1];
	return NULL;
}

static long pair_index(const struct yaml_node *map, const char *key)
{
	for (size_t i = 0; i < map->n; i++)
		if (scalar_is(map->kids[2 * i], key))
			return (long)i;
	return -1;
}

__attribute__((format(printf, 4, 5))) static int fail_at(struct builder *b, int line, int col,
                                                         const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return err_set(b->e, ERR_USAGE, "%s:%d:%d: %s", b->d->name, line, col, what);
}

static int oom(struct builder *b)
{
	return err_set(b->e, ERR_FAIL, "%s: out of memory", b->d->name);
}

static int too_many(struct builder *b, int line, int col)
{
	return fail_at(b, line, col,
	               "too large with aliases expanded (limits: %d copied nodes, %d nodes, %d "
	               "bytes of text): refused as a likely alias bomb",
	               YAML_COPIES_MAX, YAML_NODES_MAX, YAML_BYTES_MAX);
}

/* Appends a key/value pair to a mapping; both are taken over, also on failure. */
static int pair_push(struct yaml_node *m, struct yaml_node *k, struct yaml_node *v)
{
	if (!k || !v || grow((void **)&m->kids, &m->cap, 2 * m->n + 2, sizeof *m->kids) < 0) {
		yaml_node_free(k);
		yaml_node_free(v);
		return ERR_FAIL;
	}
	m->kids[2 * m->n] = k;
	m->kids[2 * m->n + 1] = v;
	m->n++;
	return 0;
}

/* Applies "<<" keys of a finished mapping (keys: its key index): keys of the merged
 * mappings the mapping lacks are added (earlier sources win over later ones), then the
 * "<<" pair is removed. */
static int apply_merge(struct builder *b, struct yaml_node *m, struct hmap *keys)
{
	struct yaml_node *key = hget(keys, "<<"), *src;
	size_t at = 0;
	if (!key || !key->plain)
		return 0;
	while (at < m->n && m->kids[2 * at] != key)
		at++;
	if (at == m->n)
		return 0;
	src = m->kids[2 * at + 1];
	if (src->kind != YAML_KIND_MAP && src->kind != YAML_KIND_SEQ)
		return fail_at(b, src->line, src->col, "%s", "merge key << needs a mapping");
	if (grow((void **)&b->limbo, &b->caplimbo, b->nlimbo + 2, sizeof *b->limbo) < 0)
		return oom(b);
	/* the key stays alive too: the index still points at its text */
	b->limbo[b->nlimbo++] = key;
	b->limbo[b->nlimbo++] = src;
	memmove(&m->kids[2 * at], &m->kids[2 * at + 2], (2 * (m->n - at) - 2) * sizeof *m->kids);
	m->n--;
	for (size_t s = 0; s < (src->kind == YAML_KIND_SEQ ? src->n : 1); s++) {
		const struct yaml_node *mm = src->kind == YAML_KIND_SEQ ? src->kids[s] : src;
		if (mm->kind != YAML_KIND_MAP)
			return fail_at(b, mm->line, mm->col, "%s", "merge key << needs mappings");
		for (size_t i = 0; i < mm->n; i++) {
			struct yaml_node *k, *v;
			if (hget(keys, mm->kids[2 * i]->str))
				continue;
			k = clone_counted(mm->kids[2 * i], b->d);
			v = k ? clone_counted(mm->kids[2 * i + 1], b->d) : NULL;
			if (pair_push(m, k, v) < 0)
				return over_budget(b->d) ? too_many(b, mm->line, mm->col) : oom(b);
			if (hput(keys, k->str, k) < 0)
				return oom(b);
		}
	}
	return 0;
}

/* Hands a finished node to its parent (or makes it the root) and records its anchor. n is
 * taken over, also on failure. */
static int attach(struct builder *b, struct yaml_node *n, const char *anchor)
{
	struct frame *f;
	if (anchor) {
		char *name;
		if (grow((void **)&b->names, &b->capnames, b->nnames + 1, sizeof *b->names) < 0 ||
		    !(name = strdup(anchor))) {
			yaml_node_free(n);
			return oom(b);
		}
		b->names[b->nnames++] = name;
		if (hput(&b->anchors, name, n) < 0) { /* a redefined anchor: the latest wins */
			yaml_node_free(n);
			return oom(b);
		}
	}
	if (b->depth == 0) {
		b->d->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->n->kind == YAML_KIND_SEQ) {
		if (kid_push(f->n, n) < 0) {
			yaml_node_free(n);
			return oom(b);
		}
		f->n->n++;
		return 0;
	}
	if (f->key) {
		struct yaml_node *k = f->key;
		f->key = NULL;
		return pair_push(f->n, k, n) < 0 ? oom(b) : 0;
	}
	f->key = n;
	if (n->kind != YAML_KIND_SCALAR)
		return fail_at(b, n->line, n->col, "%s", "mapping keys must be scalars");
	if (hget(&f->keys, n->str))
		return fail_at(b, n->line, n->col, "duplicate key \"%.200s\"", n->str);
	return hput(&f->keys, n->str, n) < 0 ? oom(b) : 0;
}

static const char *anchor_of(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	struct yaml_node *n = NULL;
	int rc;
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1)
			return fail_at(b, line, col, "%s",
			               "several YAML documents in one file are not supported");
		return 0;
	case YAML_SCALAR_EVENT:
		if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
			return fail_at(b, line, col, "%s", "NUL character in a scalar");
		b->d->bytes += ev->data.scalar.length;
		if (++b->d->nodes > YAML_NODES_MAX || b->d->bytes > YAML_BYTES_MAX)
			return too_many(b, line, col);
		if (!(n = node_new(YAML_KIND_SCALAR)) ||
		    !(n->str = malloc(ev->data.scalar.length + 1))) {
			free(n);
			return oom(b);
		}
		memcpy(n->str, ev->data.scalar.value, ev->data.scalar.length);
		n->str[ev->data.scalar.length] = 0;
		n->len = ev->data.scalar.length;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		           ev->data.scalar.plain_implicit;
		break;
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		const struct yaml_node *target = hget(&b->anchors, name);
		if (!target)
			return fail_at(b, line, col,
			               "alias *%.200s names no anchor defined before it", name);
		if (b->depth + node_height(target) > YAML_DEPTH_MAX)
			return fail_at(b, line, col, "alias *%.200s nests too deep", name);
		if (!(n = clone_counted(target, b->d)))
			return over_budget(b->d) ? too_many(b, line, col) : oom(b);
		n->line = line;
		n->col = col;
		break;
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		struct frame *f;
		const char *a = anchor_of(ev);
		if (b->depth >= YAML_DEPTH_MAX) {
			return fail_at(b, line, col, "nested deeper than %d levels",
			               YAML_DEPTH_MAX);
		}
		if (++b->d->nodes > YAML_NODES_MAX)
			return too_many(b, line, col);
		n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? YAML_KIND_SEQ : YAML_KIND_MAP);
		if (!n)
			return oom(b);
		n->line = line;
		n->col = col;
		n->file = b->d->name;
		f = &b->stack[b->depth++];
		f->n = n;
		f->key = NULL;
		f->anchor = NULL;
		memset(&f->keys, 0, sizeof f->keys);
		if (a && !(f->anchor = strdup(a)))
			return oom(b);
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame *f;
		if (b->depth == 0 || !b->stack[b->depth - 1].n)
			return fail_at(b, line, col, "%s", "unbalanced YAML events");
		f = &b->stack[--b->depth];
		n = f->n;
		f->n = NULL;
		rc = n->kind == YAML_KIND_MAP ? apply_merge(b, n, &f->keys) : 0;
		hfree(&f->keys);
		if (rc == 0)
			rc = attach(b, n, f->anchor);
		else
			yaml_node_free(n);
		free(f->anchor);
		f->anchor = NULL;
		return rc;
	}
	default:
		return 0;
	}
	n->line = line;
	n->col = col;
	n->file = b->d->name;
	return attach(b, n, anchor_of(ev));
}

static void builder_free(struct builder *b)
{
	for (int i = 0; i < b->depth; i++) {
		yaml_node_free(b->stack[i].n);
		yaml_node_free(b->stack[i].key);
		free(b->stack[i].anchor);
		hfree(&b->stack[i].keys);
	}
	hfree(&b->anchors);
	for (size_t i = 0; i < b->nnames; i++)
		free(b->names[i]);
	free(b->names);
	for (size_t i = 0; i < b->nlimbo; i++)
		yaml_node_free(b->limbo[i]);
	free(b->limbo);
}

void yaml_doc_free(struct yaml_doc *d)
{
	if (!d)
		return;
	yaml_node_free(d->root);
	free(d->name);
	memset(d, 0, sizeof *d);
}

int yaml_load_mem(const char *name, const char *p, size_t n, struct yaml_doc *d, struct err *e)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct builder b;
	struct err local;
	int rc = 0, done = 0;
	memset(d, 0, sizeof *d);
	memset(&b, 0, sizeof b);
	if (!p)
		p = ""; /* libyaml asserts on a NULL input even when n is 0 */
	if (!e) {
		err_init(&local);
		e = &local;
	}
	if (!(d->name = strdup(name ? name : "<yaml>")))
		return err_set(e, ERR_FAIL, "out of memory");
	if (n > YAML_FILE_MAX) {
		rc = err_set(e, ERR_USAGE, "%s: larger than the limit of %d bytes", d->name,
		             YAML_FILE_MAX);
		yaml_doc_free(d);
		return rc;
	}
	b.d = d;
	b.e = e;
	if (!yaml_parser_initialize(&parser)) {
		yaml_doc_free(d);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)p, n);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			size_t line = parser.problem_mark.line + 1,
			       col = parser.problem_mark.column + 1;
			if (parser.error == YAML_MEMORY_ERROR)
				rc = err_set(e, ERR_FAIL, "%s: out of memory", d->name);
			else if (parser.context)
				rc = err_set(e, ERR_USAGE, "%s:%zu:%zu: %s %s", d->name, line, col,
				             parser.problem ? parser.problem : "syntax error",
				             parser.context);
			else
				rc = err_set(e, ERR_USAGE, "%s:%zu:%zu: %s", d->name, line, col,
				             parser.problem ? parser.problem : "syntax error");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(&b, &ev);
		yaml_event_delete(&ev);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&parser);
	builder_free(&b);
	if (rc < 0) {
		if (!e->code)
			err_set(e, rc, "%s: cannot load", d->name);
		yaml_doc_free(d);
		return rc;
	}
	return 0;
}

int yaml_load_file(const char *path, struct yaml_doc *d, struct err *e)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int fd, rc = 0;
	memset(d, 0, sizeof *d);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_sys(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "%s", path);
	if (fstat(fd, &st) < 0) {
		rc = err_sys(e, ERR_FAIL, errno, "%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_USAGE, "%s: not a regular file", path);
		goto out;
	}
	if (!(data = malloc(YAML_FILE_MAX + 1))) {
		rc = err_set(e, ERR_FAIL, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, data + len, YAML_FILE_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = err_sys(e, ERR_FAIL, errno, "%s", path);
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > YAML_FILE_MAX) {
			rc = err_set(e, ERR_USAGE, "%s: larger than the limit of %d bytes", path,
			             YAML_FILE_MAX);
			goto out;
		}
	}
	rc = yaml_load_mem(path, data, len, d, e);
out:
	free(data);
	close(fd);
	return rc;
}

struct yaml_node *yaml_path_get(const struct yaml_node *root, const char *dotted)
{
	const struct yaml_node *n = root;
	char key[256];
	const char *p = dotted;
	while (n && p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l >= sizeof key)
			return NULL;
		memcpy(key, p, l);
		key[l] = 0;
		if (n->kind == YAML_KIND_MAP) {
			n = yaml_map_get(n, key);
		} else if (n->kind == YAML_KIND_SEQ && l > 0 && strspn(key, "0123456789") == l) {
			char *end;
			unsigned long i = strtoul(key, &end, 10);
			n = i < n->n ? n->kids[i] : NULL;
		} else {
			return NULL;
		}
		p = dot ? dot + 1 : NULL;
	}
	return (struct yaml_node *)n;
}

int yaml_is_null(const struct yaml_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	if (!n)
		return 1;
	if (n->kind != YAML_KIND_SCALAR || !n->plain)
		return 0;
	for (int i = 0; nulls[i]; i++)
		if (strcmp(n->str, nulls[i]) == 0)
			return 1;
	return 0;
}

const char *yaml_str(const struct yaml_node *n)
{
	return n && n->kind == YAML_KIND_SCALAR ? n->str : NULL;
}

int yaml_bool(const struct yaml_node *n, int *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
	                                  "YES",  "on",   "On",   "ON",  NULL};
	static const char *const no[] = {"false", "False", "FALSE", "no",  "No",
	                                 "NO",    "off",   "Off",   "OFF", NULL};
	if (!n || n->kind != YAML_KIND_SCALAR)
		return ERR_USAGE;
	for (int i = 0; yes[i]; i++)
		if (strcmp(n->str, yes[i]) == 0)
			return *out = 1, 0;
	for (int i = 0; no[i]; i++)
		if (strcmp(n->str, no[i]) == 0)
			return *out = 0, 0;
	return ERR_USAGE;
}

const char *yaml_kind_name(const struct yaml_node *n)
{
	if (!n)
		return "nothing";
	return n->kind == YAML_KIND_SCALAR ? "scalar"
	       : n->kind == YAML_KIND_SEQ  ? "sequence"
	                                   : "mapping";
}

struct yaml_node *yaml_new_str(const char *s)
{
	struct yaml_node *n = node_new(YAML_KIND_SCALAR);
	if (n && !(n->str = strdup(s ? s : ""))) {
		free(n);
		return NULL;
	}
	if (n)
		n->len = strlen(n->str);
	return n;
}

struct yaml_node *yaml_new_map(void)
{
	return node_new(YAML_KIND_MAP);
}

struct yaml_node *yaml_new_seq(void)
{
	return node_new(YAML_KIND_SEQ);
}

int yaml_map_put(struct yaml_node *map, const char *key, struct yaml_node *value)
{
	struct yaml_node *k;
	long i;
	if (!map || map->kind != YAML_KIND_MAP || !value) {
		yaml_node_free(value);
		return ERR_FAIL;
	}
	if ((i = pair_index(map, key)) >= 0) {
		yaml_node_free(map->kids[2 * i + 1]);
		map->kids[2 * i + 1] = value;
		return 0;
	}
	if (!(k = yaml_new_str(key)) ||
	    grow((void **)&map->kids, &map->cap, 2 * map->n + 2, sizeof *map->kids) < 0) {
		yaml_node_free(k);
		yaml_node_free(value);
		return ERR_FAIL;
	}
	k->plain = 1;
	map->kids[2 * map->n] = k;
	map->kids[2 * map->n + 1] = value;
	map->n++;
	return 0;
}

int yaml_seq_push(struct yaml_node *seq, struct yaml_node *item)
{
	if (!seq || seq->kind != YAML_KIND_SEQ || !item || kid_push(seq, item) < 0) {
		yaml_node_free(item);
		return ERR_FAIL;
	}
	seq->n++;
	return 0;
}

int yaml_merge(struct yaml_node **child, const struct yaml_node *parent, struct err *e)
{
	struct yaml_node *c = *child;
	struct hmap idx = {0};
	int rc = 0;
	if (!parent)
		return 0;
	if (!c || yaml_is_null(c)) {
		struct yaml_node *copy = yaml_clone(parent);
		if (!copy)
			return err_set(e, ERR_FAIL, "out of memory merging configuration");
		yaml_node_free(c);
		*child = copy;
		return 0;
	}
	if (c->kind != YAML_KIND_MAP || parent->kind != YAML_KIND_MAP)
		return 0;
	/* the child's keys by text, values are pair numbers + 1 */
	for (size_t i = 0; i < c->n; i++)
		if (hput(&idx, c->kids[2 * i]->str, (void *)(uintptr_t)(i + 1)) < 0)
			goto oom;
	for (size_t i = 0; i < parent->n; i++) {
		const char *key = parent->kids[2 * i]->str;
		uintptr_t at = (uintptr_t)hget(&idx, key);
		if (at) {
			if ((rc = yaml_merge(&c->kids[2 * (at - 1) + 1], parent->kids[2 * i + 1],
			                     e)) < 0)
				goto out;
			continue;
		}
		if (pair_push(c, yaml_clone(parent->kids[2 * i]),
		              yaml_clone(parent->kids[2 * i + 1])) < 0 ||
		    hput(&idx, c->kids[2 * (c->n - 1)]->str, (void *)(uintptr_t)c->n) < 0)
			goto oom;
	}
	goto out;
oom:
	rc = err_set(e, ERR_FAIL, "out of memory merging configuration");
out:
	hfree(&idx);
	return rc;
}

/* 1 when text written plain would not read back as the same string (null, bool, number,
 * timestamp...): such text must be quoted. */
static int looks_special(const char *s)
{
	static const char *const words[] = {
	    "~",     "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
	    "FALSE", "yes",  "Yes",  "YES",  "no",   "No",   "NO",   "on",    "On",
	    "ON",    "off",  "Off",  "OFF",  "y",    "Y",    "n",    "N",     "<<",
	    ".inf",  ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL};
	if (!*s)
		return 1;
	for (int i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return 1;
	return strchr("0123456789+-.", *s) != NULL;
}

static int emit_write(void *data, unsigned char *p, size_t n)
{
	return buf_append(data, p, n) == 0;
}

/* is_key: a mapping key, whose text is all that counts (null does not apply to it). */
static int emit_node(yaml_emitter_t *em, const struct yaml_node *n, int depth, int is_key)
{
	yaml_event_t ev;
	if (depth > YAML_DEPTH_MAX * 4)
		return 0;
	if (!n || (!is_key && yaml_is_null(n))) {
		/* written out, as an empty plain scalar in flow context would become '' */
		if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)"null", 4, 1, 1,
		                                  YAML_ANY_SCALAR_STYLE))
			return 0;
		return yaml_emitter_emit(em, &ev);
	}
	if (n->kind == YAML_KIND_SCALAR) {
		int plain_ok = n->plain || !looks_special(n->str);
		yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
		if (!n->plain && strchr(n->str, '\n'))
			style = YAML_LITERAL_SCALAR_STYLE;
		if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->str,
		                                  (int)n->len, plain_ok, 1, style))
			return 0;
		return yaml_emitter_emit(em, &ev);
	}
	if (n->kind == YAML_KIND_SEQ) {
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                          YAML_ANY_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
		for (size_t i = 0; i < n->n; i++)
			if (!emit_node(em, n->kids[i], depth + 1, 0))
				return 0;
		return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_ANY_MAPPING_STYLE) ||
	    !yaml_emitter_emit(em, &ev))
		return 0;
	for (size_t i = 0; i < 2 * n->n; i++)
		if (!emit_node(em, n->kids[i], depth + 1, i % 2 == 0))
			return 0;
	return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
}

int yaml_emit_text(const struct yaml_node *n, struct buf *out, struct err *e)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ok;
	size_t start = out->len;
	if (!yaml_emitter_initialize(&em))
		return err_set(e, ERR_FAIL, "out of memory");
	yaml_emitter_set_output(&em, emit_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
	     yaml_emitter_emit(&em, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
	     yaml_emitter_emit(&em, &ev) && emit_node(&em, n, 0, 0) &&
	     yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) &&
	     yaml_emitter_flush(&em);
	if (!ok) {
		const char *why = em.problem ? em.problem : "output limit reached";
		yaml_emitter_delete(&em);
		out->len = start;
		if (out->p)
			out->p[start] = 0;
		return err_set(e, ERR_FAIL, "cannot write YAML: %s", why);
	}
	yaml_emitter_delete(&em);
	return 0;
}
