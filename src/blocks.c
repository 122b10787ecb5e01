/* blocks.c - push a block folder as an OCI artifact, pull one back into place */
#include "blocks.h"

#include "buf.h"
#include "fs.h"
#include "gz.h"
#include "io.h"
#include "log.h"
#include "oci.h"
#include "registry.h"
#include "semver.h"
#include "tar.h"
#include "workspace.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Reads all of in (closing it) into b, at most max bytes. */
static int slurp(struct io_in *in, struct buf *b, size_t max, const char *what, struct err *e)
{
	char tmp[16384];
	ssize_t n;
	int rc = 0;
	while ((n = io_read(in, tmp, sizeof tmp)) > 0) {
		if (b->len + (size_t)n > max) {
			rc = err_set(e, ERR_INTEGRITY, "%s is larger than %zu bytes", what, max);
			break;
		}
		if (buf_append(b, tmp, (size_t)n) < 0) {
			rc = err_set(e, ERR_FAIL, "out of memory reading %s", what);
			break;
		}
	}
	if (n < 0 && !rc)
		rc = (int)n;
	int crc = io_in_close(in);
	return rc ? rc : crc;
}

int blocks_config(struct registry *r, const char *repo, const struct oci_desc *d, struct buf *b,
                  struct err *e)
{
	struct io_in *in = registry_blob_get(r, repo, d->digest, (int64_t)d->size, e);
	if (!in)
		return e->code ? e->code : ERR_FAIL;
	return slurp(in, b, OCI_CONFIG_MAX, "the image config", e);
}

const char *blocks_highest_tag(char *const *tags, size_t n)
{
	const char *best = NULL;
	struct semver bv, v;
	for (size_t i = 0; i < n; i++) {
		if (semver_parse_tag(tags[i], &v, NULL) < 0)
			continue;
		if (!best || semver_cmp(&v, &bv) > 0) {
			best = tags[i];
			bv = v;
		}
	}
	return best;
}

/* Counts bytes for a progress callback as they pass. */
typedef void (*progress_fn)(void *arg, const char *what, uint64_t done, uint64_t total);
struct prog_in {
	struct io_in in;
	struct io_in *src;
	progress_fn fn;
	void *arg;
	const char *what;
	uint64_t done, total;
};

static ssize_t prog_read(struct io_in *in, void *p, size_t n)
{
	struct prog_in *s = (struct prog_in *)in;
	ssize_t got = io_read(s->src, p, n);
	if (got > 0) {
		s->done += (uint64_t)got;
		s->fn(s->arg, s->what, s->done, s->total);
	}
	return got;
}

static int prog_close(struct io_in *in)
{
	struct prog_in *s = (struct prog_in *)in;
	int rc = io_in_close(s->src);
	free(s);
	return rc;
}

static const struct io_in_ops prog_ops = {prog_read, prog_close};

/* src with progress reports (src itself when fn is NULL); src is owned from the call on. */
static struct io_in *with_progress(struct io_in *src, progress_fn fn, void *arg, const char *what,
                                   uint64_t done, uint64_t total, struct err *e)
{
	struct prog_in *s;
	if (!fn || !src)
		return src;
	if (!(s = (struct prog_in *)io_in_wrap(sizeof *s, &prog_ops, src, e)))
		return NULL;
	s->src = src;
	s->fn = fn;
	s->arg = arg;
	s->what = what;
	s->done = done;
	s->total = total;
	return &s->in;
}

/* ---- push ---- */

/*
 * The layer while it is packed: a thread packs it into a temp file and says how far it
 * got; the upload reads behind it, so compressing and sending overlap. The file stays
 * for a second try (registry_blob_push) when the streamed upload fails.
 */
struct stage {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	const char *path;
	uint64_t written;
	int done, rc;
	int cancel;   /* set by the uploader: the push is over */
	struct err e; /* the packer's */
	const char *dir;
	struct pack_opts po;
	struct pack_result res;
	const struct blocks_push_opts *o;
};

