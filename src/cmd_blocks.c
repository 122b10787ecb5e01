/* cmd_blocks.c - polycrate blocks push, pull, uninstall, inspect, list, tags */
#include "cli.h"
#include "cmd_util.h"

#include "blocks.h"
#include "buf.h"
#include "digest.h"
#include "fs.h"
#include "gz.h"
#include "lock.h"
#include "log.h"
#include "oci.h"
#include "pack.h"
#include "registry.h"
#include "resolve.h"
#include "semver.h"
#include "tar.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- shared ---- */

/* Adds the "what to do" line for the usual registry failures (seed, Troubleshooting). */
static void registry_hint(struct err *e, const char *host)
{
	switch (e->code) {
	case ERR_AUTH:
		err_hint(e, "Log in with: polycrate login %s", host);
		break;
	case ERR_NET:
		err_hint(
		    e,
		    "Check the network and the registry URL (curl https://%s/v2/), and the proxy "
		    "settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).",
		    host);
		break;
	default:
		break;
	}
}

/* ---- push ---- */

struct pull_progress {
	struct log_progress p;
	const char *what;
};

static void pull_progress(void *arg, const char *what, uint64_t done, uint64_t total)
{
	struct pull_progress *pp = arg;
	if (pp->what != what) {
		if (pp->what)
			log_progress_end(&pp->p);
		pp->what = what;
		log_progress_begin(&pp->p, what + (strncmp(what, "sha256:", 7) ? 0 : 7), total);
	}
	log_progress_update(&pp->p, done);
	if (total && done >= total)
		log_progress_end(&pp->p);
}

struct dry {
	int json;
	unsigned long files;
};

static int dry_list(void *arg, const struct tar_entry *ent)
{
	struct dry *d = arg;
	d->files++;
	if (!d->json)
		printf("  %s%s\n", ent->path, ent->type == TAR_DIR ? "" : "");
	return 0;
}

/* The block REF's path names: its name, else the longest trailing run of components. */
static int pick_block(struct ctx *c, const char *path, const struct workspace_block **out)
{
	const char *p = path;
	int rc;
	rc = workspace_scan_blocks(&c->ws, &c->e);
	if (rc < 0)
		return rc;
	for (;;) {
		struct err fe;
		err_init(&fe);
		rc = workspace_find_block(&c->ws, p, out, &fe);
		if (rc == 0)
			return 0;
		if (rc != ERR_NOTFOUND) {
			c->e = fe;
			return rc;
		}
		p = strchr(p, '/');
		if (!p)
			break;
		p++;
	}
	err_set(&c->e, ERR_NOTFOUND, "no block in %s matches '%s'", c->blocks, path);
	err_hint(&c->e, "The block to push is the one whose block.poly name is the reference's "
	                "path or its last components (see: polycrate blocks list).");
	return ERR_NOTFOUND;
}

/* A pushed version should have its CHANGELOG.poly entry: say so when it has none. */
static void changelog_check(const struct workspace_block *b)
{
	struct workspace_changelog cl = {0};
	struct err e;
	char path[4200];
	int found = 0;
	if (!b->version || fs_join(path, sizeof path, b->dir, WORKSPACE_CHANGELOG_FILE) < 0)
		return;
	err_init(&e);
	if (!fs_exists(path)) {
		log_warn("block '%s' has no %s (version %s is pushed without an entry)", b->name,
		         WORKSPACE_CHANGELOG_FILE, b->version);
		return;
	}
	if (workspace_changelog_load(path, &cl, &e) < 0) {
		log_warn("%s", e.msg);
		return;
	}
	for (size_t i = 0; i < cl.n; i++)
		if (cl.entries[i].version && !strcmp(cl.entries[i].version, b->version))
			found = 1;
	if (!found)
		log_warn("%s has no entry for version %s", path, b->version);
	workspace_changelog_free(&cl);
}

