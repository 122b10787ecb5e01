/* tmpl.c - {{ .dotted.lookups }} in action script lines, and nothing else */
#include "tmpl.h"

#include "buf.h"
#include "yaml.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int valid_path(const char *p)
{
	/* .name(.name)*, names of letters, digits, '_' and '-' */
	if (*p != '.')
		return 0;
	while (*p == '.') {
		p++;
		if (!isalnum((unsigned char)*p) && *p != '_')
			return 0;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
			p++;
	}
	return *p == 0;
}

static int lookup(const char *path, const struct tmpl_vars *v, struct buf *out, struct err *e)
{
	const struct yaml_node *root = NULL, *n;
	const char *rest = NULL;
	if (!strncmp(path, ".workspace", 10) && (path[10] == '.' || !path[10])) {
		root = v->workspace;
		rest = path[10] ? path + 11 : "";
	} else if (!strncmp(path, ".block", 6) && (path[6] == '.' || !path[6])) {
		root = v->block;
		rest = path[6] ? path + 7 : "";
	} else if (!strcmp(path, ".action.name")) {
		if (!v->action)
			return err_set(e, ERR_USAGE, "{{ %s }} has no value here", path);
		return buf_puts(out, v->action) < 0 ? err_set(e, ERR_FAIL, "template too large")
		                                    : 0;
	} else {
		return err_set(e, ERR_USAGE,
		               "{{ %s }}: only .workspace, .block and .action can be looked up",
		               path);
	}
	if (!*rest)
		return err_set(e, ERR_USAGE, "{{ %s }} is a mapping, not a value", path);
	n = root ? yaml_path_get(root, rest) : NULL;
	if (!n)
		return err_set(e, ERR_USAGE, "{{ %s }} has no value", path);
	if (!yaml_str(n))
		return err_set(e, ERR_USAGE, "{{ %s }} is a %s, not a value", path,
		               yaml_kind_name(n));
	if (buf_puts(out, yaml_is_null(n) && n->plain ? "" : yaml_str(n)) < 0)
		return err_set(e, ERR_FAIL, "template output larger than %u bytes", TMPL_OUT_MAX);
	return 0;
}

int tmpl_expand(const char *line, const struct tmpl_vars *v, struct buf *out, struct err *e)
{
	const char *p = line;
	while (*p) {
		const char *open = strstr(p, "{{");
		if (!open)
			return buf_puts(out, p) < 0 ? err_set(e, ERR_FAIL, "template too large")
			                            : 0;
		if (buf_append(out, p, (size_t)(open - p)) < 0)
			return err_set(e, ERR_FAIL, "template too large");
		const char *close = strstr(open + 2, "}}");
		if (!close)
			return err_set(e, ERR_USAGE, "column %d: '{{' without '}}'",
			               (int)(open - line) + 1);
		const char *a = open + 2, *b = close;
		if (*a == '-')
			a++; /* {{- trims in Go; we keep the text as it is */
		if (b > a && b[-1] == '-')
			b--;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		char path[TMPL_PATH_MAX];
		size_t n = (size_t)(b - a);
		if (n == 0 || n >= sizeof path)
			return err_set(e, ERR_USAGE, "column %d: empty or overlong {{ }}",
			               (int)(open - line) + 1);
		memcpy(path, a, n);
		path[n] = 0;
		if (!valid_path(path))
			return err_set(
			    e, ERR_USAGE,
			    "column %d: {{ %s }} is not a dotted lookup (only {{ .block.x }}, "
			    "{{ .workspace.x }} and {{ .action.name }} are supported)",
			    (int)(open - line) + 1, path);
		int rc = lookup(path, v, out, e);
		if (rc < 0)
			return rc;
		p = close + 2;
	}
	return 0;
}
