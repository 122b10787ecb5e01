/* registry_tool.c - a small command line over registry.c and oci.c, for the e2e interop tests
 * and bench/registry.sh:
 *   registry_tool push-blob HOST REPO FILE            -> "DIGEST HOW"
 *   registry_tool pull-blob HOST REPO DIGEST OUT      (verified, written atomically)
 *   registry_tool push-artifact HOST REPO TAG LAYER.tgz DIFF_ID NAME  -> manifest digest
 *   registry_tool pull-image HOST REPO REF OUTDIR     -> one line per object fetched
 *   registry_tool tags HOST REPO [PAGE]
 * Environment: REGISTRY_CA (a CA file for https), REGISTRY_USER / REGISTRY_PASS (Basic or
 * token credentials), REGISTRY_CHUNK (bytes per PATCH), REGISTRY_CHUNKED=1 (always chunk),
 * REGISTRY_MONOLITHIC_MAX (largest blob sent in one PUT), REGISTRY_STREAM=1 (blobs of
 * push-blob and push-artifact's layer go up as one streamed PATCH).
 * Exit status: the error's (1..7), with "Error: message" on stderr. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "buf.h"
#include "digest.h"
#include "err.h"
#include "fs.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "net.h"
#include "oci.h"
#include "registry.h"
#include "tls.h"

static struct http_client *cl;
static struct auth_ctx *auth;
static struct tls_opts topts;

static struct registry *open_reg(const char *host, struct err *e)
{
	struct registry_opts o = {0};
	const char *ca = getenv("REGISTRY_CA"), *user = getenv("REGISTRY_USER");
	const char *chunk = getenv("REGISTRY_CHUNK"), *always = getenv("REGISTRY_CHUNKED");
	net_init();
	cl = http_client_new();
	auth = auth_new(cl);
	if (!cl || !auth) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	topts.ca_file = ca && *ca ? ca : NULL;
	http_client_set_tls(cl, tls_hook, &topts);
	if (user && *user) {
		struct auth_creds c = {0};
		snprintf(c.username, sizeof c.username, "%s", user);
		snprintf(c.password, sizeof c.password, "%s", getenv("REGISTRY_PASS") ?: "");
		if (auth_set_creds(auth, host, &c, e) < 0)
			return NULL;
	}
	o.http = cl;
	o.auth = auth;
	o.chunk_size = chunk ? strtoull(chunk, NULL, 10) : 0;
	o.always_chunked = always && *always == '1';
	if (getenv("REGISTRY_MONOLITHIC_MAX"))
		o.monolithic_max = strtoull(getenv("REGISTRY_MONOLITHIC_MAX"), NULL, 10);
	return registry_open(host, &o, e);
}

static int file_digest(const char *path, struct digest_result *res, struct err *e)
{
	struct io_in *in = io_in_file(path, e);
	struct io_out *out = digest_out(io_out_null(e), res, e);
	int64_t n = in && out ? io_copy(in, out) : ERR_FAIL;
	int rc = io_in_close(in);
	if (n < 0 || rc < 0) {
		io_out_abort(out);
		return n < 0 ? (int)n : rc;
	}
	return io_out_close(out);
}

static const char *how_name(int how)
{
	switch (how) {
	case REGISTRY_UP_EXISTS:
		return "exists";
	case REGISTRY_UP_MOUNTED:
		return "mounted";
	case REGISTRY_UP_MONOLITHIC:
		return "monolithic";
	case REGISTRY_UP_CHUNKED:
		return "chunked";
	case REGISTRY_UP_STREAMED:
		return "streamed";
	}
	return "?";
}

static int push_file(struct registry *r, const char *repo, const char *path,
                     struct digest_result *res, struct registry_upload_stats *st, struct err *e)
{
	int rc = file_digest(path, res, e);
	if (rc < 0)
		return rc;
	struct registry_blob_src src = {.path = path, .size = res->size, .digest = res->digest};
	/* REGISTRY_STREAM=1: one streamed PATCH, as blocks push sends its layer */
	if (getenv("REGISTRY_STREAM") && !strcmp(getenv("REGISTRY_STREAM"), "1"))
		return registry_blob_stream(r, repo, &src, st, e);
	return registry_blob_push(r, repo, &src, NULL, st, e);
}

