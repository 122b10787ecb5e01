/* oci.h - OCI and Docker schema2 image manifests, indexes and configs: parse and build */
#ifndef POLYCRATE_OCI_H
#define POLYCRATE_OCI_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "err.h"

struct buf;

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_TGZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define DOCKER_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MT_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The labels and annotations of the artifact (DESIGN.md §1.5). */
#define OCI_LABEL_NAME "blocks.polycrate.io/name"
#define OCI_LABEL_KIND "blocks.polycrate.io/kind"
#define OCI_LABEL_VERSION "polycrate.block.version"
#define OCI_LABEL_MANAGED "polycrate.io/managed-by"
#define OCI_ANNOT_TITLE "org.opencontainers.image.title"
#define OCI_ANNOT_VERSION "org.opencontainers.image.version"

/* Limits; exceeding one is an error that names it. */
#define OCI_MANIFEST_MAX (4u * 1024 * 1024) /* bytes of a manifest or index */
#define OCI_CONFIG_MAX (4u * 1024 * 1024)   /* bytes of an image config */
#define OCI_LAYERS_MAX 256                  /* layers in one manifest */
#define OCI_INDEX_MAX 1024                  /* entries in one index */
#define OCI_LABELS_MAX 1024                 /* labels in one config */
#define OCI_MEDIA_TYPE_MAX 256              /* one media type */
#define OCI_PLATFORM_MAX 64                 /* os, architecture, variant: each */
#define OCI_ANNOT_VALUE_MAX 1024            /* the title and version annotations we keep */

enum oci_kind {
	OCI_KIND_MANIFEST = 1, /* OCI image manifest or Docker schema2 manifest */
	OCI_KIND_INDEX,        /* OCI index or Docker manifest list */
};

enum oci_comp {
	OCI_COMP_UNKNOWN = 0,
	OCI_COMP_TAR,
	OCI_COMP_GZIP,
	OCI_COMP_ZSTD,
};

struct oci_desc {
	char media_type[OCI_MEDIA_TYPE_MAX];
	char digest[DIGEST_STR_MAX];
	uint64_t size;
	/* index entries only ("" when the entry has no platform) */
	char os[OCI_PLATFORM_MAX], arch[OCI_PLATFORM_MAX], variant[OCI_PLATFORM_MAX];
	int comp; /* layers only: enum oci_comp from the media type */
};

struct oci_manifest {
	char media_type[OCI_MEDIA_TYPE_MAX]; /* the body's mediaType, else the Content-Type */
	int docker;                          /* 1: Docker schema2 */
	struct oci_desc config;
	struct oci_desc *layers; /* malloc'ed, nlayers entries */
	size_t nlayers;
	char title[OCI_ANNOT_VALUE_MAX]; /* annotations; "" when absent */
	char version[OCI_ANNOT_VALUE_MAX];
};

struct oci_index {
	char media_type[OCI_MEDIA_TYPE_MAX];
	int docker;
	struct oci_desc *manifests; /* malloc'ed, n entries */
	size_t n;
};

struct oci_label {
	char *key, *value;
};

struct oci_config {
	char os[OCI_PLATFORM_MAX], arch[OCI_PLATFORM_MAX];
	struct oci_label *labels; /* in document order; each string malloc'ed */
	size_t nlabels;
	char (*diff_ids)[DIGEST_STR_MAX]; /* rootfs.diff_ids */
	size_t ndiff_ids;
};

/*
 * What body is: OCI_KIND_MANIFEST or OCI_KIND_INDEX, judged by the body's mediaType, else
 * content_type (may be NULL; parameters after ';' ignored), else by which of "layers" or
 * "manifests" it holds. ERR_FAIL (with *e) for invalid JSON, a known other type (schema1)
 * or an unknown media type.
 */
int oci_kind(const char *body, size_t len, const char *content_type, struct err *e);

/*
 * Parses an image manifest (OCI or Docker schema2) strictly: schemaVersion 2, a config
 * descriptor, a layers array (at most OCI_LAYERS_MAX), every descriptor with a media type,
 * a sha256 digest and a size. Layer media types are recorded in desc.comp, not judged here
 * (oci_layer_check does that), so a manifest with zstd layers can still be inspected.
 * Returns 0; on error ERR_FAIL with *e and m emptied. oci_manifest_free releases m either
 * way.
 */
int oci_manifest_parse(const char *body, size_t len, const char *content_type,
                       struct oci_manifest *m, struct err *e);
void oci_manifest_free(struct oci_manifest *m);

/* 0 when the layer can be unpacked (tar or tar+gzip); ERR_FAIL "... not supported" for
 * zstd and for any other media type. */
int oci_layer_check(const struct oci_desc *d, struct err *e);

/* Parses an OCI index or Docker manifest list (at most OCI_INDEX_MAX entries). 0, or
 * ERR_FAIL with *e and ix emptied; oci_index_free releases ix either way. */
int oci_index_parse(const char *body, size_t len, const char *content_type, struct oci_index *ix,
                    struct err *e);
void oci_index_free(struct oci_index *ix);

/*
 * Chooses the entry for os/arch (NULL: linux/amd64): the first exact match, else the only
 * entry that has a real platform (attestation entries "unknown/unknown" do not count),
 * else ERR_NOTFOUND naming the platforms the index has. Returns the entry's index.
 */
int oci_index_pick(const struct oci_index *ix, const char *os, const char *arch, struct err *e);

/* Parses an image config: os, architecture, config.Labels, rootfs.diff_ids. 0, or
 * ERR_FAIL with *e and c emptied; oci_config_free releases c either way. */
int oci_config_parse(const char *body, size_t len, struct oci_config *c, struct err *e);
void oci_config_free(struct oci_config *c);
/* The value of label key, or NULL. */
const char *oci_config_label(const struct oci_config *c, const char *key);

/* The block artifact (DESIGN.md §1.5). Strings must be valid UTF-8; kind may be NULL. */
struct oci_block {
	const char *name, *kind, *version;
	const char *diff_id;      /* sha256 of the uncompressed tar */
	const char *layer_digest; /* sha256 of the gzip stream */
	uint64_t layer_size;
};

/* Appends the config's exact bytes to out: fixed key order, labels sorted by key, no
 * timestamps. 0, or ERR_FAIL (bad digest, buf limit) with out holding a partial document. */
int oci_config_build(const struct oci_block *b, struct buf *out, struct err *e);

/* Appends the manifest's exact bytes to out, naming the config blob by config_digest and
 * config_size. 0, or ERR_FAIL like oci_config_build. */
int oci_manifest_build(const struct oci_block *b, const char *config_digest, uint64_t config_size,
                       struct buf *out, struct err *e);

#endif
