/* cmd_util.c - workspace, HTTP client, authentication and registries for the commands */
#include "cmd_util.h"

#include "auth.h"
#include "blocks.h"
#include "credstore.h"
#include "fs.h"
#include "http.h"
#include "lock.h"
#include "log.h"
#include "registry.h"
#include "resolve.h"
#include "tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ctx_open(struct ctx *c, struct cli *cli)
{
	const char *w = cli->val[F_WORKSPACE];
	char cwd[4096];
	int rc;
	memset(c, 0, sizeof *c);
	c->cli = cli;
	c->lockfd = -1;
	err_init(&c->e);
	if (!w) {
		if (!getcwd(cwd, sizeof cwd))
			return err_sys(&c->e, ERR_FAIL, errno, "reading the current folder");
		w = cwd;
	} else if (!fs_is_dir(w)) {
		err_set(&c->e, ERR_USAGE, "workspace folder '%s' does not exist", w);
		return ERR_USAGE;
	}
	if (!realpath(w, c->root))
		return err_sys(&c->e, ERR_FAIL, errno, "workspace folder '%s'", w);
	rc = workspace_load(c->root, &c->ws, &c->e);
	if (rc < 0)
		return rc;
	c->ws_loaded = 1;
	snprintf(c->blocks, sizeof c->blocks, "%s/%s", c->root, c->ws.blocksroot);
	snprintf(c->tmpdir, sizeof c->tmpdir, "%s/.polycrate/tmp", c->root);
	snprintf(c->lockfile, sizeof c->lockfile, "%s/%s", c->root, LOCK_FILE);
	return 0;
}

int ctx_lock(struct ctx *c)
{
	int rc;
	if (c->lockfd >= 0)
		return 0;
	rc = lock_workspace(c->root, 5000, &c->e);
	if (rc < 0)
		return rc;
	c->lockfd = rc;
	rc = fs_mkdirs(c->tmpdir, 0755, &c->e);
	if (rc < 0)
		return rc;
	rc = blocks_clean_tmp(c->tmpdir, &c->e);
	if (rc > 0)
		log_info("removed %d temp folder%s of interrupted runs", rc, rc == 1 ? "" : "s");
	return rc < 0 ? rc : 0;
}

void ctx_close(struct ctx *c)
{
	auth_free(c->auth);
	http_client_free(c->http);
	if (c->ws_loaded)
		workspace_free(&c->ws);
	lock_workspace_release(c->lockfd);
	c->auth = NULL;
	c->http = NULL;
	c->ws_loaded = 0;
	c->lockfd = -1;
}

int ctx_prepare_net(struct ctx *c)
{
	int bad = 0;
	long cms, ims;
	if (c->http)
		return 0;
	net_init();
	c->http = http_client_new();
	if (!c->http)
		return err_set(&c->e, ERR_FAIL, "out of memory");
	http_client_set_tls(c->http, tls_hook, NULL);
	cms = cli_long(c->cli, F_CONNECT_TIMEOUT, NET_CONNECT_TIMEOUT_MS / 1000, 1, 3600, &bad);
	ims = cli_long(c->cli, F_TIMEOUT, NET_IO_TIMEOUT_MS / 1000, 1, 86400, &bad);
	if (bad)
		return err_set(&c->e, ERR_USAGE, "bad timeout");
	http_client_set_timeouts(c->http, (int)cms * 1000, (int)ims * 1000);
	c->auth = auth_new(c->http);
	if (!c->auth)
		return err_set(&c->e, ERR_FAIL, "out of memory");
	auth_set_lookup(c->auth, credstore_lookup, NULL); /* docker config, helpers (1.4) */
	return 0;
}

/* Registries found to speak plain HTTP in this process: later handles skip the HTTPS try. */
#define PLAIN_CACHE_MAX 64
static char plain_hosts[PLAIN_CACHE_MAX][REF_NAME_MAX + 1];
static int nplain;
static pthread_mutex_t plain_mu = PTHREAD_MUTEX_INITIALIZER;

static int known_plain(const char *host)
{
	int hit = 0;
	pthread_mutex_lock(&plain_mu);
	for (int i = 0; i < nplain && !hit; i++)
		hit = !strcmp(plain_hosts[i], host);
	pthread_mutex_unlock(&plain_mu);
	return hit;
}