/* Fetches a blob into path (atomically), verified. */
static int fetch(struct registry *r, const char *repo, const char *digest, int64_t size,
                 const char *path, struct err *e)
{
	struct io_in *in = registry_blob_get(r, repo, digest, size, e);
	struct io_out *out;
	int64_t n;
	int rc;
	if (!in)
		return e->code ? e->code : ERR_FAIL;
	out = io_out_atomic(path, 0644, e);
	if (!out) {
		io_in_close(in);
		return ERR_FAIL;
	}
	n = io_copy(in, out);
	rc = io_in_close(in);
	if (n < 0 || rc < 0) {
		io_out_abort(out);
		return n < 0 ? (int)n : rc;
	}
	return io_out_close(out);
}

static int cmd_pull_image(struct registry *r, const char *repo, const char *ref, const char *dir,
                          struct err *e)
{
	struct registry_manifest m;
	struct oci_manifest om = {0};
	char path[4096], want[DIGEST_STR_MAX];
	int rc, kind;

	if ((rc = fs_mkdirs(dir, 0755, e)) < 0)
		return rc;
	if ((rc = registry_manifest_get(r, repo, ref, &m, e)) < 0)
		return rc;
	if ((kind = oci_kind(m.body.p, m.body.len, m.media_type, e)) < 0) {
		rc = kind;
		goto out;
	}
	if (kind == OCI_KIND_INDEX) {
		struct oci_index ix;
		if ((rc = oci_index_parse(m.body.p, m.body.len, m.media_type, &ix, e)) < 0)
			goto out;
		int i = oci_index_pick(&ix, NULL, NULL, e);
		if (i >= 0) {
			printf("index %s %s -> %s/%s %s\n", m.media_type, m.digest,
			       ix.manifests[i].os, ix.manifests[i].arch, ix.manifests[i].digest);
			snprintf(want, sizeof want, "%s", ix.manifests[i].digest);
		}
		oci_index_free(&ix);
		if (i < 0) {
			rc = i;
			goto out;
		}
		registry_manifest_free(&m);
		if ((rc = registry_manifest_get(r, repo, want, &m, e)) < 0)
			goto out;
	}
	if ((rc = oci_manifest_parse(m.body.p, m.body.len, m.media_type, &om, e)) < 0)
		goto out;
	printf("manifest %s %s %" PRIu64 "\n", om.media_type, m.digest, m.size);
	snprintf(path, sizeof path, "%s/manifest.json", dir);
	if ((rc = fs_write_atomic(path, m.body.p, m.body.len, 0644, e)) < 0)
		goto out;
	snprintf(path, sizeof path, "%s/%s", dir, om.config.digest + 7);
	if ((rc = fetch(r, repo, om.config.digest, (int64_t)om.config.size, path, e)) < 0)
		goto out;
	printf("config %s %s %" PRIu64 "\n", om.config.media_type, om.config.digest,
	       om.config.size);
	for (size_t i = 0; i < om.nlayers; i++) {
		if ((rc = oci_layer_check(&om.layers[i], e)) < 0)
			goto out;
		snprintf(path, sizeof path, "%s/%s", dir, om.layers[i].digest + 7);
		if ((rc = fetch(r, repo, om.layers[i].digest, (int64_t)om.layers[i].size, path,
		                e)) < 0)
			goto out;
		printf("layer %s %s %" PRIu64 "\n", om.layers[i].media_type, om.layers[i].digest,
		       om.layers[i].size);
	}
	if (om.title[0])
		printf("title %s\nversion %s\n", om.title, om.version);
	rc = 0;
out:
	oci_manifest_free(&om);
	registry_manifest_free(&m);
	return rc;
}