struct stage_out {
	struct io_out out;
	struct stage *s;
};

static int stage_write(struct io_out *out, const void *p, size_t n)
{
	struct stage_out *so = (struct stage_out *)out;
	struct stage *s = so->s;
	const char *c = p;
	size_t left = n;
	while (left) {
		ssize_t w = write(s->fd, c, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return io_out_fail(out, ERR_FAIL, "writing %s: %s", s->path,
			                   strerror(errno));
		c += w;
		left -= (size_t)w;
	}
	pthread_mutex_lock(&s->mu);
	s->written += n;
	int cancel = s->cancel;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return cancel ? io_out_fail(out, ERR_FAIL, "push cancelled") : 0;
}

static int stage_out_close(struct io_out *out, int abort)
{
	(void)abort;
	int rc = out->err;
	free(out);
	return rc;
}

static const struct io_out_ops stage_out_ops = {stage_write, stage_out_close};

static void *packer(void *arg)
{
	struct stage *s = arg;
	struct stage_out *so = (struct stage_out *)io_out_new(sizeof *so, &stage_out_ops, &s->e);
	int rc = ERR_FAIL;
	if (so) {
		so->s = s;
		rc = pack_block(s->dir, &so->out, &s->po, &s->res, &s->e);
	}
	pthread_mutex_lock(&s->mu);
	s->rc = rc;
	s->done = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Reads the stage behind the packer: waits for more, ends where the packer ended. */
struct stage_in {
	struct io_in in;
	struct stage *s;
	uint64_t pos;
};

static ssize_t stage_read(struct io_in *in, void *p, size_t n)
{
	struct stage_in *si = (struct stage_in *)in;
	struct stage *s = si->s;
	uint64_t avail;
	int done, rc;
	pthread_mutex_lock(&s->mu);
	while (s->written == si->pos && !s->done)
		pthread_cond_wait(&s->cv, &s->mu);
	avail = s->written - si->pos;
	done = s->done;
	rc = s->rc;
	pthread_mutex_unlock(&s->mu);
	if (!avail)
		return done && rc < 0 ? io_in_fail(in, ERR_FAIL, "packing the layer failed") : 0;
	if (n > avail)
		n = (size_t)avail;
	ssize_t got;
	do
		got = pread(s->fd, p, n, (off_t)si->pos);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return io_in_fail(in, ERR_FAIL, "reading %s: %s", s->path,
		                  got < 0 ? strerror(errno) : "short file");
	si->pos += (uint64_t)got;
	return got;
}

static int stage_in_close(struct io_in *in)
{
	int rc = in->err;
	free(in);
	return rc;
}

static const struct io_in_ops stage_in_ops = {stage_read, stage_in_close};

static struct io_in *stage_open(void *arg, uint64_t offset, struct err *e)
{
	struct stage *s = arg;
	struct stage_in *si = (struct stage_in *)io_in_new(sizeof *si, &stage_in_ops, e);
	if (!si)
		return NULL;
	si->s = s;
	si->pos = offset;
	return with_progress(&si->in, s->o->progress, s->o->arg, "layer", offset, 0, e);
}

/* The finished layer from offset (a second try after a failed stream), counted for the
 * progress line. */
static struct io_in *layer_open(void *arg, uint64_t offset, struct err *e)
{
	struct stage *s = arg;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, ERR_FAIL, errno, "opening %s", s->path);
		return NULL;
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) != (off_t)offset) {
		err_sys(e, ERR_FAIL, errno, "seeking in %s", s->path);
		close(fd);
		return NULL;
	}
	return with_progress(io_in_fd(fd, 1, e), s->o->progress, s->o->arg, "layer", offset,
	                     s->res.size, e);
}

struct mem_src {
	const char *p;
	size_t n;
};

