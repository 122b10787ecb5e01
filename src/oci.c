/* oci.c - image manifests, indexes and configs (OCI and Docker schema2) over json.c */
#include "oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"

/* Strips parameters (";charset=...") and blanks from a Content-Type into out. */
static void bare_type(const char *ct, char *out, size_t n)
{
	size_t i = 0, k;
	out[0] = 0;
	if (!ct)
		return;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	k = strcspn(ct, "; \t");
	if (k >= n)
		return;
	for (i = 0; i < k; i++)
		out[i] = ct[i];
	out[i] = 0;
}

static int is_manifest_type(const char *t)
{
	return strcmp(t, OCI_MT_MANIFEST) == 0 || strcmp(t, DOCKER_MT_MANIFEST) == 0;
}

static int is_index_type(const char *t)
{
	return strcmp(t, OCI_MT_INDEX) == 0 || strcmp(t, DOCKER_MT_LIST) == 0;
}

/* Reads an optional string member into out; 1 when present, 0 absent, ERR_FAIL otherwise. */
static int get_str(const struct json_doc *d, int obj, const char *key, char *out, size_t n,
                   struct err *e)
{
	int t = json_get(d, obj, key);
	out[0] = 0;
	if (t < 0)
		return 0;
	if (json_type(d, t) != JSON_STRING)
		return err_set(e, ERR_FAIL, "\"%s\" must be a string, not %s", key,
		               json_type_name(json_type(d, t)));
	if (json_str(d, t, out, n, NULL) < 0)
		return err_set(e, ERR_FAIL, "\"%s\" is longer than %zu bytes", key, n - 1);
	return 1;
}

static int parse_doc(struct json_doc *d, const char *body, size_t len, size_t max, const char *what,
                     struct err *e)
{
	memset(d, 0, sizeof *d);
	if (len > max)
		return err_set(e, ERR_FAIL, "%s is larger than the %zu MiB limit", what, max >> 20);
	if (json_parse(d, body, len, e) < 0)
		return ERR_FAIL;
	if (json_type(d, 0) != JSON_OBJECT)
		return err_set(e, ERR_FAIL, "%s is not a JSON object", what);
	return 0;
}

static int check_schema(const struct json_doc *d, struct err *e)
{
	int t = json_get(d, 0, "schemaVersion");
	int64_t v;
	if (t < 0)
		return err_set(e, ERR_FAIL, "no schemaVersion");
	if (json_type(d, t) != JSON_NUMBER || json_int64(d, t, &v, NULL) < 0)
		return err_set(e, ERR_FAIL, "schemaVersion must be an integer");
	if (v != 2)
		return err_set(e, ERR_FAIL, "schemaVersion %lld is not supported (only 2)",
		               (long long)v);
	return 0;
}

int oci_kind(const char *body, size_t len, const char *content_type, struct err *e)
{
	struct json_doc d;
	char mt[OCI_MEDIA_TYPE_MAX];
	int rc;

	if ((rc = parse_doc(&d, body, len, OCI_MANIFEST_MAX, "manifest", e)) < 0)
		goto out;
	if ((rc = get_str(&d, 0, "mediaType", mt, sizeof mt, e)) < 0)
		goto out;
	if (!mt[0])
		bare_type(content_type, mt, sizeof mt);
	if (mt[0] && strcmp(mt, "application/json") != 0) {
		if (is_manifest_type(mt))
			rc = OCI_KIND_MANIFEST;
		else if (is_index_type(mt))
			rc = OCI_KIND_INDEX;
		else if (strstr(mt, "manifest.v1+") || strstr(mt, "manifest.v1+prettyjws"))
			rc = err_set(e, ERR_FAIL,
			             "manifest type %s (Docker schema 1) is not supported", mt);
		else
			rc = err_set(e, ERR_FAIL, "unknown manifest media type '%s'", mt);
		goto out;
	}
	if (json_get(&d, 0, "manifests") >= 0)
		rc = OCI_KIND_INDEX;
	else if (json_get(&d, 0, "layers") >= 0 || json_get(&d, 0, "config") >= 0)
		rc = OCI_KIND_MANIFEST;
	else if (json_get(&d, 0, "fsLayers") >= 0)
		rc = err_set(e, ERR_FAIL, "Docker schema 1 manifests are not supported");
	else
		rc = err_set(e, ERR_FAIL, "neither an image manifest nor an index");
out:
	json_free(&d);
	return rc;
}