int cmd_push(struct cli *cl)
{
	struct ctx c;
	struct ref r;
	struct ctx_target t = {0};
	const struct workspace_block *b;
	char text[REF_STR_MAX], tag[BLOCKS_TAG_MAX];
	int rc, bad = 0, status;
	int level = (int)cli_long(cl, F_GZIP_LEVEL, GZ_DEFAULT_LEVEL, 0, 9, &bad);
	int64_t mtime = 0;
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (bad)
		return 2;
	if (cl->argc != 1)
		return cli_failf(
		    2, "blocks push takes one reference (see polycrate blocks push --help)");
	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);
		if (*end || v < 0)
			return cli_failf(2, "SOURCE_DATE_EPOCH '%s' is no whole number of seconds",
			                 sde);
		mtime = v;
	}
	rc = ctx_open(&c, cl);
	if (rc < 0)
		goto fail;
	if (ref_parse(cl->argv[0], &r, &c.e) < 0)
		goto fail;
	if (r.digest[0]) {
		err_set(&c.e, ERR_USAGE, "'%s': push takes no digest", cl->argv[0]);
		goto fail;
	}
	rc = pick_block(&c, r.path, &b);
	if (rc < 0)
		goto fail;
	if (b->version && semver_tag(b->version, tag, sizeof tag, NULL) == 0 && r.tag[0] &&
	    strcmp(r.tag, tag)) {
		err_set(&c.e, ERR_USAGE, "'%s': the tag %s differs from the block's version %s",
		        cl->argv[0], r.tag, b->version);
		err_hint(&c.e, "Leave the tag out: polycrate adds the version from block.poly.");
		goto fail;
	}
	r.tag[0] = 0;
	ref_format(&r, text, sizeof text);
	changelog_check(b);

	if (cl->set[F_DRY_RUN]) {
		struct pack_opts po = {.level = level, .mtime = mtime};
		struct pack_result pr;
		struct dry d = {.json = cl->json};
		if (!cl->json)
			printf("Would push block '%s' %s from %s:\n", b->name,
			       b->version ? b->version : "(no version)", b->dir);
		po.list = dry_list;
		po.arg = &d;
		rc = pack_block(b->dir, NULL, &po, &pr, &c.e);
		if (rc < 0)
			goto fail;
		if (cl->json) {
			struct jout j;
			struct json_writer *w = jout_begin(&j);
			json_w_obj_begin(w);
			json_w_ktext(w, "block", b->name);
			json_w_ktext(w, "version", b->version);
			json_w_kuint(w, "entries", d.files);
			json_w_kstr(w, "diff_id", pr.diff_id);
			json_w_kstr(w, "layer_digest", pr.digest);
			json_w_kuint(w, "layer_size", pr.size);
			json_w_obj_end(w);
			if ((rc = jout_print(&j, &c.e)) < 0)
				goto fail;
		} else {
			printf("%lu entries, layer %s (%llu bytes), diff_id %s\n", d.files,
			       pr.digest, (unsigned long long)pr.size, pr.diff_id);
		}
		ctx_close(&c);
		return 0;
	}

	rc = ctx_lock(&c);
	if (rc < 0)
		goto fail;
	rc = ctx_target(&c, text, &t);
	if (rc < 0)
		goto fail;
	struct pull_progress pp = {0};
	struct blocks_push_opts po = {.level = level,
	                              .mtime = mtime,
	                              .no_latest = cl->set[F_NO_LATEST] > 0,
	                              .tmpdir = c.tmpdir,
	                              .progress = pull_progress,
	                              .arg = &pp};
	struct blocks_push_result res;
	rc = blocks_push(t.reg, t.repo, b, &po, &res, &c.e);
	if (pp.what)
		log_progress_end(&pp.p);
	if (rc < 0) {
		registry_hint(&c.e, t.api_host);
		goto fail;
	}
	if (cl->json) {
		char pushed[REF_STR_MAX + BLOCKS_TAG_MAX + 2];
		struct jout j;
		struct json_writer *w = jout_begin(&j);
		snprintf(pushed, sizeof pushed, "%s:%s", t.display, res.tag);
		json_w_obj_begin(w);
		json_w_ktext(w, "reference", pushed);
		json_w_kstr(w, "digest", res.manifest_digest);
		json_w_kbool(w, "up_to_date", res.up_to_date);
		json_w_kstr(w, "layer_digest", res.layer.digest);
		json_w_kstr(w, "diff_id", res.layer.diff_id);
		json_w_kbool(w, "latest", res.latest == 1);
		json_w_obj_end(w);
		if ((rc = jout_print(&j, &c.e)) < 0)
			goto fail;
	} else {
		if (res.up_to_date)
			printf("%s:%s is already up to date (%s)\n", t.display, res.tag,
			       res.manifest_digest);
		else
			printf("Pushed %s:%s (%s)\n", t.display, res.tag, res.manifest_digest);
		if (res.latest == 0)
			log_note("latest stays at %s, a higher version", res.latest_kept_by);
	}
	ctx_target_close(&t);
	ctx_close(&c);
	return 0;
