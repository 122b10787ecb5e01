/* resolve.c - from: chains, inheritance and auto-pull */
#include "resolve.h"

#include "ref.h"
#include "workspace.h"
#include "yaml.h"

#include <stdio.h>
#include <string.h>

/* One link of a chain: a blocks: entry of workspace.poly, or a block found on disk. */
struct link {
	const struct workspace_block *b;
	const char *from; /* where it inherits from, or NULL */
};

static const struct workspace_block *ws_entry(const struct workspace *ws, const char *name)
{
	for (size_t i = 0; i < ws->nws_blocks; i++)
		if (ws->ws_blocks[i].name && !strcmp(ws->ws_blocks[i].name, name))
			return &ws->ws_blocks[i];
	return NULL;
}

/* The disk block for a from: REF: by the REF's install path, else by name. 0, ERR_NOTFOUND,
 * or ERR_USAGE (bad reference, or an ambiguous name). */
static int find_from(const struct workspace *ws, const char *from,
                     const struct workspace_block **out, struct err *e)
{
	struct ref r;
	int rc = ref_parse(from, &r, e);
	if (rc < 0) {
		err_prefix(e, "from");
		return rc;
	}
	struct err fe;
	err_init(&fe);
	rc = workspace_find_block(ws, r.path, out, &fe);
	if (rc == ERR_NOTFOUND && strchr(r.path, '/')) {
		const char *last = strrchr(r.path, '/') + 1;
		err_init(&fe);
		rc = workspace_find_block(ws, last, out, &fe);
		/* a bare name only counts when it is not itself an install path elsewhere */
	}
	if (rc == ERR_USAGE)
		*e = fe;
	return rc;
}

/* Walks the chain from what; fills links[]. 0, ERR_NOTFOUND with *missing set to the
 * from: text that is not in the workspace, or another error. */
static int walk(const struct workspace *ws, const char *what, struct link *links, size_t *n,
                const char **missing, struct err *e)
{
	const struct workspace_block *b = ws_entry(ws, what);
	int rc;
	*n = 0;
	*missing = NULL;
	if (!b) {
		rc = workspace_find_block(ws, what, &b, e);
		if (rc < 0) {
			if (rc == ERR_NOTFOUND)
				err_hint(e, "See the blocks with: polycrate blocks list");
			return rc;
		}
	}
	for (;;) {
		if (*n >= RESOLVE_DEPTH_MAX)
			return err_set(e, ERR_USAGE, "block '%s': from: chain longer than %d", what,
			               RESOLVE_DEPTH_MAX);
		/* a cycle: this block is already in the chain */
		for (size_t i = 0; i < *n; i++)
			if (links[i].b == b) {
				char names[2048] = "";
				size_t o = 0;
				for (size_t j = i; j < *n && o < sizeof names; j++)
					o += (size_t)snprintf(names + o, sizeof names - o, "%s -> ",
					                      links[j].b->name ? links[j].b->name
					                                       : "?");
				if (o < sizeof names)
					snprintf(names + o, sizeof names - o, "%s",
					         b->name ? b->name : "?");
				return err_set(e, ERR_USAGE, "from: cycle: %s", names);
			}
		links[*n].b = b;
		links[*n].from = b->from && *b->from ? b->from : NULL;
		(*n)++;
		const struct workspace_block *parent = NULL;
		if (!links[*n - 1].from) {
			/* a blocks: entry without from: overlays the disk block of its name */
			if (!b->dir && b->name &&
			    workspace_find_block(ws, b->name, &parent, NULL) == 0) {
				b = parent;
				continue;
			}
			return 0;
		}
		rc = find_from(ws, links[*n - 1].from, &parent, e);
		if (rc == ERR_NOTFOUND) {
			*missing = links[*n - 1].from;
			return ERR_NOTFOUND;
		}
		if (rc < 0)
			return rc;
		b = parent;
	}
}

int resolve_block(struct workspace *ws, const char *what, resolve_pull_fn pull, void *arg,
                  struct resolved *out, struct err *e)
{
	struct link links[RESOLVE_DEPTH_MAX];
	size_t n = 0;
	const char *missing;
	int rc, pulls = 0;
	memset(out, 0, sizeof *out);

