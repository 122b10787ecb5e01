/* resolve.h - a block as it runs: its from: chain followed (pulling what is missing when
 * asked), config deep-merged, actions merged by name */
#ifndef POLYCRATE_RESOLVE_H
#define POLYCRATE_RESOLVE_H

#include <stddef.h>

#include "err.h"

struct workspace;
struct workspace_action;
struct yaml_node;

#define RESOLVE_DEPTH_MAX 32 /* blocks in one from: chain */
#define RESOLVE_ACTIONS_MAX 1024
#define RESOLVE_PULLS_MAX 256 /* auto-pulls while resolving one block */

/* Pulls reference text into the workspace (it is then found by its install path). 0 or
 * an ERR_ code with *e set. */
typedef int (*resolve_pull_fn)(void *arg, const char *ref, struct err *e);

struct resolved {
	const char *name, *version, *kind; /* point into the chain's blocks */
	const char *dir;                   /* the folder the action runs in */
	int is_template;
	struct yaml_node *node; /* the merged block as a mapping (owned): the snapshot's block */
	const struct workspace_action *actions[RESOLVE_ACTIONS_MAX];
	size_t nactions;
	const char *chain[RESOLVE_DEPTH_MAX]; /* names, child first */
	size_t nchain;
};

/*
 * Resolves the block named what (a block.poly name, an install path, or a blocks: entry
 * of workspace.poly). Each from: REF is found by the install path of REF, else by a block
 * of that name; a missing one is pulled with pull when it is set (transitively, the
 * workspace rescanned after each), else ERR_NOTFOUND with upstream's hint. A cycle is
 * ERR_USAGE naming every block in it. ws->blocks must be scanned; pull may rescan it. The
 * result points into ws: valid until ws changes. resolved_free releases node.
 */
int resolve_block(struct workspace *ws, const char *what, resolve_pull_fn pull, void *arg,
                  struct resolved *out, struct err *e);
void resolved_free(struct resolved *r);

/* The action called name of r, or NULL. */
const struct workspace_action *resolved_action(const struct resolved *r, const char *name);

#endif