fail:
	status = ctx_fail(&c);
	ctx_target_close(&t);
	ctx_close(&c);
	return status;
}

/* ---- pull ---- */

/* 1 when a is b or a folder above it, on component boundaries. */
static int path_within(const char *a, const char *b)
{
	size_t n = strlen(a);
	return !strncmp(a, b, n) && (b[n] == 0 || b[n] == '/');
}

static int check_install(struct ctx *c, const struct lock_file *lf, const char *path,
                         const char *dest)
{
	for (size_t i = 0; i < lf->n; i++) {
		const char *o = lf->entries[i].install_path;
		if (!strcmp(o, path))
			continue;
		if (path_within(o, path) || path_within(path, o)) {
			err_set(&c->e, ERR_CONFLICT,
			        "cannot install into %s/%s: the installed block %s/%s would %s it",
			        c->ws.blocksroot, path, c->ws.blocksroot, o,
			        path_within(o, path) ? "contain" : "be inside");
			err_hint(&c->e,
			         "A block folder cannot hold another block: uninstall one of "
			         "them first.");
			return ERR_CONFLICT;
		}
	}
	if (!lock_find(lf, path) && fs_exists(dest) && !c->cli->set[F_FORCE]) {
		err_set(&c->e, ERR_CONFLICT, "%s/%s exists and was not installed by polycrate",
		        c->ws.blocksroot, path);
		err_hint(&c->e, "Move it away, or pass --force to replace it.");
		return ERR_CONFLICT;
	}
	return 0;
}

/* Guards blocks.lock while several pulls run at once (workspace update). */
static pthread_mutex_t lock_mu = PTHREAD_MUTEX_INITIALIZER;

