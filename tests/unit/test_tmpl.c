/* test_tmpl.c - the template subset: lookups that work, everything else refused */
#include "t.h"

#include "buf.h"
#include "err.h"
#include "tmpl.h"
#include "yaml.h"

static void test_expand(void)
{
	static const char ws_text[] = "name: ws1\nconfig:\n  env: prod\n  list: [1, 2]\n";
	static const char b_text[] = "name: hello\nversion: 1.2.3\nconfig:\n  greeting: Hi\n"
	                             "  nested:\n    deep: value\n  empty: ''\n  num: 8080\n";
	static const struct {
		const char *in, *out;
		int rc;
	} cases[] = {
	    {"echo plain", "echo plain", 0},
	    {"echo {{ .block.name }}", "echo hello", 0},
	    {"{{.block.version}}", "1.2.3", 0},
	    {"a{{ .block.config.greeting }}b{{ .block.config.nested.deep }}c", "aHibvaluec", 0},
	    {"port {{ .block.config.num }}", "port 8080", 0},
	    {"x{{ .block.config.empty }}x", "xx", 0},
	    {"{{ .workspace.name }}/{{ .workspace.config.env }}", "ws1/prod", 0},
	    {"{{ .action.name }}", "install", 0},
	    {"${HOME} stays", "${HOME} stays", 0},
	    {"{{- .block.name -}}", "hello", 0},
	    {"{{ .block.config.missing }}", NULL, ERR_USAGE},
	    {"{{ .block.config }}", NULL, ERR_USAGE},
	    {"{{ .workspace.config.list }}", NULL, ERR_USAGE},
	    {"{{ .block.name | upper }}", NULL, ERR_USAGE},
	    {"{{ printf \"%s\" .block.name }}", NULL, ERR_USAGE},
	    {"{{ .env.HOME }}", NULL, ERR_USAGE},
	    {"{{ .block.name", NULL, ERR_USAGE},
	    {"{{ }}", NULL, ERR_USAGE},
	    {"{{ .block..name }}", NULL, ERR_USAGE},
	    {"{{ block.name }}", NULL, ERR_USAGE},
	};
	struct yaml_doc wd = {0}, bd = {0};
	struct err e;
	err_init(&e);
	T_EQ_INT(yaml_load_mem("ws", ws_text, sizeof ws_text - 1, &wd, &e), 0);
	T_EQ_INT(yaml_load_mem("b", b_text, sizeof b_text - 1, &bd, &e), 0);
	struct tmpl_vars v = {wd.root, bd.root, "install"};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf out;
		buf_init(&out, 0);
		err_init(&e);
		int rc = tmpl_expand(cases[i].in, &v, &out, &e);
		T_CHECKF(rc == cases[i].rc, "%s: rc %d", cases[i].in, rc);
		if (cases[i].out)
			T_EQ_STR(buf_cstr(&out), cases[i].out);
		else
			T_CHECKF(e.msg[0] != 0, "%s: a message", cases[i].in);
		buf_free(&out);
	}
	yaml_doc_free(&wd);
	yaml_doc_free(&bd);
}

T_MAIN(test_expand)