static struct io_in *mem_open(void *arg, uint64_t offset, struct err *e)
{
	struct mem_src *m = arg;
	if (offset > m->n) {
		err_set(e, ERR_FAIL, "upload offset %llu past the end", (unsigned long long)offset);
		return NULL;
	}
	return io_in_mem(m->p + offset, m->n - (size_t)offset, e);
}

/* The config of the manifest at the tag: does it describe the same tar (diff_id)? 1 same,
 * 0 different, or an ERR_ code. */
static int same_content(struct registry *r, const char *repo, const struct registry_manifest *m,
                        const struct pack_result *ours, struct err *e)
{
	struct oci_manifest om = {0};
	struct oci_config cfg = {0};
	struct buf body;
	int rc, kind;
	buf_init(&body, 0);
	kind = oci_kind(m->body.p, m->body.len, m->media_type, e);
	if (kind < 0)
		return kind;
	if (kind != OCI_KIND_MANIFEST)
		return 0; /* an index under our tag is not our block */
	rc = oci_manifest_parse(m->body.p, m->body.len, m->media_type, &om, e);
	if (rc < 0)
		goto out;
	rc = blocks_config(r, repo, &om.config, &body, e);
	if (rc < 0)
		goto out;
	if (oci_config_parse(body.p, body.len, &cfg, NULL) == 0 && cfg.ndiff_ids > 0) {
		rc = cfg.ndiff_ids == 1 && !strcmp(cfg.diff_ids[0], ours->diff_id);
	} else {
		/* no diff_ids to go by: the same single layer blob is the same content */
		rc = om.nlayers == 1 && !strcmp(om.layers[0].digest, ours->digest);
	}
out:
	oci_config_free(&cfg);
	oci_manifest_free(&om);
	buf_free(&body);
	return rc;
}

/* Whether latest goes to tag: not when tags hold a higher SemVer version (named in res). */
static int latest_wanted(const struct registry_tags *tags, const char *tag,
                         struct blocks_push_result *res)
{
	struct semver ours, high;
	const char *best = blocks_highest_tag(tags->v, tags->n);
	if (best && semver_parse_tag(tag, &ours, NULL) == 0 &&
	    semver_parse_tag(best, &high, NULL) == 0 && semver_cmp(&high, &ours) > 0) {
		snprintf(res->latest_kept_by, sizeof res->latest_kept_by, "%s", best);
		res->latest = 0;
		return 0;
	}
	return 1;
}

/* Tags of repo; a repository the registry does not know yet has none. */
static int list_tags(struct registry *r, const char *repo, struct registry_tags *tags,
                     struct err *e)
{
	struct err le;
	err_init(&le);
	int rc = registry_tags_list(r, repo, 0, tags, &le);
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc < 0) {
		*e = le;
		err_prefix(e, "listing the tags of %s", repo);
	}
	return rc;
}

/* Waits for the packer; its error when it failed. */
static int pack_wait(struct stage *s, pthread_t *th, int *running, struct err *e)
{
	if (*running) {
		pthread_join(*th, NULL);
		*running = 0;
	}
	if (s->rc < 0) {
		*e = s->e;
		return s->rc;
	}
	return 0;
}

/* The layer into repo: streamed while it is packed; when that fails (a registry that
 * refuses a streamed PATCH, a dropped connection), the packed file with HEAD, retries and
 * chunks. */
static int push_layer(struct registry *r, const char *repo, struct stage *s, pthread_t *th,
                      int *running, struct blocks_push_result *res, struct err *e)
{
	struct registry_blob_src ls = {.open = stage_open, .arg = s, .digest = s->res.digest};
	struct registry_upload_stats us = {0};
	struct err se;
	int rc;
	err_init(&se);
	rc = registry_blob_stream(r, repo, &ls, &us, &se);
	int prc = pack_wait(s, th, running, e);
	if (prc < 0)
		return prc;
	res->layer = s->res;
	if (rc == 0) {
		res->layer_uploaded = 1;
		return 0;
	}
	if (se.code == ERR_AUTH) {
		*e = se;
		return rc;
	}
	log_debug("streamed upload of the layer failed (%s); sending the packed layer", se.msg);
	ls.open = layer_open;
	ls.size = s->res.size;
	rc = registry_blob_push(r, repo, &ls, NULL, &us, e);
	if (rc == 0)
		res->layer_uploaded = us.how != REGISTRY_UP_EXISTS;
	return rc;
}