static int pull_one(struct ctx *c, const char *text, struct lock_file *lf)
{
	struct ctx_target t = {0};
	struct blocks_pull_result res;
	struct blocks_pull_opts po = {0};
	struct pull_progress pp = {0};
	char dest[8192], resolved[REF_STR_MAX];
	const struct lock_entry *cur;
	const char *reference, *path;
	int bad = 0, rc;

	rc = ctx_target(c, text, &t);
	if (rc < 0)
		goto out;
	path = ref_install_path(&t.written);
	if (snprintf(dest, sizeof dest, "%s/%s", c->blocks, path) >= (int)sizeof dest) {
		rc = err_set(&c->e, ERR_USAGE, "install path too long: %s", path);
		goto out;
	}
	pthread_mutex_lock(&lock_mu);
	rc = check_install(c, lf, path, dest);
	cur = lock_find(lf, path);
	char current[DIGEST_STR_MAX] = "";
	if (cur && cur->manifest_digest)
		snprintf(current, sizeof current, "%s", cur->manifest_digest);
	pthread_mutex_unlock(&lock_mu);
	if (rc < 0)
		goto out;
	reference = t.use.digest[0] ? t.use.digest : t.use.tag[0] ? t.use.tag : "latest";
	if (c->cli->set[F_LOCKED] && current[0] && !t.use.digest[0]) {
		log_info("%s: pulling %s as recorded in blocks.lock", t.display, current);
		reference = current;
	}
	pack_limits_default(&po.limits);
	po.limits.max_entries = (uint64_t)cli_long(c->cli, F_MAX_ENTRIES,
	                                           (long)po.limits.max_entries, 1, 100000000, &bad);
	po.limits.max_bytes = (uint64_t)cli_long(c->cli, F_MAX_BYTES, (long)po.limits.max_bytes, 1,
	                                         (long)((1ULL << 62) - 1), &bad);
	if (bad) {
		rc = err_set(&c->e, ERR_USAGE, "bad limit");
		goto out;
	}
	po.tmpdir = c->tmpdir;
	po.current = current[0] && fs_is_dir(dest) ? current : NULL;
	po.progress = c->quiet_progress ? NULL : pull_progress;
	po.arg = &pp;
	rc = blocks_pull(t.reg, t.repo, reference, dest, &po, &res, &c->e);
	if (pp.what)
		log_progress_end(&pp.p);
	if (rc == ERR_NOTFOUND) {
		char said[ERR_MSG_MAX];
		snprintf(said, sizeof said, "%s", c->e.msg);
		c->e.code = 0;
		err_set(&c->e, ERR_NOTFOUND, "block '%s' not found in registry", t.display);
		char name[REF_STR_MAX];
		ref_name(&t.written, name, sizeof name);
		err_hint(&c->e,
		         "The registry said: %s. See the tags with: polycrate blocks tags %s", said,
		         name);
		goto out;
	}
	if (rc < 0) {
		registry_hint(&c->e, t.api_host);
		goto out;
	}
	ref_format(&t.use, resolved, sizeof resolved);
	if (rc == 1) {
		if (c->cli->json)
			printf("{\"reference\":\"%s\",\"path\":\"%s/%s\",\"digest\":\"%s\","
			       "\"up_to_date\":true}\n",
			       t.display, c->ws.blocksroot, path, res.manifest_digest);
		else
			printf("%s is up to date in %s/%s (%s)\n", t.display, c->ws.blocksroot,
			       path, res.manifest_digest);
		rc = 0;
		goto out;
	}

	/* what is installed now: the block.poly in it says name and version */
	struct workspace_block nb = {0};
	struct err be;
	err_init(&be);
	if (workspace_block_load(dest, path, &nb, &be) == 0) {
		char vtag[BLOCKS_TAG_MAX];
		const char *tg = t.written.tag;
		if (tg[0] && strcmp(tg, "latest") && nb.version &&
		    semver_tag(nb.version, vtag, sizeof vtag, NULL) == 0 && strcmp(vtag, tg))
			log_warn("%s: block.poly says version %s, the tag is %s", t.display,
			         nb.version, tg);
		if (nb.name)
			snprintf(res.name, sizeof res.name, "%s", nb.name);
		if (nb.version)
			snprintf(res.version, sizeof res.version, "%s", nb.version);
	} else {
		log_warn("%s: the pulled block has no readable block.poly: %s", t.display, be.msg);
	}
	workspace_block_free(&nb);

	char *layers[BLOCKS_LAYERS_MAX];
	char when[LOCK_TIME_MAX];
	for (size_t i = 0; i < res.nlayers; i++)
		layers[i] = res.layers[i];
	lock_time_now(when);
	struct lock_entry en = {
	    .install_path = (char *)path,
	    .name = res.name[0] ? res.name : NULL,
	    .version = res.version[0] ? res.version : NULL,
	    .ref = (char *)text,
	    .resolved = resolved,
	    .registry = t.api_host,
	    .manifest_digest = res.manifest_digest,
	    .config_digest = res.config_digest,
	    .layers = layers,
	    .nlayers = res.nlayers,
	    .pulled_at = when,
	};
	pthread_mutex_lock(&lock_mu);
	rc = lock_put(lf, &en, &c->e);
	if (rc == 0)
		rc = lock_write(c->lockfile, lf, &c->e);
	pthread_mutex_unlock(&lock_mu);
	if (rc < 0) {
		err_prefix(&c->e, "%s was installed, but blocks.lock could not be updated",
		           t.display);
		goto out;
	}
	if (c->cli->json) {
		char where[8192];
		struct jout j;
		struct json_writer *w = jout_begin(&j);
		snprintf(where, sizeof where, "%s/%s", c->ws.blocksroot, path);
		json_w_obj_begin(w);
		json_w_ktext(w, "reference", t.display);
		json_w_ktext(w, "resolved", resolved);
		json_w_ktext(w, "path", where);
		json_w_kstr(w, "digest", res.manifest_digest);
		json_w_ktext(w, "name", res.name);
		json_w_ktext(w, "version", res.version);
		json_w_kuint(w, "bytes", res.bytes);
		json_w_obj_end(w);
		rc = jout_print(&j, &c->e);
	} else {
		printf("Pulled %s into %s/%s (%s)\n", t.display, c->ws.blocksroot, path,
		       res.manifest_digest);
	}
out:
	ctx_target_close(&t);
	return rc;
}

int ctx_pull(struct ctx *c, const char *text, struct lock_file *lf)
{
	struct lock_file own = {0};
	int rc = ctx_lock(c);
	if (rc < 0)
		return rc;
	if (!lf) {
		rc = lock_read(c->lockfile, &own, &c->e);
		if (rc < 0)
			return rc;
		lf = &own;
	}
	rc = pull_one(c, text, lf);
	lock_free(&own);
	return rc;
}

int cmd_pull(struct cli *cl)
{
	struct ctx c;
	struct lock_file lf = {0};
	int rc, status = 0;
	if (cl->argc < 1)
		return cli_failf(
		    2, "blocks pull needs a reference (see polycrate blocks pull --help)");
	rc = ctx_open(&c, cl);
	if (rc == 0)
		rc = ctx_lock(&c);
	if (rc == 0)
		rc = lock_read(c.lockfile, &lf, &c.e);
	for (int i = 0; rc == 0 && i < cl->argc; i++)
		rc = pull_one(&c, cl->argv[i], &lf);
	if (rc < 0)
		status = ctx_fail(&c);
	lock_free(&lf);
	ctx_close(&c);
	return status;
}

