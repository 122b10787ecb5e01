/* cmd_util.h - what the commands share: the workspace, the HTTP client, authentication,
 * opening the registry a reference resolves to, and printing */
#ifndef POLYCRATE_CMD_UTIL_H
#define POLYCRATE_CMD_UTIL_H

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "json.h"
#include "ref.h"
#include "workspace.h"

struct http_client;
struct auth_ctx;
struct registry;

struct ctx {
	struct cli *cli;
	char root[4096];     /* the workspace folder (absolute) */
	char blocks[4200];   /* <root>/<blocksroot> */
	char tmpdir[4200];   /* <root>/.polycrate/tmp */
	char lockfile[4200]; /* <root>/blocks.lock */
	struct workspace ws; /* loaded by ctx_open */
	int ws_loaded;
	int lockfd;         /* the workspace lock, when taken */
	int quiet_progress; /* no progress lines (several transfers at once) */
	struct http_client *http;
	struct auth_ctx *auth;
	struct err e;
};

/* Loads the workspace (-w or the current folder; a missing workspace.poly gives the
 * defaults) and sets up nothing else yet. Returns 0 or an ERR_ code in c->e. */
int ctx_open(struct ctx *c, struct cli *cli);
/* Takes the workspace lock and removes stale temp folders of interrupted runs. */
int ctx_lock(struct ctx *c);
void ctx_close(struct ctx *c);

/* A resolved reference and the registry to talk to for it. */
struct ctx_target {
	struct ref written; /* as written, its registry filled in: install path = written.path */
	struct ref use;     /* after proxy rewrites: what is fetched */
	char api_host[REF_NAME_MAX + 1];
	char repo[REF_NAME_MAX + 1];
	char display[REF_STR_MAX]; /* written, formatted */
	struct registry *reg;
};

/* Resolves text (DESIGN.md §1.2–1.4: default registry, proxy rewrite, credentials) and
 * opens the registry. 0 or an ERR_ code in c->e. ctx_target_close frees. */
int ctx_target(struct ctx *c, const char *text, struct ctx_target *t);
void ctx_target_close(struct ctx_target *t);

struct lock_file;
/* Pulls text into the workspace (takes the lock; lf NULL: read and write blocks.lock
 * here, else update *lf and write it). Prints the result line. 0 or an ERR_ code in c->e. */
int ctx_pull(struct ctx *c, const char *text, struct lock_file *lf);

/* A resolve_pull_fn (resolve.h) for --blocks-auto-pull: pulls with ctx_pull; arg is the
 * struct ctx. */
int ctx_auto_pull(void *arg, const char *ref, struct err *e);
/* With --blocks-auto-pull: pulls every missing from: target of the workspace's blocks
 * (workspace.poly entries and blocks on disk), transitively. 0 or an ERR_ code in c->e. */
int ctx_pull_missing(struct ctx *c);

/* Makes the HTTP client and auth context (done by ctx_target when needed; call it first
 * when threads will share them). */
int ctx_prepare_net(struct ctx *c);

/* Prints c->e as the error and returns the exit status. */
int ctx_fail(struct ctx *c);

/* -o json: a document made with json.c's writer, printed whole with a newline when it is
 * done, so nothing half-made reaches stdout. */
struct jout {
	struct buf b;
	struct json_writer w;
	struct err e;
};
struct json_writer *jout_begin(struct jout *j);
/* Prints the document and frees it: 0, or ERR_FAIL with *e set when it could not be made. */
int jout_print(struct jout *j, struct err *e);

#endif
