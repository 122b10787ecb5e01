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
static struct io_in *with_progress(struct io_in *src, progress_fn fn, void *arg,
				   const char *what, uint64_t done, uint64_t total, struct err *e)
{
	struct prog_in *s;
	if (!fn || !src)
		return src;
	s = calloc(1, sizeof *s);
	if (!s) {
		io_in_close(src);
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	s->in.ops = &prog_ops;
	s->in.e = e;
	s->src = src;
	s->fn = fn;
	s->arg = arg;
	s->what = what;
	s->done = done;
	s->total = total;
	return &s->in;
}

/* ---- push ---- */

/* The staged layer from offset, counted for the progress line. */
struct layer_src {
	const char *path;
	const struct blocks_push_opts *o;
	uint64_t size;
};

static struct io_in *layer_open(void *arg, uint64_t offset, struct err *e)
{
	struct layer_src *ls = arg;
	int fd = open(ls->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, ERR_FAIL, errno, "opening %s", ls->path);
		return NULL;
	}
	if (offset && lseek(fd, (off_t)offset, SEEK_SET) != (off_t)offset) {
		err_sys(e, ERR_FAIL, errno, "seeking in %s", ls->path);
		close(fd);
		return NULL;
	}
	return with_progress(io_in_fd(fd, 1, e), ls->o->progress, ls->o->arg, "layer", offset,
			     ls->size, e);
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

static int move_latest(struct registry *r, const char *repo, const char *tag, const char *mt,
		       const void *manifest, size_t len, struct blocks_push_result *res,
		       struct err *e)
{
	struct registry_tags tags = {0};
	struct semver ours, high;
	const char *best;
	int rc = registry_tags_list(r, repo, 0, &tags, e);
	if (rc < 0)
		return rc;
	best = blocks_highest_tag(tags.v, tags.n);
	if (best && semver_parse_tag(tag, &ours, NULL) == 0 &&
	    semver_parse_tag(best, &high, NULL) == 0 && semver_cmp(&high, &ours) > 0) {
		snprintf(res->latest_kept_by, sizeof res->latest_kept_by, "%s", best);
		res->latest = 0;
		registry_tags_free(&tags);
		return 0;
	}
	registry_tags_free(&tags);
	rc = registry_manifest_put(r, repo, "latest", mt, manifest, len, NULL, e);
	if (rc == 0)
		res->latest = 1;
	return rc;
}

int blocks_push(struct registry *r, const char *repo, const struct workspace_block *b,
		const struct blocks_push_opts *o, struct blocks_push_result *res, struct err *e)
{
	char layer[4096];
	struct buf config, manifest;
	struct registry_manifest old;
	struct pack_opts po = {0};
	struct io_out *out;
	int rc, staged = 0;
	static unsigned seq;

	memset(res, 0, sizeof *res);
	memset(&old, 0, sizeof old);
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

	snprintf(layer, sizeof layer, "%s/push-%d-%u.tar.gz", o->tmpdir, (int)getpid(), seq++);
	out = io_out_atomic(layer, 0600, e);
	if (!out)
		return e->code ? e->code : ERR_FAIL;
	staged = 1;
	po.level = o->level;
	po.mtime = o->mtime;
	rc = pack_block(b->dir, out, &po, &res->layer, e);
	if (rc < 0)
		goto out;

	struct oci_block ob = {
		.name = b->name,
		.kind = b->kind,
		.version = b->version,
		.diff_id = res->layer.diff_id,
		.layer_digest = res->layer.digest,
		.layer_size = res->layer.size,
	};
	rc = oci_config_build(&ob, &config, e);
	if (rc < 0)
		goto out;
	sha256_str(config.p, config.len, res->config_digest);
	rc = oci_manifest_build(&ob, res->config_digest, config.len, &manifest, e);
	if (rc < 0)
		goto out;

	/* The version tag: absent → push; same content → up to date; else a conflict. */
	struct err ce;
	err_init(&ce);
	rc = registry_manifest_get(r, repo, res->tag, &old, &ce);
	if (rc == 0) {
		rc = same_content(r, repo, &old, &res->layer, &ce);
		if (rc < 0) {
			*e = ce;
			err_prefix(e, "checking %s:%s in the registry", repo, res->tag);
			goto out;
		}
		if (!rc) {
			rc = err_set(e, ERR_CONFLICT, "block '%s' already exists with different version",
				     b->name);
			err_hint(e,
				 "%s:%s holds other content. Raise 'version' in %s (e.g. with sed -i "
				 "'s/version: %s/version: <next>/') and push again.",
				 repo, res->tag, b->file ? b->file : "block.poly", b->version);
			goto out;
		}
		res->up_to_date = 1;
		snprintf(res->manifest_digest, sizeof res->manifest_digest, "%s", old.digest);
	} else if (rc != ERR_NOTFOUND) {
		*e = ce;
		err_prefix(e, "checking %s:%s in the registry", repo, res->tag);
		goto out;
	}

	if (!res->up_to_date) {
		struct layer_src lsrc = {layer, o, res->layer.size};
		struct registry_blob_src ls = {.open = layer_open,
					       .arg = &lsrc,
					       .size = res->layer.size,
					       .digest = res->layer.digest};
		struct registry_upload_stats st = {0};
		rc = registry_blob_push(r, repo, &ls, NULL, &st, e);
		if (rc < 0)
			goto out;
		res->layer_uploaded = st.how != REGISTRY_UP_EXISTS;
		struct mem_src ms = {config.p, config.len};
		struct registry_blob_src cs = {.open = mem_open,
					       .arg = &ms,
					       .size = config.len,
					       .digest = res->config_digest};
		rc = registry_blob_push(r, repo, &cs, NULL, NULL, e);
		if (rc < 0)
			goto out;
		rc = registry_manifest_put(r, repo, res->tag, OCI_MT_MANIFEST, manifest.p, manifest.len,
					   res->manifest_digest, e);
		if (rc < 0)
			goto out;
	}
	if (!o->no_latest) {
		if (res->up_to_date)
			rc = move_latest(r, repo, res->tag, old.media_type, old.body.p, old.body.len,
					 res, e);
		else
			rc = move_latest(r, repo, res->tag, OCI_MT_MANIFEST, manifest.p, manifest.len,
					 res, e);
		if (rc < 0)
			err_prefix(e, "moving the latest tag");
	}
out:
	if (staged)
		unlink(layer);
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
			return err_set(e, ERR_FAIL, "the index entry %s is no image manifest", digest);
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
				     "the image config lists %zu diff_ids for %zu layers", cfg.ndiff_ids,
				     om.nlayers);
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
