/* blocks.h - a block's trip to and from a registry: push (pack, upload, tag) and pull
 * (fetch, verify, extract, swap into place) */
#ifndef POLYCRATE_BLOCKS_H
#define POLYCRATE_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"
#include "pack.h"

struct registry;
struct workspace_block;

#define BLOCKS_LAYERS_MAX 64 /* layers of a pulled artifact we apply */
#define BLOCKS_TAG_MAX 129
#define BLOCKS_PACK_STACK (4u << 20) /* the packing thread (musl's default is 128 KiB) */

struct blocks_push_opts {
	int level;          /* gzip level */
	int64_t mtime;      /* 0 or SOURCE_DATE_EPOCH */
	int no_latest;      /* leave latest alone */
	const char *tmpdir; /* where the layer is staged (a folder that exists) */
	/* progress: called with bytes of the layer sent so far (may be NULL) */
	void (*progress)(void *arg, const char *what, uint64_t done, uint64_t total);
	void *arg;
};

struct blocks_push_result {
	char tag[BLOCKS_TAG_MAX];
	char manifest_digest[DIGEST_STR_MAX];
	char config_digest[DIGEST_STR_MAX];
	struct pack_result layer;
	int up_to_date;     /* the version tag already held this content */
	int layer_uploaded; /* 0 when the registry had the layer already */
	int latest;         /* 1: latest moved here; 0: left (see latest_kept_by); -1: not asked */
	char latest_kept_by[BLOCKS_TAG_MAX]; /* the higher version that keeps latest */
};

/*
 * Pushes block b (its folder b->dir) to repo as its version's tag (DESIGN.md §1.1, §1.5).
 * A thread packs the layer into tmpdir while the tag is checked and the layer streams up
 * behind it (registry_blob_stream); a failed stream is followed by a plain push of the
 * packed file.
 * The version tag already there with the same diff_id: up_to_date, nothing sent but the
 * latest rule. With another diff_id: ERR_CONFLICT "block '<name>' already exists with
 * different version" and the hint. A failure to check (401/403/network) is reported as
 * such. 0 with *res filled, or an ERR_ code.
 */
int blocks_push(struct registry *r, const char *repo, const struct workspace_block *b,
                const struct blocks_push_opts *o, struct blocks_push_result *res, struct err *e);

struct blocks_pull_opts {
	struct pack_limits limits;
	const char *tmpdir; /* <workspace>/.polycrate/tmp: same file system as dest */
	/* the manifest digest installed at dest now (or NULL): when the registry still has
	 * it, nothing is fetched and blocks_pull returns 1 */
	const char *current;
	void (*progress)(void *arg, const char *what, uint64_t done, uint64_t total);
	void *arg;
};

struct blocks_pull_result {
	char manifest_digest[DIGEST_STR_MAX]; /* of the image manifest (after an index) */
	char config_digest[DIGEST_STR_MAX];
	char layers[BLOCKS_LAYERS_MAX][DIGEST_STR_MAX];
	size_t nlayers;
	uint64_t bytes;                          /* blob bytes fetched */
	char name[256], version[129], kind[129]; /* from the config labels, "" when absent */
};

/*
 * Fetches repo:reference (a tag or "sha256:..."), checks every digest (manifest, config,
 * each layer, and each layer's diff_id when the config lists them), extracts the layers
 * safely into a fresh folder below o->tmpdir, and only then puts it at dest (an atomic
 * exchange with the old folder when there is one, which is then removed). On any
 * failure dest is as it was and the temp folder is gone. 0 with *res filled or an ERR_
 * code (ERR_NOTFOUND, ERR_AUTH, ERR_NET, ERR_INTEGRITY for digests and unsafe archives).
 * 1 when o->current is what the registry has: dest is up to date.
 */
int blocks_pull(struct registry *r, const char *repo, const char *reference, const char *dest,
                const struct blocks_pull_opts *o, struct blocks_pull_result *res, struct err *e);

struct registry_manifest;
struct oci_manifest;
/* The image manifest at repo:reference: the one there, or the linux/amd64 entry of an
 * index there (then *m holds that entry's bytes). Both parsed and verified; the caller
 * frees *m and *om (also on error). 0 or an ERR_ code. */
int blocks_image_manifest(struct registry *r, const char *repo, const char *reference,
                          struct registry_manifest *m, struct oci_manifest *om, struct err *e);

struct buf;
struct oci_desc;
/* Appends the verified image config blob d of repo to b (at most OCI_CONFIG_MAX bytes).
 * 0 or an ERR_ code. */
int blocks_config(struct registry *r, const char *repo, const struct oci_desc *d, struct buf *b,
                  struct err *e);

/* Removes <tmpdir>/pull-* and push-* left by interrupted runs (call under the workspace
 * lock). Returns how many were removed, or an ERR_ code. */
int blocks_clean_tmp(const char *tmpdir, struct err *e);

/* The highest SemVer tag in tags (ignoring "latest" and non-SemVer tags), or NULL. */
const char *blocks_highest_tag(char *const *tags, size_t n);

#endif