int blocks_push(struct registry *r, const char *repo, const struct workspace_block *b,
                const struct blocks_push_opts *o, struct blocks_push_result *res, struct err *e)
{
	char layer[4096];
	struct buf config, manifest;
	struct registry_manifest old;
	struct registry_tags tags = {0};
	struct registry_session cfg_session = {0};
	struct stage st;
	struct err ce;
	pthread_t th;
	pthread_attr_t attr;
	int rc, staged = 0, running = 0;
	static unsigned seq;

	memset(res, 0, sizeof *res);
	memset(&old, 0, sizeof old);
	memset(&st, 0, sizeof st);
	st.fd = -1;
	res->latest = -1;
	buf_init(&config, OCI_CONFIG_MAX);
	buf_init(&manifest, OCI_MANIFEST_MAX);
	if (!b->version || !*b->version) {
		err_set(e, ERR_USAGE, "block '%s' has no version in %s", b->name,
		        b->file ? b->file : "block.poly");
		err_hint(e, "Set 'version: 1.0.0' (SemVer) in block.poly; the version is the tag.");
		return ERR_USAGE;
	}
	rc = semver_tag(b->version, res->tag, sizeof res->tag, e);
	if (rc < 0) {
		err_prefix(e, "block '%s'", b->name);
		err_hint(e, "The version in block.poly must be SemVer (MAJOR.MINOR.PATCH).");
		return rc;
	}

	/* pack in a thread of its own while the registry is asked about the tag */
	snprintf(layer, sizeof layer, "%s/push-%d-%u.tar.gz", o->tmpdir, (int)getpid(), seq++);
	st.fd = open(layer, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (st.fd < 0)
		return err_sys(e, errno == ENOENT ? ERR_NOTFOUND : ERR_FAIL, errno, "creating %s",
		               layer);
	staged = 1;
	pthread_mutex_init(&st.mu, NULL);
	pthread_cond_init(&st.cv, NULL);
	err_init(&st.e);
	st.path = layer;
	st.dir = b->dir;
	st.po.level = o->level;
	st.po.mtime = o->mtime;
	st.o = o;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, BLOCKS_PACK_STACK);
	if (pthread_create(&th, &attr, packer, &st) == 0)
		running = 1;
	else
		packer(&st); /* no thread to be had: pack first, then talk */
	pthread_attr_destroy(&attr);

	/* The version tag: absent → push; same content → up to date; else a conflict. */
	err_init(&ce);
	rc = registry_manifest_get(r, repo, res->tag, &old, &ce);
	if (rc == 0) {
		if ((rc = pack_wait(&st, &th, &running, e)) < 0)
			goto out;
		res->layer = st.res;
		rc = same_content(r, repo, &old, &res->layer, &ce);
		if (rc < 0) {
			*e = ce;
			err_prefix(e, "checking %s:%s in the registry", repo, res->tag);
			goto out;
		}
		if (!rc) {
			rc = err_set(e, ERR_CONFLICT,
			             "block '%s' already exists with different version", b->name);
			err_hint(
			    e,
			    "%s:%s holds other content. Raise 'version' in %s (e.g. with sed -i "
			    "'s/version: %s/version: <next>/') and push again.",
			    repo, res->tag, b->file ? b->file : "block.poly", b->version);
			goto out;
		}
		res->up_to_date = 1;
		snprintf(res->manifest_digest, sizeof res->manifest_digest, "%s", old.digest);
		if (!o->no_latest && (rc = list_tags(r, repo, &tags, e)) < 0)
			goto out;
	} else if (rc != ERR_NOTFOUND) {
		*e = ce;
		err_prefix(e, "checking %s:%s in the registry", repo, res->tag);
		goto out;
	} else {
		/* asked before the push: our own tag never keeps latest from us */
		if (!o->no_latest && (rc = list_tags(r, repo, &tags, e)) < 0)
			goto out;
		/* the config's session now, while the layer is packed */
		if ((rc = registry_session_open(r, repo, &cfg_session, e)) < 0)
			goto out;
		if ((rc = push_layer(r, repo, &st, &th, &running, res, e)) < 0)
			goto out;
		struct oci_block ob = {
		    .name = b->name,
		    .kind = b->kind,
		    .version = b->version,
		    .diff_id = res->layer.diff_id,
		    .layer_digest = res->layer.digest,
		    .layer_size = res->layer.size,
		};
		if ((rc = oci_config_build(&ob, &config, e)) < 0)
			goto out;
		sha256_str(config.p, config.len, res->config_digest);
		if ((rc = oci_manifest_build(&ob, res->config_digest, config.len, &manifest, e)) <
		    0)
			goto out;
		struct mem_src ms = {config.p, config.len};
		struct registry_blob_src cs = {.open = mem_open,
		                               .arg = &ms,
		                               .size = config.len,
		                               .digest = res->config_digest,
		                               .session = &cfg_session};
		if ((rc = registry_blob_push(r, repo, &cs, NULL, NULL, e)) < 0)
			goto out;
		rc = registry_manifest_put(r, repo, res->tag, OCI_MT_MANIFEST, manifest.p,
		                           manifest.len, res->manifest_digest, e);
		if (rc < 0)
			goto out;
	}
	if (!o->no_latest && latest_wanted(&tags, res->tag, res)) {
		if (res->up_to_date)
			rc = registry_manifest_put(r, repo, "latest", old.media_type, old.body.p,
			                           old.body.len, NULL, e);
		else
			rc = registry_manifest_put(r, repo, "latest", OCI_MT_MANIFEST, manifest.p,
			                           manifest.len, NULL, e);
		if (rc < 0) {
			err_prefix(e, "moving the latest tag");
			goto out;
		}
		res->latest = 1;
	}
out:
	if (running) {
		/* stop the packer at its next write */
		pthread_mutex_lock(&st.mu);
		st.cancel = 1;
		pthread_mutex_unlock(&st.mu);
		pthread_join(th, NULL);
	}
	if (staged) {
		close(st.fd);
		unlink(layer);
		pthread_mutex_destroy(&st.mu);
		pthread_cond_destroy(&st.cv);
	}
	registry_session_cancel(r, repo, &cfg_session);
	registry_tags_free(&tags);
	registry_manifest_free(&old);
	buf_free(&config);
	buf_free(&manifest);
	return rc < 0 ? rc : 0;
}