/* ---- uninstall ---- */

int cmd_uninstall(struct cli *cl)
{
	struct ctx c;
	struct lock_file lf = {0};
	char dir[8400];
	int rc, status = 0, changed = 0;
	if (cl->argc < 1)
		return cli_failf(
		    2,
		    "blocks uninstall needs a block name (see polycrate blocks uninstall --help)");
	rc = ctx_open(&c, cl);
	if (rc == 0)
		rc = ctx_lock(&c);
	if (rc == 0)
		rc = workspace_scan_blocks(&c.ws, &c.e);
	if (rc == 0)
		rc = lock_read(c.lockfile, &lf, &c.e);
	for (int i = 0; rc == 0 && i < cl->argc; i++) {
		const struct workspace_block *b = NULL;
		const char *what = cl->argv[i];
		rc = workspace_find_block(&c.ws, what, &b, &c.e);
		if (rc == ERR_NOTFOUND) {
			/* a block of workspace.poly (from: ...) has no folder of its own */
			for (size_t j = 0; j < c.ws.nws_blocks; j++)
				if (c.ws.ws_blocks[j].name &&
				    !strcmp(c.ws.ws_blocks[j].name, what)) {
					c.e.code = 0;
					err_set(&c.e, ERR_USAGE,
					        "block '%s' is defined in %s%s%s: it has no folder "
					        "to remove",
					        what, WORKSPACE_FILE,
					        c.ws.ws_blocks[j].from ? " from " : "",
					        c.ws.ws_blocks[j].from ? c.ws.ws_blocks[j].from
					                               : "");
					err_hint(&c.e, "Remove its entry from %s instead.",
					         WORKSPACE_FILE);
					rc = ERR_USAGE;
					break;
				}
			if (rc == ERR_NOTFOUND)
				err_hint(&c.e,
				         "See the installed blocks with: polycrate blocks list");
			break;
		}
		if (rc < 0)
			break;
		rc = fs_rmtree(b->dir, &c.e);
		if (rc < 0)
			break;
		/* folders the install made above it go too, once empty */
		snprintf(dir, sizeof dir, "%s", b->dir);
		for (char *sl; (sl = strrchr(dir, '/')) && sl > dir + strlen(c.blocks);) {
			*sl = 0;
			if (rmdir(dir) < 0)
				break;
		}
		if (b->install_path && lock_remove(&lf, b->install_path) == 1)
			changed = 1;
		if (cl->set[F_PRUNE] && b->name) {
			snprintf(dir, sizeof dir, "%s/%s/blocks/%s", c.root, c.ws.artifactsroot,
			         b->name);
			rc = fs_rmtree(dir, &c.e);
			if (rc < 0)
				break;
		}
		if (cl->json) {
			struct jout j;
			struct json_writer *w = jout_begin(&j);
			json_w_obj_begin(w);
			json_w_ktext(w, "uninstalled", b->name ? b->name : what);
			json_w_ktext(w, "path", b->install_path ? b->install_path : "");
			json_w_obj_end(w);
			if ((rc = jout_print(&j, &c.e)) < 0)
				break;
		} else
			printf("Uninstalled %s (%s/%s)\n", b->name ? b->name : what,
			       c.ws.blocksroot, b->install_path ? b->install_path : "");
	}
	if (rc == 0 && changed)
		rc = lock_write(c.lockfile, &lf, &c.e);
	if (rc < 0)
		status = ctx_fail(&c);
	lock_free(&lf);
	ctx_close(&c);
	return status;
}

/* ---- inspect, list ---- */

