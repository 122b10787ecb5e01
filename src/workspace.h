/* workspace.h - workspace.poly, block.poly, CHANGELOG.poly and polycrate.yml as structs */
#ifndef POLYCRATE_WORKSPACE_H
#define POLYCRATE_WORKSPACE_H

#include <stddef.h>

#include "err.h"
#include "ref.h"
#include "yaml.h"

struct buf;

#define WORKSPACE_FILE "workspace.poly"
#define WORKSPACE_BLOCK_FILE "block.poly"
#define WORKSPACE_CHANGELOG_FILE "CHANGELOG.poly"
#define WORKSPACE_USER_CONFIG ".polycrate/polycrate.yml" /* below $HOME */
#define WORKSPACE_BLOCKSROOT "blocks"
#define WORKSPACE_ARTIFACTSROOT "artifacts"
#define WORKSPACE_VALUE_MAX 4096    /* a string after ${VAR} expansion */
#define WORKSPACE_SCAN_DEPTH_MAX 16 /* folders below the blocks root */
#define WORKSPACE_BLOCKS_MAX 4096   /* blocks found below the blocks root */
#define WORKSPACE_LIST_MAX 10000    /* entries of any list (actions, steps, dependencies...) */
#define WORKSPACE_PROXY_MAX 256     /* registry.proxy rules (each reference tries them all) */

/*
 * Every struct below owns its strings (NULL when a key is absent or null) and points into
 * the YAML tree of the file it came from (node fields), which it also owns. file/line/col
 * name where the item was written, for messages.
 */
struct workspace_action {
	char *name, *description;
	char **script; /* shell lines, nscript of them (NULL when playbook is set) */
	size_t nscript;
	char *playbook;
	const struct yaml_node *node;
	int line, col;
};

struct workspace_block {
	char *name, *version, *kind, *description, *from;
	int is_template;                /* template: true */
	const struct yaml_node *labels; /* a mapping of strings, or NULL */
	const struct yaml_node *config; /* any mapping, or NULL */
	struct workspace_action *actions;
	size_t nactions;
	const struct yaml_node *node; /* the whole block as loaded */
	/* blocks found on disk: the folder, its path below the blocks root, block.poly */
	char *dir, *install_path, *file;
	int line, col;
	struct yaml_doc doc; /* block.poly's tree (empty for blocks of workspace.poly) */
};

struct workspace_proxy {
	char *from, *to, *username, *password;
	int line, col;
};

struct workspace_step {
	char *name, *block, *action;
};
struct workspace_workflow {
	char *name;
	struct workspace_step *steps;
	size_t nsteps;
	int line, col;
};

struct workspace {
	char *root; /* the workspace folder */
	char *file; /* its workspace.poly (which may not exist: present = 0) */
	int present;
	char *name;
	char *registry_url, *base_image;  /* config.registry.url / .base_image */
	char *blocksroot, *artifactsroot; /* defaults "blocks", "artifacts" */
	const struct yaml_node *config;   /* config as loaded */
	/* registry: with ${VAR} expanded */
	char *endpoint, *username, *password;
	struct workspace_proxy *proxy;
	size_t nproxy;
	struct ref_proxy *proxy_view;      /* the same rules for ref_rewrite */
	struct workspace_block *ws_blocks; /* blocks: of workspace.poly */
	size_t nws_blocks;
	struct workspace_workflow *workflows;
	size_t nworkflows;
	char **dependencies; /* references as written */
	size_t ndependencies;
	/* filled by workspace_scan_blocks, sorted by install path */
	struct workspace_block **blocks;
	size_t nblocks;
	struct yaml_doc doc;
};

/*
 * Loads <dir>/workspace.poly (a missing file gives the defaults, present = 0). ${VAR} in
 * the registry: section is taken from the environment; an unset or empty variable is
 * ERR_USAGE naming it and the file. Shadowed proxy rules are warned about (log_warn).
 * Returns 0, or ERR_USAGE (schema and YAML errors name file:line:col and the key) /
 * ERR_FAIL; *ws is then empty. Free with workspace_free either way.
 */
int workspace_load(const char *dir, struct workspace *ws, struct err *e);
/* Same from text (name is used as the file name in messages); root is ".". */
int workspace_load_mem(const char *name, const char *text, size_t n, struct workspace *ws,
                       struct err *e);
void workspace_free(struct workspace *ws);

/*
 * Finds every block below <root>/<blocksroot>: a folder holding block.poly is a block (not
 * descended into further); hidden folders, .polycrate/ and symlinks are skipped. Fills
 * ws->blocks sorted by install path. 0, or the first block.poly error.
 */
int workspace_scan_blocks(struct workspace *ws, struct err *e);
/*
 * The block named by what: a block.poly name or an install path ("ayedo/k8s/nginx").
 * 0 and *out, ERR_NOTFOUND, or ERR_USAGE when several folders hold blocks of that name
 * (the message lists them).
 */
int workspace_find_block(const struct workspace *ws, const char *what,
                         const struct workspace_block **out, struct err *e);

/* Loads <dir>/block.poly into *b (dir and install_path copied; install_path may be NULL).
 * Unknown keys are warnings. 0 or ERR_USAGE/ERR_NOTFOUND/ERR_FAIL; *b is then empty. */
int workspace_block_load(const char *dir, const char *install_path, struct workspace_block *b,
                         struct err *e);
int workspace_block_load_mem(const char *name, const char *text, size_t n,
                             struct workspace_block *b, struct err *e);
void workspace_block_free(struct workspace_block *b);
/* The action named name of b, or NULL. */
const struct workspace_action *workspace_block_action(const struct workspace_block *b,
                                                      const char *name);

/* CHANGELOG.poly: a list of version, date, type, description and/or changes. */
struct workspace_change {
	char *version, *date, *type, *description;
	char **changes;
	size_t nchanges;
};
struct workspace_changelog {
	struct workspace_change *entries;
	size_t n;
};
int workspace_changelog_load(const char *path, struct workspace_changelog *c, struct err *e);
void workspace_changelog_free(struct workspace_changelog *c);

/* registry.url of <home>/.polycrate/polycrate.yml into *url (malloc'ed, NULL when not
 * set). home NULL or "" (no HOME) and a missing file are no error. */
int workspace_user_registry(const char *home, char **url, struct err *e);

/* ws's proxy rules, endpoint and credentials as ref.c wants them (ws may be NULL). */
void workspace_proxy_config(const struct workspace *ws, struct ref_proxy_config *c);

/*
 * The whole resolution of a reference text: parse, the default registry by precedence
 * (flag_url, env_url, ws config.registry.url, home's polycrate.yml; each may be NULL),
 * then the proxy rewrite. *written gets the reference as written with its registry
 * filled in (the install path is written->path), *use the one to fetch, *cr the
 * credentials, *insecure whether the default registry came as http://. 0 or ERR_USAGE.
 */
int workspace_resolve_ref(const struct workspace *ws, const char *text, const char *flag_url,
                          const char *env_url, const char *home, struct ref *written,
                          struct ref *use, struct ref_creds *cr, int *insecure, struct err *e);

/* Appends the YAML file `run` gives actions (POLYCRATE_WORKSPACE_SNAPSHOT_YAML): top-level
 * workspace, block, action, each as loaded (the registry: section as written, so no
 * secret from the environment lands in it). b and a may be NULL. 0 or ERR_FAIL. */
int workspace_snapshot(const struct workspace *ws, const struct workspace_block *b,
                       const struct workspace_action *a, struct buf *out, struct err *e);

#endif