/* ---- pull ---- */

int blocks_image_manifest(struct registry *r, const char *repo, const char *reference,
                          struct registry_manifest *m, struct oci_manifest *om, struct err *e)
{
	int rc = registry_manifest_get(r, repo, reference, m, e);
	int kind;
	if (rc < 0)
		return rc;
	kind = oci_kind(m->body.p, m->body.len, m->media_type, e);
	if (kind < 0)
		return kind;
	if (kind == OCI_KIND_INDEX) {
		struct oci_index ix = {0};
		char digest[DIGEST_STR_MAX];
		rc = oci_index_parse(m->body.p, m->body.len, m->media_type, &ix, e);
		if (rc == 0)
			rc = oci_index_pick(&ix, NULL, NULL, e);
		if (rc >= 0)
			snprintf(digest, sizeof digest, "%s", ix.manifests[rc].digest);
		oci_index_free(&ix);
		if (rc < 0)
			return rc;
		registry_manifest_free(m);
		rc = registry_manifest_get(r, repo, digest, m, e);
		if (rc < 0)
			return rc;
		kind = oci_kind(m->body.p, m->body.len, m->media_type, e);
		if (kind < 0)
			return kind;
		if (kind != OCI_KIND_MANIFEST)
			return err_set(e, ERR_FAIL, "the index entry %s is no image manifest",
			               digest);
	}
	return oci_manifest_parse(m->body.p, m->body.len, m->media_type, om, e);
}

