/* cmd_run.c - polycrate run, workflows run: actions as /bin/sh -e scripts or playbooks */
#include "cli.h"
#include "cmd_util.h"

#include "buf.h"
#include "fs.h"
#include "log.h"
#include "resolve.h"
#include "tmpl.h"
#include "yaml.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef POLYCRATE_VERSION
#define POLYCRATE_VERSION "0.0.0"
#endif

#define RUN_SCRIPT_MAX (4u << 20) /* bytes of one action's script after templates */

/* Searches PATH for an executable name into out. */
static int find_on_path(const char *name, char *out, size_t n)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		if (len && (size_t)snprintf(out, n, "%.*s/%s", (int)len, path, name) < n &&
		    access(out, X_OK) == 0)
			return 1;
		path += len + (end ? 1 : 0);
	}
	return 0;
}

/* The script: every line templated, joined by newlines. */
static int build_script(const struct ctx *c, const struct resolved *r,
                        const struct workspace_action *a, struct buf *out, struct err *e)
{
	struct tmpl_vars v = {c->ws.doc.root, r->node, a->name};
	const struct yaml_node *lines = a->node ? yaml_map_get(a->node, "script") : NULL;
	for (size_t i = 0; i < a->nscript; i++) {
		int rc = tmpl_expand(a->script[i], &v, out, e);
		if (rc < 0) {
			const struct yaml_node *ln =
			    lines && i < lines->n ? lines->kids[i] : a->node;
			if (ln && ln->file)
				err_prefix(e, "%s:%d: action '%s' of block '%s'", ln->file,
				           ln->line, a->name, r->name);
			else
				err_prefix(e, "action '%s' of block '%s', line %zu", a->name,
				           r->name, i + 1);
			return rc;
		}
		if (buf_putc(out, '\n') < 0)
			return err_set(e, ERR_FAIL, "the script is larger than %u bytes",
			               RUN_SCRIPT_MAX);
	}
	return 0;
}

static int write_snapshot(struct ctx *c, const struct resolved *r, const struct workspace_action *a,
                          char *path, size_t n)
{
	struct yaml_node *m = yaml_new_map();
	struct buf text;
	int rc, fd;
	buf_init(&text, 0);
	if (!m ||
	    yaml_map_put(m, "workspace",
	                 c->ws.doc.root ? yaml_clone(c->ws.doc.root) : yaml_new_map()) < 0 ||
	    yaml_map_put(m, "block", yaml_clone(r->node)) < 0 ||
	    yaml_map_put(m, "action", a->node ? yaml_clone(a->node) : yaml_new_map()) < 0) {
		yaml_node_free(m);
		return err_set(&c->e, ERR_FAIL, "out of memory");
	}
	rc = yaml_emit_text(m, &text, &c->e);
	yaml_node_free(m);
	if (rc < 0)
		goto out;
	rc = fs_mkdirs(c->tmpdir, 0755, &c->e);
	if (rc < 0)
		goto out;
	snprintf(path, n, "%s/run-%d-XXXXXX", c->tmpdir, (int)getpid());
	fd = mkstemp(path);
	if (fd < 0) {
		rc = err_sys(&c->e, ERR_FAIL, errno, "creating %s", path);
		goto out;
	}
	if (write(fd, text.p, text.len) != (ssize_t)text.len) {
		rc = err_sys(&c->e, ERR_FAIL, errno, "writing %s", path);
		close(fd);
		unlink(path);
		goto out;
	}
	close(fd);
out:
	buf_free(&text);
	return rc;
}

struct run_env {
	const char *workflow, *step;
};

/* Runs argv in dir with the POLYCRATE_* environment; returns its exit status (128 +
 * signal when a signal ended it), or an ERR_ code when it could not be started. */
