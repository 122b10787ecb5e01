/* tmpl.h - the small, safe subset of Go templates that action scripts may use */
#ifndef POLYCRATE_TMPL_H
#define POLYCRATE_TMPL_H

#include "err.h"

struct buf;
struct yaml_node;

#define TMPL_PATH_MAX 512 /* bytes of one {{ .dotted.path }} */
#define TMPL_OUT_MAX (1u << 20)

/* The roots a template may look into; each may be NULL (then lookups in it fail). */
struct tmpl_vars {
	const struct yaml_node *workspace; /* .workspace.name, .workspace.config.KEY... */
	const struct yaml_node *block;     /* .block.name, .block.version, .block.config... */
	const char *action;                /* .action.name */
};

/*
 * Appends line with every {{ .a.b.c }} replaced by the scalar it names. Only dotted
 * lookups below .workspace, .block and .action are allowed; anything else (pipes,
 * functions, a missing key, a mapping or list where a value is due, an unclosed "{{") is
 * ERR_USAGE naming where (the caller prefixes file and line). Text without "{{" is copied
 * as it is. 0 or an ERR_ code.
 */
int tmpl_expand(const char *line, const struct tmpl_vars *v, struct buf *out, struct err *e);

#endif