static int is_config_type(const char *mt)
{
	return !strcmp(mt, OCI_MT_CONFIG) || !strcmp(mt, DOCKER_MT_CONFIG);
}

/* Puts the finished folder src at dest: exchanged atomically with an old one (which ends
 * up at src), or renamed there. */
static int swap_into_place(const char *src, const char *dest, int *exchanged, struct err *e)
{
	struct stat st;
	char parent[4096];
	*exchanged = 0;
	if (lstat(dest, &st) == 0) {
		if (syscall(SYS_renameat2, AT_FDCWD, src, AT_FDCWD, dest, RENAME_EXCHANGE) == 0) {
			*exchanged = 1;
			return 0;
		}
		if (errno != EINVAL && errno != ENOSYS)
			return err_sys(e, ERR_FAIL, errno, "replacing %s", dest);
		/* no exchange here: move the old one aside first */
		char aside[4400];
		snprintf(aside, sizeof aside, "%s.old", src);
		if (rename(dest, aside) < 0)
			return err_sys(e, ERR_FAIL, errno, "moving %s aside", dest);
		if (rename(src, dest) < 0) {
			int saved = errno;
			rename(aside, dest);
			return err_sys(e, ERR_FAIL, saved, "installing %s", dest);
		}
		if (rename(aside, src) < 0)
			return err_sys(e, ERR_FAIL, errno, "removing the old %s", dest);
		*exchanged = 1;
		return 0;
	}
	snprintf(parent, sizeof parent, "%s", dest);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		int rc = fs_mkdirs(parent, 0755, e);
		if (rc < 0)
			return rc;
	}
	if (rename(src, dest) < 0)
		return err_sys(e, ERR_FAIL, errno, "installing %s", dest);
	return 0;
}