static int spawn(struct ctx *c, const char *dir, char *const argv[], const struct resolved *r,
                 const struct workspace_action *a, const struct run_env *re, const char *snap)
{
	struct sigaction ign = {0}, oint, oquit;
	int status;
	pid_t pid;
	fflush(stdout);
	fflush(stderr);
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	pid = fork();
	if (pid < 0) {
		sigaction(SIGINT, &oint, NULL);
		sigaction(SIGQUIT, &oquit, NULL);
		return err_sys(&c->e, ERR_FAIL, errno, "starting the action");
	}
	if (pid == 0) {
		/* Ctrl-C reaches the child: the terminal signals the whole process group */
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (chdir(dir) < 0) {
			fprintf(stderr, "Error: cannot enter %s: %s\n", dir, strerror(errno));
			_exit(126);
		}
		setenv("POLYCRATE_WORKSPACE", c->root, 1);
		setenv("POLYCRATE_BLOCK", r->name ? r->name : "", 1);
		setenv("POLYCRATE_ACTION", a->name ? a->name : "", 1);
		setenv("POLYCRATE_WORKFLOW", re->workflow ? re->workflow : "", 1);
		setenv("POLYCRATE_STEP", re->step ? re->step : "", 1);
		setenv("POLYCRATE_CLI_VERSION", POLYCRATE_VERSION, 1);
		setenv("POLYCRATE_WORKSPACE_SNAPSHOT_YAML", snap, 1);
		execv(argv[0], argv);
		fprintf(stderr, "Error: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			status = 0;
			break;
		}
	}
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Runs one action; returns the action's exit status (>= 0) or an ERR_ code in c->e. */
static int run_action(struct ctx *c, const char *block, const char *action,
                      const struct run_env *re)
{
	struct resolved r;
	struct buf script;
	char snap[4400] = "", sh[] = "/bin/sh", opt[] = "-e", flag[] = "-c";
	const struct workspace_action *a;
	int rc;
	buf_init(&script, RUN_SCRIPT_MAX);
	rc = resolve_block(&c->ws, block, c->cli->set[F_AUTO_PULL] ? ctx_auto_pull : NULL, c, &r,
	                   &c->e);
	if (rc < 0)
		return rc;
	if (r.is_template) {
		rc = err_set(&c->e, ERR_USAGE,
		             "block '%s' is a template (template: true) and cannot "
		             "be run",
		             r.name);
		err_hint(&c->e, "Make a block that inherits from it (from: ...) and run that one.");
		goto out;
	}
	a = resolved_action(&r, action);
	if (!a) {
		struct buf names;
		buf_init(&names, 4096);
		for (size_t i = 0; i < r.nactions; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", r.actions[i]->name);
		rc = err_set(&c->e, ERR_NOTFOUND, "block '%s' has no action '%s'", r.name, action);
		err_hint(&c->e, "Its actions: %s", r.nactions ? buf_cstr(&names) : "none");
		buf_free(&names);
		goto out;
	}
	rc = write_snapshot(c, &r, a, snap, sizeof snap);
	if (rc < 0)
		goto out;
	if (re->step)
		log_note("Running action '%s' of block '%s' (workflow %s, step %s)", a->name,
		         r.name, re->workflow, re->step);
	else
		log_note("Running action '%s' of block '%s'", a->name, r.name);
	if (a->playbook) {
		char ap[4096], extra[4500];
		if (!find_on_path("ansible-playbook", ap, sizeof ap)) {
			rc = err_set(
			    &c->e, ERR_NOTFOUND,
			    "action '%s' of block '%s' is a playbook, and ansible-playbook is "
			    "not on PATH",
			    a->name, r.name);
			err_hint(&c->e,
			         "Install Ansible on this host, or give the action a script.");
			goto out;
		}
		snprintf(extra, sizeof extra, "@%s", snap);
		char e_opt[] = "-e";
		char *argv[] = {ap, e_opt, extra, a->playbook, NULL};
		rc = spawn(c, r.dir, argv, &r, a, re, snap);
	} else {
		rc = build_script(c, &r, a, &script, &c->e);
		if (rc < 0)
			goto out;
		char *argv[] = {sh, opt, flag, script.p ? script.p : (char *)"", NULL};
		rc = spawn(c, r.dir, argv, &r, a, re, snap);
	}
out:
	if (snap[0])
		unlink(snap);
	buf_free(&script);
	resolved_free(&r);
	return rc;
}

static int run_workflow(struct ctx *c, const char *name, const char *only)
{
	const struct workspace_workflow *wf = NULL;
	int ran = 0;
	for (size_t i = 0; i < c->ws.nworkflows; i++)
		if (c->ws.workflows[i].name && !strcmp(c->ws.workflows[i].name, name))
			wf = &c->ws.workflows[i];
	if (!wf) {
		err_set(&c->e, ERR_NOTFOUND, "no workflow '%s' in %s", name, WORKSPACE_FILE);
		err_hint(&c->e, "To run an action of a block: polycrate run BLOCK ACTION");
		return ERR_NOTFOUND;
	}
	for (size_t i = 0; i < wf->nsteps; i++) {
		const struct workspace_step *s = &wf->steps[i];
		struct run_env re = {wf->name, s->name};
		if (only && (!s->name || strcmp(s->name, only)))
			continue;
		ran++;
		if (!s->block || !s->action) {
			err_set(&c->e, ERR_USAGE,
			        "workflow '%s', step '%s': needs block and action", wf->name,
			        s->name ? s->name : "?");
			return ERR_USAGE;
		}
		int rc = run_action(c, s->block, s->action, &re);
		if (rc < 0) {
			err_prefix(&c->e, "workflow '%s', step '%s'", wf->name,
			           s->name ? s->name : "?");
			return rc;
		}
		if (rc != 0) {
			fprintf(stderr,
			        "Error: workflow '%s' stopped: step '%s' failed with status %d\n",
			        wf->name, s->name ? s->name : "?", rc);
			return rc;
		}
	}
	if (only && !ran) {
		err_set(&c->e, ERR_NOTFOUND, "workflow '%s' has no step '%s'", wf->name, only);
		return ERR_NOTFOUND;
	}
	return 0;
}

static int start(struct ctx *c, struct cli *cl)
{
	int rc = ctx_open(c, cl);
	if (rc == 0)
		rc = workspace_scan_blocks(&c->ws, &c->e);
	return rc;
}

int cmd_run(struct cli *cl)
{
	struct ctx c;
	int rc;
	if (cl->argc < 1 || cl->argc > 2)
		return cli_failf(
		    2, "run takes BLOCK ACTION, or a WORKFLOW (see polycrate run --help)");
	rc = start(&c, cl);
	if (rc == 0) {
		if (cl->argc == 2) {
			struct run_env re = {NULL, NULL};
			rc = run_action(&c, cl->argv[0], cl->argv[1], &re);
		} else {
			rc = run_workflow(&c, cl->argv[0], cl->val[F_STEP]);
		}
	}
	if (rc < 0)
		rc = ctx_fail(&c);
	ctx_close(&c);
	return rc;
}

int cmd_workflows_run(struct cli *cl)
{
	struct ctx c;
	int rc;
	if (cl->argc != 1)
		return cli_failf(2, "workflows run takes one workflow name");
	rc = start(&c, cl);
	if (rc == 0)
		rc = run_workflow(&c, cl->argv[0], cl->val[F_STEP]);
	if (rc < 0)
		rc = ctx_fail(&c);
	ctx_close(&c);
	return rc;
}