/* A block as JSON (blocks inspect, one element of blocks list). */
static void json_block(struct json_writer *w, const struct workspace_block *b,
                       const struct lock_entry *le)
{
	json_w_obj_begin(w);
	json_w_ktext(w, "name", b->name);
	json_w_ktext(w, "version", b->version);
	json_w_ktext(w, "kind", b->kind);
	json_w_ktext(w, "description", b->description);
	json_w_ktext(w, "path", b->install_path);
	json_w_ktext(w, "folder", b->dir);
	json_w_ktext(w, "from", b->from);
	json_w_kbool(w, "template", b->is_template);
	json_w_key(w, "actions");
	json_w_arr_begin(w);
	for (size_t i = 0; i < b->nactions; i++)
		json_w_text(w, b->actions[i].name);
	json_w_arr_end(w);
	json_w_key(w, "installed");
	if (le) {
		json_w_obj_begin(w);
		json_w_ktext(w, "reference", le->ref);
		json_w_ktext(w, "resolved", le->resolved);
		json_w_ktext(w, "registry", le->registry);
		json_w_ktext(w, "manifest_digest", le->manifest_digest);
		json_w_ktext(w, "config_digest", le->config_digest);
		json_w_key(w, "layers");
		json_w_arr_begin(w);
		for (size_t i = 0; i < le->nlayers; i++)
			json_w_text(w, le->layers[i]);
		json_w_arr_end(w);
		json_w_ktext(w, "pulled_at", le->pulled_at);
		json_w_obj_end(w);
	} else {
		json_w_null(w);
	}
	json_w_obj_end(w);
}

static void print_block(const struct ctx *c, const struct workspace_block *b,
                        const struct lock_entry *le)
{
	printf("Name:        %s\n", b->name ? b->name : "");
	printf("Version:     %s\n", b->version ? b->version : "");
	if (b->kind)
		printf("Kind:        %s\n", b->kind);
	if (b->description)
		printf("Description: %s\n", b->description);
	printf("Path:        %s/%s\n", c->ws.blocksroot, b->install_path ? b->install_path : "");
	if (b->from)
		printf("From:        %s\n", b->from);
	if (b->nactions) {
		printf("Actions:    ");
		for (size_t i = 0; i < b->nactions; i++)
			printf(" %s", b->actions[i].name);
		putchar('\n');
	}
	if (le) {
		printf("Source:      %s\n", le->ref);
		if (le->resolved && strcmp(le->resolved, le->ref))
			printf("Fetched as:  %s\n", le->resolved);
		printf("Registry:    %s\n", le->registry ? le->registry : "");
		printf("Manifest:    %s\n", le->manifest_digest);
		if (le->config_digest)
			printf("Config:      %s\n", le->config_digest);
		for (size_t i = 0; i < le->nlayers; i++)
			printf("Layer:       %s\n", le->layers[i]);
		if (le->pulled_at)
			printf("Pulled:      %s\n", le->pulled_at);
	} else {
		printf("Source:      local (not pulled)\n");
	}
}

static int inspect_remote(struct ctx *c, const char *text)
{
	struct ctx_target t = {0};
	struct registry_manifest m = {0};
	struct oci_manifest om = {0};
	struct oci_config cfg = {0};
	struct buf body;
	uint64_t total = 0;
	int rc;
	buf_init(&body, 0);
	rc = ctx_target(c, text, &t);
	if (rc < 0)
		goto out;
	const char *reference = t.use.digest[0] ? t.use.digest
	                        : t.use.tag[0]  ? t.use.tag
	                                        : "latest";
	rc = blocks_image_manifest(t.reg, t.repo, reference, &m, &om, &c->e);
	if (rc == ERR_NOTFOUND) {
		c->e.code = 0;
		err_set(&c->e, ERR_NOTFOUND, "block '%s' not found in registry", t.display);
	}
	if (rc < 0)
		goto out;
	rc = blocks_config(t.reg, t.repo, &om.config, &body, &c->e);
	if (rc < 0)
		goto out;
	oci_config_parse(body.p, body.len, &cfg, NULL);
	for (size_t i = 0; i < om.nlayers; i++)
		total += om.layers[i].size;
	if (c->cli->json) {
		struct jout j;
		struct json_writer *w = jout_begin(&j);
		json_w_obj_begin(w);
		json_w_ktext(w, "reference", t.display);
		json_w_kstr(w, "digest", m.digest);
		json_w_ktext(w, "media_type", m.media_type);
		json_w_ktext(w, "title", om.title[0] ? om.title : NULL);
		json_w_ktext(w, "version", om.version[0] ? om.version : NULL);
		json_w_kuint(w, "size", total);
		json_w_key(w, "layers");
		json_w_arr_begin(w);
		for (size_t i = 0; i < om.nlayers; i++) {
			json_w_obj_begin(w);
			json_w_ktext(w, "digest", om.layers[i].digest);
			json_w_ktext(w, "media_type", om.layers[i].media_type);
			json_w_kuint(w, "size", om.layers[i].size);
			json_w_obj_end(w);
		}
		json_w_arr_end(w);
		json_w_key(w, "labels");
		json_w_obj_begin(w);
		for (size_t i = 0; i < cfg.nlabels; i++) {
			json_w_key(w, cfg.labels[i].key);
			json_w_text(w, cfg.labels[i].value);
		}
		json_w_obj_end(w);
		json_w_obj_end(w);
		rc = jout_print(&j, &c->e);
	} else {
		printf("Reference:   %s\n", t.display);
		printf("Digest:      %s\n", m.digest);
		printf("Media type:  %s\n", m.media_type);
		if (om.title[0])
			printf("Title:       %s\n", om.title);
		if (om.version[0])
			printf("Version:     %s\n", om.version);
		printf("Size:        %llu bytes in %zu layer%s\n", (unsigned long long)total,
		       om.nlayers, om.nlayers == 1 ? "" : "s");
		for (size_t i = 0; i < om.nlayers; i++)
			printf("Layer:       %s (%llu bytes, %s)\n", om.layers[i].digest,
			       (unsigned long long)om.layers[i].size, om.layers[i].media_type);
		for (size_t i = 0; i < cfg.nlabels; i++)
			printf("Label:       %s=%s\n", cfg.labels[i].key, cfg.labels[i].value);
	}
out:
	if (rc < 0)
		registry_hint(&c->e, t.api_host[0] ? t.api_host : "REGISTRY");
	oci_config_free(&cfg);
	oci_manifest_free(&om);
	registry_manifest_free(&m);
	buf_free(&body);
	ctx_target_close(&t);
	return rc < 0 ? rc : 0;
}