static void remember_plain(const char *host)
{
	if (known_plain(host))
		return;
	pthread_mutex_lock(&plain_mu);
	if (nplain < PLAIN_CACHE_MAX)
		snprintf(plain_hosts[nplain++], sizeof plain_hosts[0], "%s", host);
	pthread_mutex_unlock(&plain_mu);
}

int ctx_target(struct ctx *c, const char *text, struct ctx_target *t)
{
	struct ref_creds cr = {0};
	struct registry_opts ro = {0};
	int insecure = 0, rc;
	memset(t, 0, sizeof *t);
	rc = workspace_resolve_ref(&c->ws, text, c->cli->val[F_REGISTRY_URL],
	                           getenv("POLYCRATE_REGISTRY_URL"), getenv("HOME"), &t->written,
	                           &t->use, &cr, &insecure, &c->e);
	if (rc < 0)
		return rc;
	ref_format(&t->written, t->display, sizeof t->display);
	snprintf(t->api_host, sizeof t->api_host, "%s", ref_api_host(&t->use));
	ref_api_path(&t->use, t->repo, sizeof t->repo);
	rc = ctx_prepare_net(c);
	if (rc < 0)
		return rc;
	if (cr.username && cr.password) {
		struct auth_creds ac;
		memset(&ac, 0, sizeof ac);
		snprintf(ac.username, sizeof ac.username, "%s", cr.username);
		snprintf(ac.password, sizeof ac.password, "%s", cr.password);
		log_debug("Using proxy credentials for registry: %s", cr.scope);
		rc = auth_set_creds(c->auth, t->api_host, &ac, &c->e);
		memset(&ac, 0, sizeof ac);
		if (rc < 0)
			return rc;
	}
	ro.insecure = insecure;
	ro.insecure_hosts = c->cli->multi;
	ro.n_insecure_hosts = (size_t)c->cli->nmulti;
	ro.http = c->http;
	ro.auth = c->auth;
	ro.plain_http = known_plain(t->api_host);
	t->reg = registry_open(t->api_host, &ro, &c->e);
	if (!t->reg)
		return c->e.code ? c->e.code : ERR_FAIL;
	log_info("Resolved %s to %s/%s", t->display, t->api_host, t->repo);
	return 0;
}

void ctx_target_close(struct ctx_target *t)
{
	if (t->reg && !strncmp(registry_base(t->reg), "http://", 7))
		remember_plain(t->api_host);
	registry_close(t->reg);
	t->reg = NULL;
}

int ctx_fail(struct ctx *c)
{
	return cli_fail(&c->e);
}

struct json_writer *jout_begin(struct jout *j)
{
	buf_init(&j->b, 0);
	err_init(&j->e);
	json_w_init(&j->w, &j->b, &j->e);
	return &j->w;
}

int jout_print(struct jout *j, struct err *e)
{
	int rc = json_w_finish(&j->w);
	if (rc == 0) {
		fwrite(j->b.p, 1, j->b.len, stdout);
		putchar('\n');
	} else {
		rc = err_set(e, ERR_FAIL, "the JSON output could not be made: %s", j->e.msg);
	}
	buf_free(&j->b);
	return rc;
}

int ctx_auto_pull(void *arg, const char *ref, struct err *e)
{
	struct ctx *c = arg;
	int rc = ctx_pull(c, ref, NULL);
	if (rc < 0)
		*e = c->e;
	return rc;
}

int ctx_pull_missing(struct ctx *c)
{
	char names[256][256];
	size_t n = 0;
	int rc;
	if (!c->cli->set[F_AUTO_PULL])
		return 0;
	/* names first: every pull rescans the workspace and frees what it found before */
	for (size_t i = 0; i < c->ws.nws_blocks && n < 256; i++)
		if (c->ws.ws_blocks[i].name && c->ws.ws_blocks[i].from)
			snprintf(names[n++], sizeof names[0], "%s", c->ws.ws_blocks[i].name);
	for (size_t i = 0; i < c->ws.nblocks && n < 256; i++)
		if (c->ws.blocks[i]->from && c->ws.blocks[i]->install_path)
			snprintf(names[n++], sizeof names[0], "%s", c->ws.blocks[i]->install_path);
	for (size_t i = 0; i < n; i++) {
		struct resolved r;
		rc = resolve_block(&c->ws, names[i], ctx_auto_pull, c, &r, &c->e);
		resolved_free(&r);
		if (rc < 0)
			return rc;
	}
	return 0;
}
