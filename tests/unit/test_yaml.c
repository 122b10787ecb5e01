/* test_yaml.c - the YAML tree: positions, errors, aliases and their bounds, merge, emit */
#include "t.h"

#include <stdio.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
/* by path: in the static build the vendored libyaml's own yaml.h comes first on -I */
#include "../../src/yaml.h"

static int load(const char *text, struct yaml_doc *d, struct err *e)
{
	err_init(e);
	return yaml_load_mem("test.yml", text, strlen(text), d, e);
}

/* Structural equality: nulls are null whatever their spelling, other scalars by text. */
static int same(const struct yaml_node *a, const struct yaml_node *b)
{
	if (yaml_is_null(a) || yaml_is_null(b))
		return yaml_is_null(a) && yaml_is_null(b);
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	if (a->kind == YAML_KIND_SCALAR)
		return strcmp(a->str, b->str) == 0;
	for (size_t i = 0; i < (a->kind == YAML_KIND_MAP ? 2 : 1) * a->n; i++)
		if (!same(a->kids[i], b->kids[i]))
			return 0;
	return 1;
}

static void test_load_basic(void)
{
	struct yaml_doc d;
	struct err e;
	const char *text = "name: my-workspace\n"
	                   "config:\n"
	                   "  registry:\n"
	                   "    url: my-registry.com\n"
	                   "  list: [a, 'b', \"c\"]\n"
	                   "empty:\n"
	                   "t: yes\n"
	                   "q: 'true'\n"
	                   "multi: |\n"
	                   "  line1\n"
	                   "  line2\n";
	T_EQ_INT(load(text, &d, &e), 0);
	T_CHECK(d.root && d.root->kind == YAML_KIND_MAP);
	T_EQ_INT(d.root->n, 6);
	T_EQ_STR(yaml_str(yaml_map_get(d.root, "name")), "my-workspace");
	struct yaml_node *url = yaml_path_get(d.root, "config.registry.url");
	T_EQ_STR(yaml_str(url), "my-registry.com");
	T_EQ_INT(url->line, 4);
	T_EQ_INT(url->col, 10);
	T_EQ_STR(url->file, "test.yml");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "config.list.1")), "b");
	T_CHECK(yaml_path_get(d.root, "config.list.3") == NULL);
	T_CHECK(yaml_path_get(d.root, "config.list.x") == NULL);
	T_CHECK(yaml_path_get(d.root, "name.x") == NULL);
	T_CHECK(yaml_path_get(d.root, "nope.x") == NULL);
	T_CHECK(yaml_is_null(yaml_map_get(d.root, "empty")));
	T_CHECK(yaml_is_null(yaml_map_get(d.root, "absent")));
	T_CHECK(!yaml_is_null(yaml_map_get(d.root, "q")));
	int v = 7;
	T_EQ_INT(yaml_bool(yaml_map_get(d.root, "t"), &v), 0);
	T_EQ_INT(v, 1);
	T_EQ_INT(yaml_bool(yaml_map_get(d.root, "name"), &v), ERR_USAGE);
	T_EQ_STR(yaml_str(yaml_map_get(d.root, "multi")), "line1\nline2\n");
	T_EQ_STR(yaml_kind_name(yaml_map_get(d.root, "config")), "mapping");
	T_EQ_STR(yaml_kind_name(NULL), "nothing");
	yaml_doc_free(&d);
	T_EQ_INT(load("", &d, &e), 0);
	T_CHECK(d.root == NULL);
	yaml_doc_free(&d);
	T_EQ_INT(load("# only a comment\n", &d, &e), 0);
	T_CHECK(d.root == NULL);
	yaml_doc_free(&d);
}

struct err_case {
	const char *text, *msg;
};