static int ws_entry_named(const struct workspace *ws, const char *name)
{
	for (size_t i = 0; i < ws->nws_blocks; i++)
		if (ws->ws_blocks[i].name && !strcmp(ws->ws_blocks[i].name, name))
			return 1;
	return 0;
}

/* A block of workspace.poly: shown as it resolves (its from: chain followed). */
static int inspect_resolved(struct ctx *c, const char *name)
{
	struct resolved r;
	int rc = resolve_block(&c->ws, name, c->cli->set[F_AUTO_PULL] ? ctx_auto_pull : NULL, c, &r,
	                       &c->e);
	if (rc < 0)
		return rc;
	if (c->cli->json) {
		struct jout j;
		struct json_writer *w = jout_begin(&j);
		json_w_obj_begin(w);
		json_w_ktext(w, "name", r.name);
		json_w_ktext(w, "version", r.version);
		json_w_ktext(w, "kind", r.kind);
		json_w_ktext(w, "folder", r.dir);
		json_w_key(w, "chain");
		json_w_arr_begin(w);
		for (size_t i = 0; i < r.nchain; i++)
			json_w_text(w, r.chain[i]);
		json_w_arr_end(w);
		json_w_key(w, "actions");
		json_w_arr_begin(w);
		for (size_t i = 0; i < r.nactions; i++)
			json_w_text(w, r.actions[i]->name);
		json_w_arr_end(w);
		json_w_obj_end(w);
		rc = jout_print(&j, &c->e);
	} else {
		printf("Name:        %s\n", r.name ? r.name : "");
		printf("Version:     %s\n", r.version ? r.version : "");
		if (r.kind)
			printf("Kind:        %s\n", r.kind);
		printf("Folder:      %s\n", r.dir);
		printf("Inherits:   ");
		for (size_t i = 1; i < r.nchain; i++)
			printf(" %s", r.chain[i]);
		printf("%s\n", r.nchain > 1 ? "" : " nothing");
		printf("Actions:    ");
		for (size_t i = 0; i < r.nactions; i++)
			printf(" %s", r.actions[i]->name);
		putchar('\n');
	}
	resolved_free(&r);
	return 0;
}