	for (;;) {
		struct err we;
		err_init(&we);
		rc = walk(ws, what, links, &n, &missing, &we);
		if (rc == 0)
			break;
		if (rc != ERR_NOTFOUND || !missing) {
			*e = we;
			return rc;
		}
		if (!pull) {
			err_set(e, ERR_NOTFOUND,
			        "dependency '%s' not found in the Workspace. Please run 'polycrate "
			        "blocks pull %s' or run Polycrate with the --blocks-auto-pull flag",
			        missing, missing);
			return ERR_NOTFOUND;
		}
		if (++pulls > RESOLVE_PULLS_MAX)
			return err_set(e, ERR_FAIL, "more than %d pulls resolving '%s'",
			               RESOLVE_PULLS_MAX, what);
		char ref[1024];
		snprintf(ref, sizeof ref, "%s", missing); /* rescans free what missing points at */
		rc = pull(arg, ref, e);
		if (rc < 0) {
			err_prefix(e, "pulling dependency '%s'", ref);
			return rc;
		}
		rc = workspace_scan_blocks(ws, e);
		if (rc < 0)
			return rc;
		const struct workspace_block *got;
		if (find_from(ws, ref, &got, NULL) != 0)
			return err_set(e, ERR_FAIL,
			               "dependency '%s' was pulled but is still not found", ref);
	}

	/* merge from the root of the chain down: each child over what it inherits */
	struct yaml_node *node = NULL;
	for (size_t k = n; k-- > 0;) {
		const struct workspace_block *b = links[k].b;
		struct yaml_node *child = b->node ? yaml_clone(b->node) : yaml_new_map();
		if (!child) {
			yaml_node_free(node);
			return err_set(e, ERR_FAIL, "out of memory");
		}
		if (node && yaml_merge(&child, node, e) < 0) {
			yaml_node_free(child);
			yaml_node_free(node);
			return ERR_FAIL;
		}
		yaml_node_free(node);
		node = child;
		if (b->name)
			out->name = b->name;
		if (b->version)
			out->version = b->version;
		if (b->kind)
			out->kind = b->kind;
		if (b->dir)
			out->dir = b->dir;
		out->is_template = b->is_template;
		for (size_t i = 0; i < b->nactions; i++) {
			const struct workspace_action *a = &b->actions[i];
			size_t j;
			for (j = 0; j < out->nactions; j++)
				if (a->name && out->actions[j]->name &&
				    !strcmp(a->name, out->actions[j]->name))
					break;
			if (j == out->nactions) {
				if (out->nactions >= RESOLVE_ACTIONS_MAX) {
					yaml_node_free(node);
					return err_set(e, ERR_USAGE, "more than %d actions",
					               RESOLVE_ACTIONS_MAX);
				}
				out->nactions++;
			}
			out->actions[j] = a;
		}
	}
	for (size_t k = 0; k < n; k++)
		out->chain[out->nchain++] = links[k].b->name ? links[k].b->name : "?";
	/* the merged actions, in their merged order, replace the lists the merge kept */
	struct yaml_node *acts = yaml_new_seq();
	for (size_t i = 0; acts && i < out->nactions; i++)
		if (out->actions[i]->node &&
		    yaml_seq_push(acts, yaml_clone(out->actions[i]->node)) < 0)
			acts = NULL;
	if (!acts || yaml_map_put(node, "actions", acts) < 0 ||
	    (out->version && yaml_map_put(node, "version", yaml_new_str(out->version)) < 0) ||
	    (out->name && yaml_map_put(node, "name", yaml_new_str(out->name)) < 0)) {
		yaml_node_free(node);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	out->node = node;
	if (!out->dir)
		return err_set(e, ERR_NOTFOUND, "block '%s' has no folder to run in", what);
	return 0;
}

void resolved_free(struct resolved *r)
{
	yaml_node_free(r->node);
	r->node = NULL;
}

const struct workspace_action *resolved_action(const struct resolved *r, const char *name)
{
	for (size_t i = 0; i < r->nactions; i++)
		if (r->actions[i]->name && !strcmp(r->actions[i]->name, name))
			return r->actions[i];
	return NULL;
}