static void test_errors(void)
{
	static const struct err_case cases[] = {
	    {"a: b\n  c: d\n", "test.yml:2:4: mapping values are not allowed"},
	    {"a: [1, 2\n", "test.yml:2:1: did not find expected ',' or ']'"},
	    {"a: 1\na: 2\n", "test.yml:2:1: duplicate key \"a\""},
	    {"x:\n  - 1\n  - {k: v, k: w}\n", "test.yml:3:12: duplicate key \"k\""},
	    {"? [a]\n: b\n", "test.yml:1:3: mapping keys must be scalars"},
	    {"a: *nope\n", "test.yml:1:4: alias *nope names no anchor"},
	    {"a: &x [*x]\n", "alias *x names no anchor"},
	    {"a: 1\n---\nb: 2\n", "test.yml:2:1: several YAML documents"},
	    {"a: \"x\\0y\"\n", "test.yml:1:4: NUL character"},
	    {"a: \"\\xff\"\nb: '\t", "test.yml:"},
	    {"a: b\x01\n", "control characters are not allowed"},
	    {"a: @x\n", "test.yml:1:4: found character that cannot start any token"},
	    {"<<: 3\n", "test.yml:1:5: merge key << needs a mapping"},
	    {"<<: [1]\n", "merge key << needs mappings"},
	    {"\t- x\n", "test.yml:1:1:"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct yaml_doc d;
		struct err e;
		int rc = load(cases[i].text, &d, &e);
		T_CHECKF(rc == ERR_USAGE, "case %zu: rc %d", i, rc);
		T_CHECKF(strstr(e.msg, cases[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
		         e.msg, cases[i].msg);
		T_CHECK(d.root == NULL && d.name == NULL);
	}
}

static void test_aliases(void)
{
	struct yaml_doc d;
	struct err e;
	const char *text = "base: &b\n"
	                   "  image: alpine\n"
	                   "  tags: [x, y]\n"
	                   "copy: *b\n"
	                   "over:\n"
	                   "  <<: *b\n"
	                   "  image: debian\n"
	                   "multi:\n"
	                   "  <<: [{a: 1, b: 1}, {b: 2, c: 2}]\n"
	                   "  c: 3\n"
	                   "s: &s hello\n"
	                   "t: *s\n";
	T_CHECKF(load(text, &d, &e) == 0, "%s", e.msg);
	T_CHECK(same(yaml_map_get(d.root, "base"), yaml_map_get(d.root, "copy")));
	T_EQ_INT(yaml_path_get(d.root, "copy")->line, 4);
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "over.image")), "debian");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "over.tags.1")), "y");
	T_CHECK(yaml_map_get(yaml_map_get(d.root, "over"), "<<") == NULL);
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "multi.a")), "1");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "multi.b")), "1");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "multi.c")), "3");
	T_EQ_STR(yaml_str(yaml_map_get(d.root, "t")), "hello");
	yaml_doc_free(&d);
	/* an anchor inside a merge value stays usable after the merge */
	T_CHECKF(load("m:\n  <<: &in {k: v}\nn: *in\n", &d, &e) == 0, "%s", e.msg);
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "n.k")), "v");
	T_EQ_STR(yaml_str(yaml_path_get(d.root, "m.k")), "v");
	yaml_doc_free(&d);
}