int cmd_inspect(struct cli *cl)
{
	struct ctx c;
	struct lock_file lf = {0};
	const struct workspace_block *b;
	int rc, status = 0;
	if (cl->argc != 1)
		return cli_failf(
		    2, "blocks inspect takes one block name (or a reference with --remote)");
	rc = ctx_open(&c, cl);
	if (rc == 0 && cl->set[F_REMOTE]) {
		rc = inspect_remote(&c, cl->argv[0]);
		goto out;
	}
	if (rc == 0)
		rc = workspace_scan_blocks(&c.ws, &c.e);
	if (rc == 0)
		rc = ctx_pull_missing(&c);
	if (rc == 0 && ws_entry_named(&c.ws, cl->argv[0])) {
		rc = inspect_resolved(&c, cl->argv[0]);
		goto out;
	}
	if (rc == 0)
		rc = workspace_find_block(&c.ws, cl->argv[0], &b, &c.e);
	if (rc == ERR_NOTFOUND)
		err_hint(&c.e, "See the blocks with: polycrate blocks list (or pull it first)");
	if (rc == 0)
		rc = lock_read(c.lockfile, &lf, &c.e);
	if (rc == 0) {
		const struct lock_entry *le =
		    b->install_path ? lock_find(&lf, b->install_path) : NULL;
		if (cl->json) {
			struct jout j;
			json_block(jout_begin(&j), b, le);
			rc = jout_print(&j, &c.e);
		} else {
			print_block(&c, b, le);
		}
	}
out:
	if (rc < 0)
		status = ctx_fail(&c);
	lock_free(&lf);
	ctx_close(&c);
	return status;
}

int cmd_list(struct cli *cl)
{
	struct ctx c;
	struct lock_file lf = {0};
	int rc, status = 0;
	if (cl->argc)
		return cli_failf(2, "blocks list takes no arguments");
	rc = ctx_open(&c, cl);
	if (rc == 0)
		rc = workspace_scan_blocks(&c.ws, &c.e);
	if (rc == 0)
		rc = ctx_pull_missing(&c);
	if (rc == 0)
		rc = lock_read(c.lockfile, &lf, &c.e);
	if (rc == 0) {
		struct jout j;
		struct json_writer *w = cl->json ? jout_begin(&j) : NULL;
		if (w)
			json_w_arr_begin(w);
		else if (c.ws.nblocks)
			printf("%-24s %-12s %-12s %-32s %s\n", "NAME", "VERSION", "KIND", "PATH",
			       "SOURCE");
		for (size_t i = 0; i < c.ws.nblocks; i++) {
			const struct workspace_block *b = c.ws.blocks[i];
			const struct lock_entry *le =
			    b->install_path ? lock_find(&lf, b->install_path) : NULL;
			if (w) {
				json_block(w, b, le);
			} else {
				printf("%-24s %-12s %-12s %-32s %s\n", b->name ? b->name : "-",
				       b->version ? b->version : "-", b->kind ? b->kind : "-",
				       b->install_path ? b->install_path : "-",
				       le ? le->ref : "local");
			}
		}
		if (w) {
			json_w_arr_end(w);
			rc = jout_print(&j, &c.e);
		} else if (!c.ws.nblocks) {
			log_note("No blocks in %s", c.blocks);
		}
	}
	if (rc < 0)
		status = ctx_fail(&c);
	lock_free(&lf);
	ctx_close(&c);
	return status;
}

/* ---- tags ---- */

static int tag_cmp(const void *a, const void *b)
{
	return semver_cmp_tags(*(char *const *)a, *(char *const *)b);
}

int cmd_tags(struct cli *cl)
{
	struct ctx c;
	struct ctx_target t = {0};
	struct registry_tags tags = {0};
	int rc, status = 0;
	if (cl->argc != 1)
		return cli_failf(2, "blocks tags takes one reference");
	rc = ctx_open(&c, cl);
	if (rc == 0)
		rc = ctx_target(&c, cl->argv[0], &t);
	if (rc == 0)
		rc = registry_tags_list(t.reg, t.repo, 0, &tags, &c.e);
	if (rc == ERR_NOTFOUND) {
		char name[REF_STR_MAX];
		ref_name(&t.written, name, sizeof name);
		c.e.code = 0;
		err_set(&c.e, ERR_NOTFOUND, "block '%s' not found in registry", name);
	}
	if (rc == 0) {
		qsort(tags.v, tags.n, sizeof tags.v[0], tag_cmp);
		if (cl->json) {
			struct jout j;
			struct json_writer *w = jout_begin(&j);
			json_w_arr_begin(w);
			for (size_t i = 0; i < tags.n; i++)
				json_w_text(w, tags.v[i]);
			json_w_arr_end(w);
			rc = jout_print(&j, &c.e);
		} else {
			for (size_t i = 0; i < tags.n; i++)
				printf("%s\n", tags.v[i]);
		}
	}
	if (rc < 0) {
		registry_hint(&c.e, t.api_host[0] ? t.api_host : "REGISTRY");
		status = ctx_fail(&c);
	}
	registry_tags_free(&tags);
	ctx_target_close(&t);
	ctx_close(&c);
	return status;
}
