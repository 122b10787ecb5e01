/* cmd_workspace.c - polycrate workspace update: the dependencies, several pulls at once */
#include "cli.h"
#include "cmd_util.h"

#include "http.h"
#include "lock.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define UPDATE_JOBS_DEFAULT 4
#define UPDATE_JOBS_MAX 32
#define UPDATE_STACK (4u << 20) /* bytes of stack per pull thread */

struct update {
	struct ctx *c; /* shared: workspace, HTTP client, auth (all thread-safe or read-only) */
	struct lock_file *lf;
	pthread_mutex_t mu;
	size_t next, failed;
	struct err first; /* the first failure, for the closing message */
};

static void *worker(void *arg)
{
	struct update *u = arg;
	for (;;) {
		size_t i;
		pthread_mutex_lock(&u->mu);
		i = u->next++;
		pthread_mutex_unlock(&u->mu);
		if (i >= u->c->ws.ndependencies)
			return NULL;
		/* a context of this thread's own for the error message; the rest is shared */
		struct ctx tc = *u->c;
		err_init(&tc.e);
		int rc = ctx_pull(&tc, u->c->ws.dependencies[i], u->lf);
		if (rc < 0) {
			fprintf(stderr, "Error: %s: %s\n", u->c->ws.dependencies[i], tc.e.msg);
			pthread_mutex_lock(&u->mu);
			if (!u->failed++)
				u->first = tc.e;
			pthread_mutex_unlock(&u->mu);
		}
	}
}

int cmd_workspace_update(struct cli *cl)
{
	struct ctx c;
	struct lock_file lf = {0};
	struct update u;
	pthread_t th[UPDATE_JOBS_MAX];
	int rc, bad = 0, status = 0;
	long jobs = cli_long(cl, F_JOBS, UPDATE_JOBS_DEFAULT, 1, UPDATE_JOBS_MAX, &bad);
	if (bad)
		return 2;
	if (cl->argc)
		return cli_failf(2, "workspace update takes no arguments");
	memset(&u, 0, sizeof u);
	rc = ctx_open(&c, cl);
	if (rc == 0)
		rc = ctx_lock(&c);
	if (rc == 0)
		rc = lock_read(c.lockfile, &lf, &c.e);
	if (rc < 0)
		goto out;
	if (!c.ws.ndependencies) {
		log_note("No dependencies in %s", WORKSPACE_FILE);
		goto out;
	}
	/* the HTTP client and auth context exist before the threads share them */
	if (c.ws.ndependencies == 1 || jobs == 1) {
		for (size_t i = 0; rc == 0 && i < c.ws.ndependencies; i++)
			rc = ctx_pull(&c, c.ws.dependencies[i], &lf);
		goto out;
	}
	rc = ctx_prepare_net(&c);
	if (rc < 0)
		goto out;
	c.quiet_progress = 1;
	u.c = &c;
	u.lf = &lf;
	pthread_mutex_init(&u.mu, NULL);
	if ((size_t)jobs > c.ws.ndependencies)
		jobs = (long)c.ws.ndependencies;
	/* musl's default thread stack (128 KiB) is too small for our path buffers */
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, UPDATE_STACK);
	long started = 0;
	for (; started < jobs; started++)
		if (pthread_create(&th[started], &attr, worker, &u) != 0)
			break;
	pthread_attr_destroy(&attr);
	if (!started)
		worker(&u);
	for (long i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&u.mu);
	if (u.failed) {
		c.e = u.first;
		err_prefix(&c.e, "%zu of %zu dependencies failed; the first", u.failed,
		           c.ws.ndependencies);
		rc = c.e.code;
	} else {
		uint64_t conns = 0, reqs = 0;
		http_client_stats(c.http, &conns, &reqs);
		log_info("%zu dependencies: %llu requests over %llu connections",
		         c.ws.ndependencies, (unsigned long long)reqs, (unsigned long long)conns);
	}
out:
	if (rc < 0)
		status = ctx_fail(&c);
	lock_free(&lf);
	ctx_close(&c);
	return status;
}