static void test_bombs(void)
{
	struct yaml_doc d;
	struct err e;
	struct buf b;
	/* billion laughs: 10^9 strings if expanded */
	const char *lol = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
	                  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	                  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	                  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	                  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
	                  "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
	                  "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	T_EQ_INT(load(lol, &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "alias bomb") != NULL, "%s", e.msg);
	/* the same through merge keys */
	T_EQ_INT(load("a: &a {a0: 1, a1: 1, a2: 1, a3: 1, a4: 1, a5: 1, a6: 1, a7: 1}\n"
	              "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	              "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	              "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	              "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
	              &d, &e),
	         ERR_USAGE);
	T_CHECKF(strstr(e.msg, "alias bomb") != NULL, "%s", e.msg);
	/* few nodes, much text: a long string repeated by aliases */
	buf_init(&b, 0);
	buf_puts(&b, "a: &a \"");
	for (int i = 0; i < 200000; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"\nb: [");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "*a, ");
	buf_puts(&b, "*a]\n");
	err_init(&e);
	T_EQ_INT(yaml_load_mem("big", b.p, b.len, &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "big:2:") && strstr(e.msg, "alias bomb"), "%s", e.msg);
	buf_free(&b);
	/* nesting */
	buf_init(&b, 0);
	for (int i = 0; i < YAML_DEPTH_MAX + 1; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < YAML_DEPTH_MAX + 1; i++)
		buf_putc(&b, ']');
	T_EQ_INT(load(buf_cstr(&b), &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "nested deeper than 64") != NULL, "%s", e.msg);
	buf_reset(&b);
	for (int i = 0; i < YAML_DEPTH_MAX - 1; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < YAML_DEPTH_MAX - 1; i++)
		buf_putc(&b, ']');
	T_EQ_INT(load(buf_cstr(&b), &d, &e), 0);
	yaml_doc_free(&d);
	/* deep anchor placed deep by an alias */
	buf_reset(&b);
	buf_puts(&b, "a: &a ");
	for (int i = 0; i < 40; i++)
		buf_putc(&b, '[');
	for (int i = 0; i < 40; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "\nb: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n");
	T_EQ_INT(load(buf_cstr(&b), &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "nests too deep") != NULL, "%s", e.msg);
	/* size limit on files and on memory */
	char path[] = "/tmp/test_yaml_XXXXXX";
	int fd = mkstemp(path);
	T_CHECK(fd >= 0);
	buf_reset(&b);
	buf_puts(&b, "a: ");
	while (b.len < YAML_FILE_MAX + 10)
		buf_puts(&b, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	T_EQ_INT(write(fd, b.p, b.len), (long long)b.len);
	close(fd);
	err_init(&e);
	T_EQ_INT(yaml_load_file(path, &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "larger than the limit") != NULL, "%s", e.msg);
	T_EQ_INT(yaml_load_mem("m", b.p, b.len, &d, &e), ERR_USAGE);
	unlink(path);
	err_init(&e);
	T_EQ_INT(yaml_load_file(path, &d, &e), ERR_NOTFOUND);
	T_CHECK(strstr(e.msg, path) != NULL);
	err_init(&e);
	T_EQ_INT(yaml_load_file("/tmp", &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "not a regular file") != NULL, "%s", e.msg);
	buf_free(&b);
	/* many nodes without aliases: the file size bounds them, the copy limit does not */
	buf_init(&b, 0);
	buf_putc(&b, '[');
	for (int i = 0; i < 400000; i++)
		buf_puts(&b, "1,");
	buf_putc(&b, ']');
	err_init(&e);
	T_CHECKF(yaml_load_mem("m", b.p, b.len, &d, &e) == 0, "%s", e.msg);
	T_EQ_INT(d.root->n, 400000);
	T_EQ_INT(d.copies, 0);
	yaml_doc_free(&d);
	/* a wide mapping: keys are indexed, so this is quick, and a late duplicate is found */
	buf_reset(&b);
	for (int i = 0; i < 40000; i++)
		buf_printf(&b, "k%d: %d\n", i, i);
	err_init(&e);
	T_CHECKF(yaml_load_mem("m", b.p, b.len, &d, &e) == 0, "%s", e.msg);
	T_EQ_INT(d.root->n, 40000);
	T_EQ_STR(yaml_str(yaml_map_get(d.root, "k39999")), "39999");
	struct yaml_node *wide = yaml_new_map();
	T_EQ_INT(yaml_map_put(wide, "k1", yaml_new_str("mine")), 0);
	T_EQ_INT(yaml_merge(&wide, d.root, &e), 0);
	T_EQ_INT(wide->n, 40000);
	T_EQ_STR(yaml_str(yaml_map_get(wide, "k1")), "mine");
	T_EQ_STR(yaml_str(yaml_map_get(wide, "k2")), "2");
	yaml_node_free(wide);
	yaml_doc_free(&d);
	buf_puts(&b, "k0: again\n");
	err_init(&e);
	T_EQ_INT(yaml_load_mem("m", b.p, b.len, &d, &e), ERR_USAGE);
	T_CHECKF(strstr(e.msg, "m:40001:1: duplicate key \"k0\"") != NULL, "%s", e.msg);
	T_EQ_INT(yaml_load_mem("m", NULL, 0, &d, &e), 0);
	T_CHECK(d.root == NULL);
	yaml_doc_free(&d);
	buf_free(&b);
}