static int layer_comp(const char *mt)
{
	if (strcmp(mt, OCI_MT_LAYER_TAR) == 0 ||
	    strcmp(mt, "application/vnd.oci.image.layer.nondistributable.v1.tar") == 0)
		return OCI_COMP_TAR;
	if (strcmp(mt, OCI_MT_LAYER_TGZ) == 0 || strcmp(mt, DOCKER_MT_LAYER) == 0 ||
	    strcmp(mt, DOCKER_MT_LAYER_FOREIGN) == 0 ||
	    strcmp(mt, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip") == 0)
		return OCI_COMP_GZIP;
	if (strcmp(mt, OCI_MT_LAYER_ZSTD) == 0 ||
	    strcmp(mt, "application/vnd.docker.image.rootfs.diff.tar.zstd") == 0)
		return OCI_COMP_ZSTD;
	return OCI_COMP_UNKNOWN;
}

/* A descriptor object: mediaType, digest, size (and platform when want_platform). */
static int parse_desc(const struct json_doc *d, int t, const char *what, int want_platform,
                      struct oci_desc *o, struct err *e)
{
	struct err le;
	int v, p;

	memset(o, 0, sizeof *o);
	err_init(&le);
	if (json_type(d, t) != JSON_OBJECT)
		return err_set(e, ERR_FAIL, "%s must be an object, not %s", what,
		               json_type_name(json_type(d, t)));
	if (get_str(d, t, "mediaType", o->media_type, sizeof o->media_type, &le) <= 0) {
		if (!le.code)
			err_set(&le, ERR_FAIL, "no mediaType");
		goto bad;
	}
	v = json_get(d, t, "digest");
	if (v < 0 || json_type(d, v) != JSON_STRING) {
		err_set(&le, ERR_FAIL, "digest missing or not a string");
		goto bad;
	}
	if (json_str(d, v, o->digest, sizeof o->digest, NULL) < 0 ||
	    digest_parse(o->digest, NULL, &le) < 0) {
		o->digest[0] = 0;
		if (!le.code)
			err_set(&le, ERR_FAIL, "digest is not sha256:<64 hex>");
		goto bad;
	}
	v = json_get(d, t, "size");
	if (v < 0 || json_type(d, v) != JSON_NUMBER || json_uint64(d, v, &o->size, NULL) < 0 ||
	    o->size > (uint64_t)INT64_MAX) {
		err_set(&le, ERR_FAIL, "size missing or not a non-negative integer");
		goto bad;
	}
	if (want_platform && (p = json_get(d, t, "platform")) >= 0) {
		if (json_type(d, p) != JSON_OBJECT) {
			err_set(&le, ERR_FAIL, "platform must be an object");
			goto bad;
		}
		if (get_str(d, p, "os", o->os, sizeof o->os, &le) < 0 ||
		    get_str(d, p, "architecture", o->arch, sizeof o->arch, &le) < 0 ||
		    get_str(d, p, "variant", o->variant, sizeof o->variant, &le) < 0)
			goto bad;
	}
	o->comp = layer_comp(o->media_type);
	return 0;
bad:
	return err_set(e, ERR_FAIL, "%s: %s", what, le.msg);
}

void oci_manifest_free(struct oci_manifest *m)
{
	free(m->layers);
	memset(m, 0, sizeof *m);
}

int oci_manifest_parse(const char *body, size_t len, const char *content_type,
                       struct oci_manifest *m, struct err *e)
{
	struct json_doc d;
	struct json_iter it;
	char what[48];
	int rc, t, v;

	memset(m, 0, sizeof *m);
	if ((rc = parse_doc(&d, body, len, OCI_MANIFEST_MAX, "manifest", e)) < 0)
		goto out;
	if ((rc = check_schema(&d, e)) < 0)
		goto out;
	if ((rc = get_str(&d, 0, "mediaType", m->media_type, sizeof m->media_type, e)) < 0)
		goto out;
	if (!m->media_type[0])
		bare_type(content_type, m->media_type, sizeof m->media_type);
	if (!m->media_type[0] || strcmp(m->media_type, "application/json") == 0)
		snprintf(m->media_type, sizeof m->media_type, "%s", OCI_MT_MANIFEST);
	if (is_index_type(m->media_type)) {
		rc = err_set(e, ERR_FAIL, "an index (%s), not an image manifest", m->media_type);
		goto out;
	}
	if (!is_manifest_type(m->media_type)) {
		rc = err_set(e, ERR_FAIL, "unsupported manifest media type '%s'", m->media_type);
		goto out;
	}
	m->docker = strcmp(m->media_type, DOCKER_MT_MANIFEST) == 0;
	if ((t = json_get(&d, 0, "config")) < 0) {
		rc = err_set(e, ERR_FAIL, "manifest has no config");
		goto out;
	}
	if ((rc = parse_desc(&d, t, "config", 0, &m->config, e)) < 0)
		goto out;
	t = json_get(&d, 0, "layers");
	if (t < 0 || json_type(&d, t) != JSON_ARRAY) {
		rc = err_set(e, ERR_FAIL, "manifest has no layers array");
		goto out;
	}
	if (d.toks[t].size > OCI_LAYERS_MAX) {
		rc = err_set(e, ERR_FAIL, "manifest has %u layers, more than the limit of %d",
		             (unsigned)d.toks[t].size, OCI_LAYERS_MAX);
		goto out;
	}
	m->layers = calloc(d.toks[t].size ? d.toks[t].size : 1, sizeof *m->layers);
	if (!m->layers) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	json_iter_init(&it, &d, t);
	while ((v = json_iter_next(&it, NULL)) >= 0) {
		snprintf(what, sizeof what, "layer %zu", m->nlayers + 1);
		if ((rc = parse_desc(&d, v, what, 0, &m->layers[m->nlayers], e)) < 0)
			goto out;
		m->nlayers++;
	}
	if ((t = json_get(&d, 0, "annotations")) >= 0) {
		if (json_type(&d, t) != JSON_OBJECT) {
			rc = err_set(e, ERR_FAIL, "annotations must be an object");
			goto out;
		}
		json_iter_init(&it, &d, t);
		while ((v = json_iter_next(&it, NULL)) >= 0) {
			if (json_type(&d, v) != JSON_STRING) {
				rc = err_set(e, ERR_FAIL, "annotation values must be strings");
				goto out;
			}
		}
		if ((rc = get_str(&d, t, OCI_ANNOT_TITLE, m->title, sizeof m->title, e)) < 0 ||
		    (rc = get_str(&d, t, OCI_ANNOT_VERSION, m->version, sizeof m->version, e)) < 0)
			goto out;
	}
	rc = 0;
out:
	json_free(&d);
	if (rc < 0) {
		oci_manifest_free(m);
		err_prefix(e, "bad manifest");
	}
	return rc;
}

int oci_layer_check(const struct oci_desc *d, struct err *e)
{
	switch (d->comp) {
	case OCI_COMP_TAR:
	case OCI_COMP_GZIP:
		return 0;
	case OCI_COMP_ZSTD:
		return err_set(e, ERR_FAIL, "layer %s is zstd-compressed (%s): not supported",
		               d->digest, d->media_type);
	}
	return err_set(e, ERR_FAIL, "layer %s has media type '%s': not supported", d->digest,
	               d->media_type);
}

void oci_index_free(struct oci_index *ix)
{
	free(ix->manifests);
	memset(ix, 0, sizeof *ix);
}

int oci_index_parse(const char *body, size_t len, const char *content_type, struct oci_index *ix,
                    struct err *e)
{
	struct json_doc d;
	struct json_iter it;
	char what[48];
	int rc, t, v;

	memset(ix, 0, sizeof *ix);
	if ((rc = parse_doc(&d, body, len, OCI_MANIFEST_MAX, "index", e)) < 0)
		goto out;
	if ((rc = check_schema(&d, e)) < 0)
		goto out;
	if ((rc = get_str(&d, 0, "mediaType", ix->media_type, sizeof ix->media_type, e)) < 0)
		goto out;
	if (!ix->media_type[0])
		bare_type(content_type, ix->media_type, sizeof ix->media_type);
	if (!ix->media_type[0] || strcmp(ix->media_type, "application/json") == 0)
		snprintf(ix->media_type, sizeof ix->media_type, "%s", OCI_MT_INDEX);
	if (!is_index_type(ix->media_type)) {
		rc = err_set(e, ERR_FAIL, "media type '%s' is not an index", ix->media_type);
		goto out;
	}
	ix->docker = strcmp(ix->media_type, DOCKER_MT_LIST) == 0;
	t = json_get(&d, 0, "manifests");
	if (t < 0 || json_type(&d, t) != JSON_ARRAY) {
		rc = err_set(e, ERR_FAIL, "index has no manifests array");
		goto out;
	}
	if (d.toks[t].size > OCI_INDEX_MAX) {
		rc = err_set(e, ERR_FAIL, "index has %u entries, more than the limit of %d",
		             (unsigned)d.toks[t].size, OCI_INDEX_MAX);
		goto out;
	}
	ix->manifests = calloc(d.toks[t].size ? d.toks[t].size : 1, sizeof *ix->manifests);
	if (!ix->manifests) {
		rc = err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	json_iter_init(&it, &d, t);
	while ((v = json_iter_next(&it, NULL)) >= 0) {
		snprintf(what, sizeof what, "entry %zu", ix->n + 1);
		if ((rc = parse_desc(&d, v, what, 1, &ix->manifests[ix->n], e)) < 0)
			goto out;
		ix->n++;
	}
	rc = 0;
out:
	json_free(&d);
	if (rc < 0) {
		oci_index_free(ix);
		err_prefix(e, "bad index");
	}
	return rc;
}

static int real_platform(const struct oci_desc *d)
{
	return d->os[0] && strcmp(d->os, "unknown") != 0;
}

int oci_index_pick(const struct oci_index *ix, const char *os, const char *arch, struct err *e)
{
	struct buf list;
	size_t i, nreal = 0, last = 0;
	int rc;

	if (!os)
		os = "linux";
	if (!arch)
		arch = "amd64";
	for (i = 0; i < ix->n; i++) {
		if (strcmp(ix->manifests[i].os, os) == 0 &&
		    strcmp(ix->manifests[i].arch, arch) == 0)
			return (int)i;
		if (real_platform(&ix->manifests[i]) || !ix->manifests[i].os[0]) {
			nreal++;
			last = i;
		}
	}
	if (nreal == 1)
		return (int)last;
	if (ix->n == 0)
		return err_set(e, ERR_NOTFOUND, "the index lists no images");
	buf_init(&list, 4096);
	for (i = 0; i < ix->n; i++) {
		const struct oci_desc *d = &ix->manifests[i];
		if (!real_platform(d))
			continue;
		if (buf_printf(&list, "%s%s/%s%s%s", list.len ? ", " : "", d->os, d->arch,
		               d->variant[0] ? "/" : "", d->variant) < 0)
			break;
	}
	rc = err_set(e, ERR_NOTFOUND, "no %s/%s image in the index; it has: %s", os, arch,
	             list.len ? buf_cstr(&list) : "no platforms");
	buf_free(&list);
	return rc;
}

void oci_config_free(struct oci_config *c)
{
	for (size_t i = 0; i < c->nlabels; i++) {
		free(c->labels[i].key);
		free(c->labels[i].value);
	}
	free(c->labels);
	free(c->diff_ids);
	memset(c, 0, sizeof *c);
}

int oci_config_parse(const char *body, size_t len, struct oci_config *c, struct err *e)
{
	struct json_doc d;
	struct json_iter it;
	int rc, t, v, k;

	memset(c, 0, sizeof *c);
	if ((rc = parse_doc(&d, body, len, OCI_CONFIG_MAX, "image config", e)) < 0)
		goto out;
	if ((rc = get_str(&d, 0, "os", c->os, sizeof c->os, e)) < 0 ||
	    (rc = get_str(&d, 0, "architecture", c->arch, sizeof c->arch, e)) < 0)
		goto out;
	t = json_get(&d, 0, "config");
	if (t >= 0 && json_type(&d, t) != JSON_OBJECT && json_type(&d, t) != JSON_NULL) {
		rc = err_set(e, ERR_FAIL, "\"config\" must be an object");
		goto out;
	}
	if (t >= 0 && (t = json_get(&d, t, "Labels")) >= 0 && json_type(&d, t) != JSON_NULL) {
		if (json_type(&d, t) != JSON_OBJECT) {
			rc = err_set(e, ERR_FAIL, "config.Labels must be an object");
			goto out;
		}
		if (d.toks[t].size > OCI_LABELS_MAX) {
			rc = err_set(e, ERR_FAIL, "more than %d labels", OCI_LABELS_MAX);
			goto out;
		}
		c->labels = calloc(d.toks[t].size ? d.toks[t].size : 1, sizeof *c->labels);
		if (!c->labels) {
			rc = err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
		json_iter_init(&it, &d, t);
		while ((v = json_iter_next(&it, &k)) >= 0) {
			struct oci_label *l = &c->labels[c->nlabels];
			if (json_type(&d, v) != JSON_STRING) {
				rc = err_set(e, ERR_FAIL, "label values must be strings");
				goto out;
			}
			l->key = json_strdup(&d, k, e);
			l->value = l->key ? json_strdup(&d, v, e) : NULL;
			c->nlabels++;
			if (!l->value) {
				rc = ERR_FAIL;
				goto out;
			}
		}
	}
	if ((t = json_get(&d, 0, "rootfs")) >= 0) {
		if (json_type(&d, t) != JSON_OBJECT) {
			rc = err_set(e, ERR_FAIL, "\"rootfs\" must be an object");
			goto out;
		}
		if ((t = json_get(&d, t, "diff_ids")) >= 0) {
			if (json_type(&d, t) != JSON_ARRAY) {
				rc = err_set(e, ERR_FAIL, "rootfs.diff_ids must be an array");
				goto out;
			}
			if (d.toks[t].size > OCI_LAYERS_MAX) {
				rc = err_set(e, ERR_FAIL, "more than %d diff_ids", OCI_LAYERS_MAX);
				goto out;
			}
			c->diff_ids =
			    calloc(d.toks[t].size ? d.toks[t].size : 1, sizeof *c->diff_ids);
			if (!c->diff_ids) {
				rc = err_set(e, ERR_FAIL, "out of memory");
				goto out;
			}
			json_iter_init(&it, &d, t);
			while ((v = json_iter_next(&it, NULL)) >= 0) {
				char *s = c->diff_ids[c->ndiff_ids];
				if (json_type(&d, v) != JSON_STRING ||
				    json_str(&d, v, s, DIGEST_STR_MAX, NULL) < 0 ||
				    digest_parse(s, NULL, NULL) < 0) {
					rc = err_set(e, ERR_FAIL,
					             "rootfs.diff_ids[%zu] is not a sha256 digest",
					             c->ndiff_ids);
					goto out;
				}
				c->ndiff_ids++;
			}
		}
	}
	rc = 0;
out:
	json_free(&d);
	if (rc < 0) {
		oci_config_free(c);
		err_prefix(e, "bad image config");
	}
	return rc;
}

const char *oci_config_label(const struct oci_config *c, const char *key)
{
	for (size_t i = 0; i < c->nlabels; i++)
		if (strcmp(c->labels[i].key, key) == 0)
			return c->labels[i].value;
	return NULL;
}

static int check_digest(const char *what, const char *d, struct err *e)
{
	struct err le;
	err_init(&le);
	if (!d || digest_parse(d, NULL, &le) < 0)
		return err_set(e, ERR_FAIL, "%s: %s", what, d ? le.msg : "missing");
	return 0;
}

int oci_config_build(const struct oci_block *b, struct buf *out, struct err *e)
{
	struct json_writer w;
	int rc;

	if (!b->name || !b->version)
		return err_set(e, ERR_FAIL, "block name and version are required");
	if ((rc = check_digest("diff_id", b->diff_id, e)) < 0)
		return rc;
	json_w_init(&w, out, e);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "architecture", "amd64");
	json_w_kstr(&w, "os", "linux");
	json_w_key(&w, "config");
	json_w_obj_begin(&w);
	json_w_key(&w, "Labels");
	json_w_obj_begin(&w);
	/* sorted by key, as Go's encoding/json writes a map */
	json_w_kstr(&w, OCI_LABEL_KIND, b->kind ? b->kind : "");
	json_w_kstr(&w, OCI_LABEL_NAME, b->name);
	json_w_kstr(&w, OCI_LABEL_VERSION, b->version);
	json_w_kstr(&w, OCI_LABEL_MANAGED, "cli");
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	json_w_key(&w, "rootfs");
	json_w_obj_begin(&w);
	json_w_kstr(&w, "type", "layers");
	json_w_key(&w, "diff_ids");
	json_w_arr_begin(&w);
	json_w_str(&w, b->diff_id);
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	return json_w_finish(&w);
}

static void w_desc(struct json_writer *w, const char *mt, const char *digest, uint64_t size)
{
	json_w_obj_begin(w);
	json_w_kstr(w, "mediaType", mt);
	json_w_kstr(w, "digest", digest);
	json_w_key(w, "size");
	json_w_uint(w, size);
	json_w_obj_end(w);
}

int oci_manifest_build(const struct oci_block *b, const char *config_digest, uint64_t config_size,
                       struct buf *out, struct err *e)
{
	struct json_writer w;
	int rc;

	if (!b->name || !b->version)
		return err_set(e, ERR_FAIL, "block name and version are required");
	if ((rc = check_digest("config digest", config_digest, e)) < 0 ||
	    (rc = check_digest("layer digest", b->layer_digest, e)) < 0)
		return rc;
	json_w_init(&w, out, e);
	json_w_obj_begin(&w);
	json_w_kint(&w, "schemaVersion", 2);
	json_w_kstr(&w, "mediaType", OCI_MT_MANIFEST);
	json_w_key(&w, "config");
	w_desc(&w, OCI_MT_CONFIG, config_digest, config_size);
	json_w_key(&w, "layers");
	json_w_arr_begin(&w);
	w_desc(&w, OCI_MT_LAYER_TGZ, b->layer_digest, b->layer_size);
	json_w_arr_end(&w);
	json_w_key(&w, "annotations");
	json_w_obj_begin(&w);
	json_w_kstr(&w, OCI_ANNOT_TITLE, b->name);
	json_w_kstr(&w, OCI_ANNOT_VERSION, b->version);
	json_w_obj_end(&w);
	json_w_obj_end(&w);
	return json_w_finish(&w);
}