static int cmd_push_artifact(struct registry *r, char **av, struct err *e)
{
	const char *repo = av[0], *tag = av[1], *layer = av[2], *diff = av[3], *name = av[4];
	struct digest_result lr = {0};
	struct buf cfg, man;
	char cd[DIGEST_STR_MAX], md[DIGEST_STR_MAX];
	int rc;

	buf_init(&cfg, OCI_CONFIG_MAX);
	buf_init(&man, OCI_MANIFEST_MAX);
	if ((rc = push_file(r, repo, layer, &lr, NULL, e)) < 0)
		goto out;
	struct oci_block b = {.name = name,
	                      .kind = "generic",
	                      .version = tag,
	                      .diff_id = diff,
	                      .layer_digest = lr.digest,
	                      .layer_size = lr.size};
	if ((rc = oci_config_build(&b, &cfg, e)) < 0)
		goto out;
	sha256_str(cfg.p, cfg.len, cd);
	{
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.config", layer);
		if ((rc = fs_write_atomic(tmp, cfg.p, cfg.len, 0644, e)) < 0)
			goto out;
		struct registry_blob_src cs = {.path = tmp, .size = cfg.len, .digest = cd};
		rc = registry_blob_push(r, repo, &cs, NULL, NULL, e);
		remove(tmp);
		if (rc < 0)
			goto out;
	}
	if ((rc = oci_manifest_build(&b, cd, cfg.len, &man, e)) < 0 ||
	    (rc = registry_manifest_put(r, repo, tag, OCI_MT_MANIFEST, man.p, man.len, md, e)) < 0)
		goto out;
	printf("%s\n", md);
out:
	buf_free(&cfg);
	buf_free(&man);
	return rc;
}

int main(int argc, char **argv)
{
	struct err e;
	struct registry *r = NULL;
	int rc = ERR_USAGE;

	err_init(&e);
	if (getenv("REGISTRY_LOGLEVEL"))
		log_level = atoi(getenv("REGISTRY_LOGLEVEL"));
	if (argc < 4) {
		fprintf(stderr, "usage: registry_tool push-blob|pull-blob|push-artifact|pull-image|"
		                "tags HOST REPO ...\n");
		return 2;
	}
	if (!(r = open_reg(argv[2], &e))) {
		rc = e.code ? e.code : ERR_FAIL;
		goto out;
	}
	if (!strcmp(argv[1], "push-blob") && argc == 5) {
		struct digest_result res = {0};
		struct registry_upload_stats st;
		if ((rc = push_file(r, argv[3], argv[4], &res, &st, &e)) == 0)
			printf("%s %s\n", res.digest, how_name(st.how));
	} else if (!strcmp(argv[1], "pull-blob") && argc == 6) {
		rc = fetch(r, argv[3], argv[4], -1, argv[5], &e);
	} else if (!strcmp(argv[1], "push-artifact") && argc == 8) {
		rc = cmd_push_artifact(r, argv + 3, &e);
	} else if (!strcmp(argv[1], "pull-image") && argc == 6) {
		rc = cmd_pull_image(r, argv[3], argv[4], argv[5], &e);
	} else if (!strcmp(argv[1], "tags") && (argc == 4 || argc == 5)) {
		struct registry_tags t;
		rc =
		    registry_tags_list(r, argv[3], argc == 5 ? (unsigned)atoi(argv[4]) : 0, &t, &e);
		for (size_t i = 0; rc == 0 && i < t.n; i++)
			printf("%s\n", t.v[i]);
		if (rc == 0)
			registry_tags_free(&t);
	} else {
		err_set(&e, ERR_USAGE, "bad command or arguments");
		rc = ERR_USAGE;
	}
out:
	if (rc < 0) {
		fprintf(stderr, "Error: %s\n", e.msg);
		if (e.hint[0])
			fprintf(stderr, "%s\n", e.hint);
	}
	registry_close(r);
	auth_free(auth);
	http_client_free(cl);
	return rc < 0 ? err_exit_status(rc) : 0;
}