static void test_merge(void)
{
	struct yaml_doc c, p, want;
	struct err e;
	T_EQ_INT(load("a: 1\nsub:\n  x: child\n  list: [c]\nnull_here:\nonly_child: 1\n", &c, &e),
	         0);
	T_EQ_INT(load("a: 2\nsub:\n  x: parent\n  y: parent\n  list: [p1, p2]\n"
	              "null_here: {k: v}\nonly_parent: {q: 1}\n",
	              &p, &e),
	         0);
	T_EQ_INT(load("a: 1\nsub:\n  x: child\n  list: [c]\n  y: parent\nnull_here: {k: v}\n"
	              "only_child: 1\nonly_parent: {q: 1}\n",
	              &want, &e),
	         0);
	T_EQ_INT(yaml_merge(&c.root, p.root, &e), 0);
	T_CHECK(same(c.root, want.root));
	/* the merged tree is a copy: freeing the parent leaves it intact */
	yaml_doc_free(&p);
	T_EQ_STR(yaml_str(yaml_path_get(c.root, "only_parent.q")), "1");
	struct yaml_node *none = NULL;
	T_EQ_INT(yaml_merge(&none, want.root, &e), 0);
	T_CHECK(same(none, want.root));
	yaml_node_free(none);
	T_EQ_INT(yaml_merge(&c.root, NULL, &e), 0);
	yaml_doc_free(&c);
	yaml_doc_free(&want);
}

static void test_emit(void)
{
	struct yaml_doc d, back;
	struct err e;
	struct buf out;
	const char *text = "name: ws\n"
	                   "q: 'true'\n"
	                   "n: '123'\n"
	                   "e: ''\n"
	                   "nul: ~\n"
	                   "colon: 'a: b'\n"
	                   "hash: 'x #y'\n"
	                   "script:\n"
	                   "  - echo ${VAR}\n"
	                   "  - \"multi\\nline\\n\"\n"
	                   "nested: {a: [1, {b: c}], d: {}}\n"
	                   "list: []\n"
	                   "flow: {k: , l: [~]}\n"
	                   "uni: \"gr\xc3\xbc\xc3\x9f\"\n";
	T_EQ_INT(load(text, &d, &e), 0);
	buf_init(&out, 0);
	T_EQ_INT(yaml_emit_text(d.root, &out, &e), 0);
	T_EQ_INT(yaml_load_mem("back", out.p, out.len, &back, &e), 0);
	T_CHECKF(same(d.root, back.root), "%s", buf_cstr(&out));
	T_CHECK(!yaml_is_null(yaml_map_get(back.root, "q")));
	T_CHECK(yaml_is_null(yaml_map_get(back.root, "nul")));
	T_CHECK(strstr(buf_cstr(&out), "name: ws\n") != NULL);
	T_CHECK(strstr(buf_cstr(&out), "nul: null\n") != NULL);
	T_CHECK(strstr(buf_cstr(&out), "echo ${VAR}") != NULL);
	yaml_doc_free(&back);
	yaml_doc_free(&d);
	/* built trees */
	struct yaml_node *m = yaml_new_map(), *s = yaml_new_seq();
	T_EQ_INT(yaml_seq_push(s, yaml_new_str("one")), 0);
	T_EQ_INT(yaml_seq_push(s, yaml_new_str("2")), 0);
	T_EQ_INT(yaml_map_put(m, "workspace", yaml_new_str("ws")), 0);
	T_EQ_INT(yaml_map_put(m, "list", s), 0);
	T_EQ_INT(yaml_map_put(m, "workspace", yaml_new_str("null")), 0);
	T_EQ_INT(yaml_map_put(s, "x", yaml_new_str("y")), ERR_FAIL); /* not a map */
	T_EQ_INT(m->n, 2);
	buf_reset(&out);
	T_EQ_INT(yaml_emit_text(m, &out, &e), 0);
	T_EQ_STR(buf_cstr(&out), "workspace: 'null'\nlist:\n- one\n- '2'\n");
	T_EQ_INT(yaml_load_mem("b", out.p, out.len, &back, &e), 0);
	T_CHECK(same(m, back.root));
	yaml_doc_free(&back);
	buf_reset(&out);
	T_EQ_INT(yaml_emit_text(NULL, &out, &e), 0);
	T_EQ_STR(buf_cstr(&out), "null\n");
	/* an output limit fails cleanly */
	struct buf small;
	buf_init(&small, 8);
	err_init(&e);
	T_EQ_INT(yaml_emit_text(m, &small, &e), ERR_FAIL);
	T_EQ_INT(small.len, 0);
	buf_free(&small);
	yaml_node_free(m);
	buf_free(&out);
}

T_MAIN(test_load_basic, test_errors, test_aliases, test_bombs, test_merge, test_emit)
