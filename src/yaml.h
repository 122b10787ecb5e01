/* yaml.h - YAML documents as plain trees (on libyaml): positions, bounded aliases, merge */

/*
 * This header shares its name with libyaml's. yaml.c defines POLYCRATE_WANT_LIBYAML and
 * includes <yaml.h>: when -Isrc makes that find this file, libyaml's header is pulled in
 * from further down the include path here. Files outside src/ whose -I path lists the
 * vendored libyaml first (the static test build) include this one as "../../src/yaml.h".
 */
#if defined(POLYCRATE_WANT_LIBYAML) && !defined(YAML_H)
#include_next <yaml.h>
#endif

#ifndef POLYCRATE_YAML_H
#define POLYCRATE_YAML_H

#include <stddef.h>

#include "err.h"

struct buf;

#define YAML_FILE_MAX (1024 * 1024)       /* bytes of one file */
#define YAML_NODES_MAX 1000000            /* nodes of one document, aliases expanded */
#define YAML_COPIES_MAX 100000            /* of those, nodes made by aliases and << merges */
#define YAML_BYTES_MAX (16 * 1024 * 1024) /* scalar text of one document, aliases expanded */
#define YAML_DEPTH_MAX 64                 /* nesting of one document */

enum yaml_kind { YAML_KIND_SCALAR = 1, YAML_KIND_SEQ, YAML_KIND_MAP };

/*
 * A node. Scalars hold str (NUL-terminated, len bytes, never an inner NUL); plain is 1 when
 * the scalar was written without quotes (so "null", "true" keep their YAML meaning).
 * Sequences hold items in kids[0..n); mappings hold pairs as kids[2i] (key, a scalar) and
 * kids[2i+1] (value), n being the number of pairs. line and col are 1-based; file points to
 * the name of the document the node came from (owned by that yaml_doc: keep the document
 * alive while its nodes, or nodes merged from it, are in use). Built nodes have file "".
 */
struct yaml_node {
	enum yaml_kind kind;
	int plain;
	int line, col;
	const char *file;
	char *str;
	size_t len;
	struct yaml_node **kids;
	size_t n, cap;
};

struct yaml_doc {
	struct yaml_node *root; /* NULL for an empty document */
	char *name;             /* the file name used in messages */
	size_t nodes;           /* nodes built, aliases expanded */
	size_t bytes;           /* scalar text built, aliases expanded */
	size_t copies;          /* nodes made by aliases and << merges */
};

/*
 * Loads one YAML document from p (n bytes) named name (for messages). Anchors and aliases
 * are expanded (copied), "<<" merge keys applied; more than YAML_NODES_MAX nodes (YAML_COPIES_MAX
 * of them copies) or YAML_BYTES_MAX bytes of scalar text, nesting deeper than YAML_DEPTH_MAX,
 * duplicate keys, non-scalar keys, several documents and NUL characters are errors. Returns 0 and
 * fills *d (free with yaml_doc_free), or ERR_USAGE with *e naming "name:line:col" (ERR_FAIL when
 * memory runs out); *d is then empty.
 */
int yaml_load_mem(const char *name, const char *p, size_t n, struct yaml_doc *d, struct err *e);
/* Same from a file of at most YAML_FILE_MAX bytes; a missing file is ERR_NOTFOUND. */
int yaml_load_file(const char *path, struct yaml_doc *d, struct err *e);
void yaml_doc_free(struct yaml_doc *d); /* NULL and empty are fine */

/* The value of key in a mapping; NULL when absent or when map is not a mapping. */
struct yaml_node *yaml_map_get(const struct yaml_node *map, const char *key);
/* Follows a dotted path ("config.registry.url"; a number indexes a sequence). NULL when
 * any step is missing. */
struct yaml_node *yaml_path_get(const struct yaml_node *root, const char *dotted);
/* 1 for NULL, or a plain scalar "", "~", "null", "Null", "NULL". */
int yaml_is_null(const struct yaml_node *n);
/* The text of a scalar, NULL for anything else. */
const char *yaml_str(const struct yaml_node *n);
/* A boolean scalar (true/false, yes/no, on/off in their usual cases): 0 and *out, or
 * ERR_USAGE when it is no boolean. */
int yaml_bool(const struct yaml_node *n, int *out);
/* "scalar", "sequence", "mapping" (or "nothing" for NULL): for messages. */
const char *yaml_kind_name(const struct yaml_node *n);

/* Building trees (for merged configs and the run snapshot). NULL when memory runs out.
 * The caller owns the result (yaml_node_free). */
struct yaml_node *yaml_new_str(const char *s);
struct yaml_node *yaml_new_map(void);
struct yaml_node *yaml_new_seq(void);
struct yaml_node *yaml_clone(const struct yaml_node *n);
void yaml_node_free(struct yaml_node *n); /* NULL is fine */
/* Sets key to value (taken over, also on failure) in map, replacing an existing value.
 * 0 or ERR_FAIL. */
int yaml_map_put(struct yaml_node *map, const char *key, struct yaml_node *value);
/* Appends item (taken over, also on failure) to seq. 0 or ERR_FAIL. */
int yaml_seq_push(struct yaml_node *seq, struct yaml_node *item);

/*
 * Deep merge, child over parent: where both are mappings, keys are merged recursively,
 * the child's value winning; anything else keeps the child's value; a NULL *child becomes
 * a copy of parent. *child is changed in place. 0 or ERR_FAIL (then *child may be merged
 * in part, still a valid tree).
 */
int yaml_merge(struct yaml_node **child, const struct yaml_node *parent, struct err *e);

/* Appends n as a YAML document to out (quoted where the text needs it; quoted scalars stay
 * strings). NULL emits "null". 0 or ERR_FAIL. */
int yaml_emit_text(const struct yaml_node *n, struct buf *out, struct err *e);

#endif