int blocks_pull(struct registry *r, const char *repo, const char *reference, const char *dest,
                const struct blocks_pull_opts *o, struct blocks_pull_result *res, struct err *e)
{
	struct registry_manifest m;
	struct oci_manifest om = {0};
	struct oci_config cfg = {0};
	struct pack_extract x;
	struct buf body;
	char tmp[4096], root[4200];
	int rc, have_tmp = 0, extracting = 0, exchanged = 0;
	uint64_t max_tar;

	memset(res, 0, sizeof *res);
	memset(&m, 0, sizeof m);
	buf_init(&body, 0);
	rc = blocks_image_manifest(r, repo, reference, &m, &om, e);
	if (rc < 0)
		goto out;
	snprintf(res->manifest_digest, sizeof res->manifest_digest, "%s", m.digest);
	if (o->current && !strcmp(o->current, m.digest) && fs_is_dir(dest)) {
		rc = 1;
		goto out;
	}
	if (om.nlayers == 0) {
		rc = err_set(e, ERR_FAIL, "%s@%s has no layers: not a block", repo, m.digest);
		goto out;
	}
	if (om.nlayers > BLOCKS_LAYERS_MAX) {
		rc = err_set(e, ERR_FAIL, "%s@%s has %zu layers (at most %d are applied)", repo,
		             m.digest, om.nlayers, BLOCKS_LAYERS_MAX);
		goto out;
	}
	for (size_t i = 0; i < om.nlayers; i++) {
		rc = oci_layer_check(&om.layers[i], e);
		if (rc < 0)
			goto out;
	}

	/* the config: labels, and the diff_ids each layer's tar must hash to */
	snprintf(res->config_digest, sizeof res->config_digest, "%s", om.config.digest);
	rc = blocks_config(r, repo, &om.config, &body, e);
	if (rc < 0)
		goto out;
	res->bytes += body.len;
	if (is_config_type(om.config.media_type)) {
		rc = oci_config_parse(body.p, body.len, &cfg, e);
		if (rc < 0)
			goto out;
		const char *v;
		if ((v = oci_config_label(&cfg, OCI_LABEL_NAME)))
			snprintf(res->name, sizeof res->name, "%s", v);
		if ((v = oci_config_label(&cfg, OCI_LABEL_VERSION)))
			snprintf(res->version, sizeof res->version, "%s", v);
		if ((v = oci_config_label(&cfg, OCI_LABEL_KIND)))
			snprintf(res->kind, sizeof res->kind, "%s", v);
		if (cfg.ndiff_ids && cfg.ndiff_ids != om.nlayers) {
			rc = err_set(e, ERR_INTEGRITY,
			             "the image config lists %zu diff_ids for %zu layers",
			             cfg.ndiff_ids, om.nlayers);
			goto out;
		}
	}

	snprintf(tmp, sizeof tmp, "%s/pull-XXXXXX", o->tmpdir);
	if (!mkdtemp(tmp)) {
		rc = err_sys(e, ERR_FAIL, errno, "creating a temp folder in %s", o->tmpdir);
		goto out;
	}
	have_tmp = 1;
	snprintf(root, sizeof root, "%s/block", tmp);
	if (mkdir(root, 0755) < 0) {
		rc = err_sys(e, ERR_FAIL, errno, "creating %s", root);
		goto out;
	}
	rc = pack_extract_begin(&x, root, &o->limits, e);
	if (rc < 0)
		goto out;
	extracting = 1;
	/* a tar holds at most its files plus headers and padding for each entry */
	max_tar = o->limits.max_bytes + o->limits.max_entries * 3 * 512 + (1u << 20);
	for (size_t i = 0; i < om.nlayers; i++) {
		const struct oci_desc *d = &om.layers[i];
		struct io_in *in = registry_blob_get(r, repo, d->digest, (int64_t)d->size, e);
		if (!in) {
			rc = e->code ? e->code : ERR_FAIL;
			goto out;
		}
		in = with_progress(in, o->progress, o->arg, d->digest, 0, d->size, e);
		if (in && d->comp == OCI_COMP_GZIP)
			in = gz_in(in, max_tar, e);
		if (in && cfg.ndiff_ids)
			in = digest_verify_in(in, cfg.diff_ids[i], -1, e);
		if (!in) {
			rc = e->code ? e->code : ERR_FAIL;
			goto out;
		}
		rc = pack_extract_layer(&x, in);
		int crc = io_in_close(in);
		if (rc == 0)
			rc = crc;
		if (rc < 0) {
			if (!e->code)
				err_set(e, rc, "layer %s failed", d->digest);
			goto out;
		}
		snprintf(res->layers[i], sizeof res->layers[i], "%s", d->digest);
		res->nlayers++;
		res->bytes += d->size;
	}
	extracting = 0;
	rc = pack_extract_end(&x, 1);
	if (rc < 0)
		goto out;
	rc = swap_into_place(root, dest, &exchanged, e);
out:
	if (extracting)
		pack_extract_end(&x, 0);
	if (have_tmp)
		fs_rmtree(tmp, NULL);
	oci_config_free(&cfg);
	oci_manifest_free(&om);
	registry_manifest_free(&m);
	buf_free(&body);
	return rc < 0 ? rc : rc == 1 ? 1 : 0;
}

int blocks_clean_tmp(const char *tmpdir, struct err *e)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[4096];
	int n = 0, rc = 0;
	if (!d)
		return errno == ENOENT ? 0 : err_sys(e, ERR_FAIL, errno, "reading %s", tmpdir);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "pull-", 5) && strncmp(de->d_name, "push-", 5))
			continue;
		if (fs_join(path, sizeof path, tmpdir, de->d_name) < 0)
			continue;
		if (fs_rmtree(path, e) < 0) {
			rc = ERR_FAIL;
			break;
		}
		n++;
	}
	closedir(d);
	return rc < 0 ? rc : n;
}
