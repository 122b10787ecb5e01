/* test_registry_net.c - the registry client against real docker-registry instances on
 * 127.0.0.1 (plain, htpasswd, TLS, Bearer) and fault proxies (413, OCI-Chunk-Min-Length,
 * request counts), all started by tests/registry_env.sh */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "oci.h"
#include "registry.h"
#include "tls.h"

#define ENV_WAIT_S 90
#define MIB (1024u * 1024)

/* ---- the environment ---- */

static pid_t env_pid = -1;
static int env_in = -1;
static char env_keys[32][24], env_vals[32][512];
static int env_n;

static const char *env(const char *k)
{
	for (int i = 0; i < env_n; i++)
		if (strcmp(env_keys[i], k) == 0)
			return env_vals[i];
	return "";
}

static int env_start(void)
{
	int to[2], from[2];
	const char *script = access("tests/registry_env.sh", R_OK) == 0
	                         ? "tests/registry_env.sh"
	                         : "../../../tests/registry_env.sh";
	if (pipe(to) < 0 || pipe(from) < 0)
		return -1;
	env_pid = fork();
	if (env_pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl("/bin/bash", "bash", script, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	env_in = to[1];
	FILE *f = fdopen(from[0], "r");
	char line[700];
	int ok = -1;
	alarm(ENV_WAIT_S);
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, "READY") == 0) {
			ok = 0;
			break;
		}
		char *eq = strchr(line, '=');
		if (strncmp(line, "ERROR", 5) == 0 || !eq || env_n >= 32) {
			fprintf(stderr, "registry_env: %s\n", line);
			continue;
		}
		*eq = 0;
		if (strlen(line) >= sizeof env_keys[0] || strlen(eq + 1) >= sizeof env_vals[0])
			continue;
		memcpy(env_keys[env_n], line, strlen(line) + 1);
		memcpy(env_vals[env_n], eq + 1, strlen(eq + 1) + 1);
		env_n++;
	}
	alarm(0);
	if (f)
		fclose(f);
	return ok;
}

static void env_stop(void)
{
	if (env_in >= 0)
		close(env_in);
	if (env_pid > 0)
		waitpid(env_pid, NULL, 0);
}

/* ---- content: a pattern stream, re-openable at any offset ---- */

struct pat {
	uint64_t size;
	unsigned seed;
	char digest[DIGEST_STR_MAX];
	unsigned opens;
};

static unsigned char pat_byte(const struct pat *p, uint64_t i)
{
	return (unsigned char)((i * 131u) ^ (i >> 11) ^ p->seed);
}

struct pat_in {
	struct io_in in;
	const struct pat *p;
	uint64_t pos;
};

static ssize_t pat_read(struct io_in *in, void *buf, size_t n)
{
	struct pat_in *s = (struct pat_in *)in;
	unsigned char *o = buf;
	size_t k = 0;
	while (k < n && s->pos < s->p->size)
		o[k++] = pat_byte(s->p, s->pos++);
	return (ssize_t)k;
}

static int pat_close(struct io_in *in)
{
	free(in);
	return 0;
}

static const struct io_in_ops pat_ops = {pat_read, pat_close};

static struct io_in *pat_open(void *arg, uint64_t off, struct err *e)
{
	struct pat *p = arg;
	struct pat_in *s = calloc(1, sizeof *s);
	if (!s) {
		err_set(e, ERR_FAIL, "out of memory");
		return NULL;
	}
	s->in.ops = &pat_ops;
	s->in.e = e;
	s->p = p;
	s->pos = off;
	p->opens++;
	return &s->in;
}

static void pat_init(struct pat *p, uint64_t size, unsigned seed)
{
	struct sha256 c;
	unsigned char buf[65536], raw[32];
	memset(p, 0, sizeof *p);
	p->size = size;
	p->seed = seed;
	sha256_init(&c);
	for (uint64_t off = 0; off < size;) {
		size_t k = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		for (size_t i = 0; i < k; i++)
			buf[i] = pat_byte(p, off + i);
		sha256_update(&c, buf, k);
		off += k;
	}
	sha256_final(&c, raw);
	digest_format(raw, p->digest);
}

static struct registry_blob_src pat_src(struct pat *p)
{
	struct registry_blob_src s = {0};
	s.open = pat_open;
	s.arg = p;
	s.size = p->size;
	s.digest = p->digest;
	return s;
}

/* ---- helpers ---- */

/* The fault proxies close a TLS hello unanswered, so they are spoken to in plain HTTP. */
static struct registry *reg_open(const char *key, const struct registry_opts *o)
{
	struct registry_opts po = {0};
	struct err e;
	if (!strcmp(key, "COUNT") || !strcmp(key, "BIG413") || !strcmp(key, "MINCHUNK")) {
		if (o)
			po = *o;
		po.plain_http = 1;
		o = &po;
	}
	err_init(&e);
	struct registry *r = registry_open(env(key), o, &e);
	T_CHECKF(r != NULL, "open %s: %s", key, e.msg);
	return r;
}

/* Pulls the blob and checks it hashes as expected: 0, or the error code. */
static int pull_check(struct registry *r, const char *repo, const char *digest, int64_t size,
                      struct err *e)
{
	struct digest_result res = {0};
	struct io_in *in = registry_blob_get(r, repo, digest, size, e);
	if (!in)
		return e->code ? e->code : ERR_FAIL;
	struct io_out *out = digest_out(io_out_null(e), &res, e);
	int64_t n = io_copy(in, out);
	int rc = io_in_close(in);
	int rc2 = io_out_close(out);
	if (n < 0)
		return (int)n;
	if (rc < 0)
		return rc;
	if (rc2 < 0)
		return rc2;
	if (strcmp(res.digest, digest) != 0 || (size >= 0 && (int64_t)res.size != size))
		return err_set(e, ERR_INTEGRITY, "pulled %s (%llu bytes)", res.digest,
		               (unsigned long long)res.size);
	return 0;
}

/* A number from a fault proxy's /_f/stats: the sum of the per-path counts whose key starts
 * with prefix (e.g. "PATCH /v2/"), or the "requests" total when prefix is NULL. */
static long proxy_stat(const char *key, const char *prefix)
{
	struct http_client *cl = http_client_new();
	struct http_request rq = {0};
	struct http_response rs;
	struct buf b;
	struct json_doc d;
	struct err e;
	char url[128];
	long v = -1;

	buf_init(&b, 1 << 20);
	err_init(&e);
	snprintf(url, sizeof url, "http://%s/_f/stats", env(key));
	rq.method = "GET";
	rq.url = url;
	if (http_request(cl, &rq, &rs, &e) == 0 && http_response_slurp(&rs, &b, 1 << 20, &e) == 0 &&
	    json_parse(&d, b.p, b.len, &e) == 0) {
		int64_t x;
		if (!prefix) {
			if (json_int64(&d, json_get(&d, 0, "requests"), &x, &e) == 0)
				v = (long)x;
		} else {
			struct json_iter it;
			int t, k;
			v = 0;
			json_iter_init(&it, &d, json_get(&d, 0, "paths"));
			while ((t = json_iter_next(&it, &k)) >= 0) {
				size_t n;
				const char *s = json_raw(&d, k, &n);
				if (n >= strlen(prefix) && memcmp(s, prefix, strlen(prefix)) == 0 &&
				    json_int64(&d, t, &x, &e) == 0)
					v += (long)x;
			}
		}
		json_free(&d);
	}
	http_response_free(&rs);
	buf_free(&b);
	http_client_free(cl);
	return v;
}

static void proxy_reset(const char *key)
{
	struct http_client *cl = http_client_new();
	struct http_request rq = {0};
	struct http_response rs;
	struct err e;
	char url[128];
	err_init(&e);
	snprintf(url, sizeof url, "http://%s/_f/reset", env(key));
	rq.method = "GET";
	rq.url = url;
	struct buf b = {0};
	if (http_request(cl, &rq, &rs, &e) == 0)
		http_response_slurp(&rs, &b, 1024, &e);
	buf_free(&b);
	http_response_free(&rs);
	http_client_free(cl);
}

/* ---- tests ---- */

static void test_ping_and_scheme(void)
{
	struct err e;
	struct registry *r = reg_open("PLAIN", NULL);
	if (!r)
		return;
	T_EQ_STR(registry_base(r), "");
	err_init(&e);
	T_EQ_INT(registry_ping(r, &e), 0);
	T_CHECKF(strncmp(registry_base(r), "http://127.0.0.1:", 17) == 0, "%s", registry_base(r));
	registry_close(r);

	/* nothing listens: the seed's words, with the cause */
	struct http_client *quick = http_client_new();
	http_client_set_retry(quick, 10, HTTP_MAX_TRIES);
	http_client_set_tls(quick, tls_hook, NULL);
	struct registry_opts qo = {.http = quick};
	r = reg_open("DEAD", &qo);
	err_init(&e);
	T_EQ_INT(registry_ping(r, &e), ERR_NET);
	char want[128];
	snprintf(want, sizeof want, "failed to connect to registry %s: ", env("DEAD"));
	T_CHECKF(strncmp(e.msg, want, strlen(want)) == 0 && strstr(e.msg, "refused"), "%s", e.msg);
	registry_close(r);
	http_client_free(quick);

	/* bad hosts */
	static const char *bad[] = {"", "a/b", "h:99999", "h:x", "user@h", "a b", "[::1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_init(&e);
		T_CHECKF(registry_open(bad[i], NULL, &e) == NULL && e.code == ERR_USAGE,
		         "bad host '%s' accepted", bad[i]);
	}
}

/* Blobs of the awkward sizes, each monolithic and chunked, pushed and pulled back. */
static void test_blob_sizes(void)
{
	static const uint64_t sizes[] = {0, 1, 4 * MIB - 1, 4 * MIB, 4 * MIB + 1};
	struct registry_opts chunky = {.always_chunked = 1, .chunk_size = 1 * MIB};
	struct registry *mono = reg_open("PLAIN", NULL), *ch = reg_open("PLAIN", &chunky);
	struct err e;
	if (!mono || !ch)
		goto out;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (int mode = 0; mode < 2; mode++) {
			struct registry *r = mode ? ch : mono;
			const char *repo = mode ? "sizes/chunked" : "sizes/mono";
			struct pat p;
			struct registry_upload_stats st;
			uint64_t have = 0;
			pat_init(&p, sizes[i], (unsigned)(i * 2 + (size_t)mode + 1));
			struct registry_blob_src src = pat_src(&p);
			err_init(&e);
			int rc = registry_blob_push(r, repo, &src, NULL, &st, &e);
			T_CHECKF(rc == 0, "push %llu mode %d: %s", (unsigned long long)sizes[i],
			         mode, e.msg);
			int want = mode || sizes[i] > REGISTRY_MONOLITHIC_MAX
			               ? REGISTRY_UP_CHUNKED
			               : REGISTRY_UP_MONOLITHIC;
			T_CHECKF(st.how == want, "size %llu mode %d: how %d want %d",
			         (unsigned long long)sizes[i], mode, st.how, want);
			T_CHECKF(st.sent == sizes[i], "sent %llu of %llu",
			         (unsigned long long)st.sent, (unsigned long long)sizes[i]);
			err_init(&e);
			T_EQ_INT(registry_blob_exists(r, repo, p.digest, &have, &e), 1);
			T_EQ_INT(have, sizes[i]);
			err_init(&e);
			rc = pull_check(r, repo, p.digest, (int64_t)p.size, &e);
			T_CHECKF(rc == 0, "pull %llu mode %d: %s", (unsigned long long)sizes[i],
			         mode, e.msg);
		}
	}
	/* chunked with 1 MiB chunks: a 4 MiB + 1 blob took 5 PATCHes; count opens */
	{
		struct pat p;
		struct registry_upload_stats st;
		pat_init(&p, 4 * MIB + 1, 99);
		struct registry_blob_src src = pat_src(&p);
		err_init(&e);
		T_EQ_INT(registry_blob_push(ch, "sizes/count", &src, NULL, &st, &e), 0);
		T_EQ_INT(p.opens, 5);
		T_EQ_INT(st.chunk, 1 * MIB);
		/* HEAD + POST + 5 PATCH + PUT */
		T_EQ_INT(st.requests, 8);
	}
out:
	registry_close(mono);
	registry_close(ch);
}

/* 50 MiB from a file, chunked by default, and a corrupted copy in the registry's storage. */
static void test_blob_big_and_corrupt(void)
{
	char path[600], data[800];
	struct pat p;
	struct err e;
	struct registry_upload_stats st;
	struct registry *r = reg_open("PLAIN", NULL);
	if (!r)
		return;
	pat_init(&p, 50 * MIB, 7);
	snprintf(path, sizeof path, "%s/big.bin", env("TMP"));
	{
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		struct io_out *out = io_out_fd(fd, 1, &e);
		struct io_in *in = pat_open(&p, 0, &e);
		T_CHECK(fd >= 0 && io_copy(in, out) == (int64_t)p.size);
		io_in_close(in);
		T_EQ_INT(io_out_close(out), 0);
	}
	struct registry_blob_src src = {.path = path, .size = p.size, .digest = p.digest};
	err_init(&e);
	T_CHECKF(registry_blob_push(r, "big/x", &src, NULL, &st, &e) == 0, "%s", e.msg);
	T_EQ_INT(st.how, REGISTRY_UP_CHUNKED);
	T_EQ_INT(st.chunk, REGISTRY_CHUNK_DEFAULT);
	T_EQ_INT(st.sent, p.size);
	err_init(&e);
	T_CHECKF(pull_check(r, "big/x", p.digest, (int64_t)p.size, &e) == 0, "%s", e.msg);
	unlink(path);

	/* the registry's copy goes bad (same length): the pull fails with ERR_INTEGRITY */
	struct pat q;
	pat_init(&q, 100000, 8);
	struct registry_blob_src qs = pat_src(&q);
	err_init(&e);
	T_EQ_INT(registry_blob_push(r, "big/y", &qs, NULL, NULL, &e), 0);
	snprintf(data, sizeof data, "%s/data/docker/registry/v2/blobs/sha256/%.2s/%s/data",
	         env("PLAIN_DIR"), q.digest + 7, q.digest + 7);
	int fd = open(data, O_WRONLY);
	T_CHECKF(fd >= 0, "open %s", data);
	if (fd >= 0) {
		T_EQ_INT(pwrite(fd, "X", 1, 500), 1);
		close(fd);
	}
	err_init(&e);
	T_EQ_INT(pull_check(r, "big/y", q.digest, (int64_t)q.size, &e), ERR_INTEGRITY);
	T_CHECKF(strstr(e.msg, q.digest) != NULL, "%s", e.msg);
	/* a wrong size given by the caller is caught before any byte is trusted */
	err_init(&e);
	T_EQ_INT(pull_check(r, "big/x", p.digest, 5, &e), ERR_INTEGRITY);
	/* unknown blob */
	err_init(&e);
	T_EQ_INT(pull_check(r, "big/x", q.digest, -1, &e), ERR_NOTFOUND);
	registry_close(r);
}

static void test_mount_and_dedup(void)
{
	struct pat p, q;
	struct err e;
	struct registry_upload_stats st;
	struct registry *r = reg_open("COUNT", NULL);
	if (!r)
		return;
	pat_init(&p, 300000, 21);
	struct registry_blob_src src = pat_src(&p);
	err_init(&e);
	T_EQ_INT(registry_blob_push(r, "mount/a", &src, NULL, &st, &e), 0);
	T_EQ_INT(st.how, REGISTRY_UP_MONOLITHIC);

	/* a second push sends nothing but a HEAD */
	proxy_reset("COUNT");
	err_init(&e);
	T_EQ_INT(registry_blob_push(r, "mount/a", &src, NULL, &st, &e), 0);
	T_EQ_INT(st.how, REGISTRY_UP_EXISTS);
	T_EQ_INT(st.sent, 0);
	T_EQ_INT(proxy_stat("COUNT", NULL), 1);
	T_EQ_INT(proxy_stat("COUNT", "HEAD /v2/mount/a/blobs/"), 1);
	T_EQ_INT(proxy_stat("COUNT", "POST"), 0);

	/* mounted into another repository: no bytes sent */
	proxy_reset("COUNT");
	err_init(&e);
	T_EQ_INT(registry_blob_push(r, "mount/b", &src, "mount/a", &st, &e), 0);
	T_EQ_INT(st.how, REGISTRY_UP_MOUNTED);
	T_EQ_INT(st.sent, 0);
	T_EQ_INT(proxy_stat("COUNT", "PUT"), 0);
	err_init(&e);
	T_EQ_INT(pull_check(r, "mount/b", p.digest, (int64_t)p.size, &e), 0);

	/* mount from a repository without the blob: the registry opens an upload (202) */
	pat_init(&q, 1000, 22);
	struct registry_blob_src qs = pat_src(&q);
	err_init(&e);
	T_EQ_INT(registry_blob_push(r, "mount/c", &qs, "mount/none", &st, &e), 0);
	T_EQ_INT(st.how, REGISTRY_UP_MONOLITHIC);
	err_init(&e);
	T_EQ_INT(pull_check(r, "mount/c", q.digest, (int64_t)q.size, &e), 0);
	registry_close(r);
}

/* A proxy answering 413 to bodies over 1 MiB; one asking for 2 MiB chunks at least. */
static void test_413_and_min_chunk(void)
{
	struct pat p;
	struct err e;
	struct registry_upload_stats st;
	struct registry *r = reg_open("BIG413", NULL);
	if (!r)
		return;
	pat_init(&p, 3 * MIB + 5, 31);
	struct registry_blob_src src = pat_src(&p);
	err_init(&e);
	T_CHECKF(registry_blob_push(r, "limits/a", &src, NULL, &st, &e) == 0, "%s", e.msg);
	T_EQ_INT(st.how, REGISTRY_UP_CHUNKED);
	T_EQ_INT(st.chunk, 1 * MIB);
	T_EQ_INT(st.restarts, 3); /* PUT 413, 4 MiB chunk 413, 2 MiB chunk 413 */
	err_init(&e);
	T_EQ_INT(pull_check(r, "limits/a", p.digest, (int64_t)p.size, &e), 0);
	/* under the limit: one PUT */
	pat_init(&p, 1 * MIB, 32);
	src = pat_src(&p);
	err_init(&e);
	T_EQ_INT(registry_blob_push(r, "limits/a", &src, NULL, &st, &e), 0);
	T_EQ_INT(st.how, REGISTRY_UP_MONOLITHIC);
	T_EQ_INT(st.restarts, 0);
	registry_close(r);

	/* OCI-Chunk-Min-Length above our chunk size: the registry's minimum wins */
	proxy_reset("MINCHUNK");
	pat_init(&p, 5 * MIB, 33);
	src = pat_src(&p);
	err_init(&e);
	struct registry_opts small = {.chunk_size = 512 * 1024, .always_chunked = 1};
	struct registry *r2 = reg_open("MINCHUNK", &small);
	T_CHECKF(registry_blob_push(r2, "limits/min", &src, NULL, &st, &e) == 0, "%s", e.msg);
	T_EQ_INT(st.how, REGISTRY_UP_CHUNKED);
	T_EQ_INT(st.chunk, 2 * MIB);
	T_EQ_INT(proxy_stat("MINCHUNK", "PATCH"), 3);
	err_init(&e);
	T_EQ_INT(pull_check(r2, "limits/min", p.digest, (int64_t)p.size, &e), 0);
	registry_close(r2);
}

/* Pushes the block artifact (layer, config, manifest) to repo:tag through r. */
static int push_artifact(struct registry *r, const char *repo, const char *tag, unsigned seed,
                         char mdigest[DIGEST_STR_MAX], struct err *e)
{
	struct pat layer;
	struct buf cfg, man;
	char cd[DIGEST_STR_MAX];
	int rc;
	pat_init(&layer, 5000 + seed, seed);
	struct registry_blob_src ls = pat_src(&layer);
	struct oci_block b = {.name = "nginx",
	                      .kind = "k8sapp",
	                      .version = tag,
	                      .diff_id = layer.digest,
	                      .layer_digest = layer.digest,
	                      .layer_size = layer.size};
	buf_init(&cfg, OCI_CONFIG_MAX);
	buf_init(&man, OCI_MANIFEST_MAX);
	if ((rc = registry_blob_push(r, repo, &ls, NULL, NULL, e)) < 0 ||
	    (rc = oci_config_build(&b, &cfg, e)) < 0)
		goto out;
	sha256_str(cfg.p, cfg.len, cd);
	{
		/* the config from a file */
		char path[600];
		snprintf(path, sizeof path, "%s/cfg-%u.json", env("TMP"), seed);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || write(fd, cfg.p, cfg.len) != (ssize_t)cfg.len) {
			rc = err_set(e, ERR_FAIL, "write %s", path);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
		struct registry_blob_src fs = {.path = path, .size = cfg.len, .digest = cd};
		rc = registry_blob_push(r, repo, &fs, NULL, NULL, e);
		unlink(path);
		if (rc < 0)
			goto out;
	}
	if ((rc = oci_manifest_build(&b, cd, cfg.len, &man, e)) < 0)
		goto out;
	rc = registry_manifest_put(r, repo, tag, OCI_MT_MANIFEST, man.p, man.len, mdigest, e);
out:
	buf_free(&cfg);
	buf_free(&man);
	return rc;
}

/* A producer that fails after 1 MiB: the body breaks off mid-stream. */
static struct io_in *pat_open_failing(void *arg, uint64_t off, struct err *e)
{
	return io_in_limit(pat_open(arg, off, e), 1 * MIB, e);
}

/* Streamed uploads (POST, one chunked PATCH, PUT ?digest=) and sessions opened ahead. */
static void test_stream_and_sessions(void)
{
	struct pat p;
	struct err e;
	struct registry_upload_stats st;
	struct registry *r = reg_open("COUNT", NULL), *big = reg_open("BIG413", NULL);
	if (!r || !big)
		goto out;
	err_init(&e);
	T_EQ_INT(registry_ping(r, &e),
	         0); /* the scheme is settled: requests below are the upload's */
	/* 5 MiB in one PATCH: no HEAD, no chunks */
	for (int i = 0; i < 2; i++) {
		uint64_t size = i ? 0 : 5 * MIB + 3;
		pat_init(&p, size, 41 + (unsigned)i);
		struct registry_blob_src src = pat_src(&p);
		proxy_reset("COUNT");
		err_init(&e);
		T_CHECKF(registry_blob_stream(r, "stream/a", &src, &st, &e) == 0, "%s", e.msg);
		T_EQ_INT(st.how, REGISTRY_UP_STREAMED);
		T_EQ_INT(st.sent, size);
		T_EQ_INT(st.requests, 3);
		T_EQ_INT(proxy_stat("COUNT", "POST /v2/stream/a/blobs/uploads/"), 1);
		T_EQ_INT(proxy_stat("COUNT", "PATCH /v2/stream/a/blobs/uploads/"), 1);
		T_EQ_INT(proxy_stat("COUNT", "PUT /v2/stream/a/blobs/uploads/"), 1);
		T_EQ_INT(proxy_stat("COUNT", "HEAD"), 0);
		err_init(&e);
		T_CHECKF(pull_check(r, "stream/a", p.digest, (int64_t)size, &e) == 0, "%s", e.msg);
	}
	/* a digest that does not match: the registry refuses the PUT, the session goes */
	{
		struct pat q;
		pat_init(&p, 300000, 43);
		pat_init(&q, 300000, 44);
		struct registry_blob_src src = pat_src(&p);
		src.digest = q.digest;
		proxy_reset("COUNT");
		err_init(&e);
		T_CHECK(registry_blob_stream(r, "stream/b", &src, &st, &e) < 0);
		T_CHECKF(e.msg[0] != 0, "no message");
		T_EQ_INT(proxy_stat("COUNT", "DELETE /v2/stream/b/blobs/uploads/"), 1);
		err_init(&e);
		T_EQ_INT(registry_blob_exists(r, "stream/b", q.digest, NULL, &e), 0);
	}
	/* the producer fails in the middle: its error comes back, the session goes */
	{
		pat_init(&p, 3 * MIB, 45);
		struct registry_blob_src src = pat_src(&p);
		src.open = pat_open_failing;
		proxy_reset("COUNT");
		err_init(&e);
		T_CHECK(registry_blob_stream(r, "stream/c", &src, &st, &e) < 0);
		T_CHECKF(strstr(e.msg, "limit") != NULL, "%s", e.msg);
		T_EQ_INT(proxy_stat("COUNT", "DELETE /v2/stream/c/blobs/uploads/"), 1);
		T_EQ_INT(proxy_stat("COUNT", "PUT"), 0);
	}
	/* a registry that refuses large bodies (413): an error, and then a plain push works */
	{
		pat_init(&p, 3 * MIB, 46);
		struct registry_blob_src src = pat_src(&p);
		err_init(&e);
		T_CHECK(registry_blob_stream(big, "stream/d", &src, &st, &e) < 0);
		err_init(&e);
		T_CHECKF(registry_blob_push(big, "stream/d", &src, NULL, &st, &e) == 0, "%s",
		         e.msg);
		T_EQ_INT(st.how, REGISTRY_UP_CHUNKED);
		err_init(&e);
		T_EQ_INT(pull_check(big, "stream/d", p.digest, (int64_t)p.size, &e), 0);
	}
	/* a session opened ahead takes the place of HEAD and POST */
	{
		struct registry_session ss;
		pat_init(&p, 2000, 47);
		struct registry_blob_src src = pat_src(&p);
		proxy_reset("COUNT");
		err_init(&e);
		T_EQ_INT(registry_session_open(r, "stream/e", &ss, &e), 0);
		T_EQ_INT(ss.open, 1);
		src.session = &ss;
		T_EQ_INT(registry_blob_push(r, "stream/e", &src, NULL, &st, &e), 0);
		T_EQ_INT(st.how, REGISTRY_UP_MONOLITHIC);
		T_EQ_INT(st.requests, 1);
		T_EQ_INT(ss.open, 0);
		T_EQ_INT(proxy_stat("COUNT", "HEAD"), 0);
		T_EQ_INT(proxy_stat("COUNT", "POST"), 1);
		registry_session_cancel(r, "stream/e", &ss); /* taken: nothing to do */
		T_EQ_INT(proxy_stat("COUNT", "DELETE"), 0);
		err_init(&e);
		T_EQ_INT(pull_check(r, "stream/e", p.digest, (int64_t)p.size, &e), 0);
		/* one that no push took is DELETEd */
		err_init(&e);
		T_EQ_INT(registry_session_open(r, "stream/e", &ss, &e), 0);
		registry_session_cancel(r, "stream/e", &ss);
		T_EQ_INT(ss.open, 0);
		T_EQ_INT(proxy_stat("COUNT", "DELETE /v2/stream/e/blobs/uploads/"), 1);
	}
out:
	registry_close(r);
	registry_close(big);
}

static void test_manifests(void)
{
	struct registry_manifest m;
	struct oci_manifest om;
	char md[DIGEST_STR_MAX];
	struct err e;
	struct registry *r = reg_open("PLAIN", NULL);
	if (!r)
		return;
	err_init(&e);
	T_CHECKF(push_artifact(r, "ayedo/k8s/nginx", "1.0.0", 41, md, &e) == 0, "%s", e.msg);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "ayedo/k8s/nginx", "1.0.0", &m, &e), 0);
	T_EQ_STR(m.digest, md);
	T_EQ_STR(m.header_digest, md);
	T_EQ_STR(m.media_type, OCI_MT_MANIFEST);
	T_EQ_INT(oci_kind(m.body.p, m.body.len, m.media_type, &e), OCI_KIND_MANIFEST);
	T_EQ_INT(oci_manifest_parse(m.body.p, m.body.len, m.media_type, &om, &e), 0);
	T_EQ_STR(om.title, "nginx");
	T_EQ_STR(om.version, "1.0.0");
	/* its config and layer come back verified */
	T_EQ_INT(pull_check(r, "ayedo/k8s/nginx", om.config.digest, (int64_t)om.config.size, &e),
	         0);
	T_EQ_INT(
	    pull_check(r, "ayedo/k8s/nginx", om.layers[0].digest, (int64_t)om.layers[0].size, &e),
	    0);
	oci_manifest_free(&om);
	registry_manifest_free(&m);

	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "ayedo/k8s/nginx", md, &m, &e), 0);
	T_EQ_STR(m.digest, md);
	registry_manifest_free(&m);
	err_init(&e);
	T_EQ_INT(registry_manifest_head(r, "ayedo/k8s/nginx", "1.0.0", &m, &e), 0);
	T_EQ_STR(m.header_digest, md);
	T_CHECK(m.size > 100);
	registry_manifest_free(&m);

	/* not there */
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "ayedo/k8s/nginx", "9.9.9", &m, &e), ERR_NOTFOUND);
	T_CHECKF(strstr(e.msg, "manifest ayedo/k8s/nginx:9.9.9 not found") != NULL, "%s", e.msg);
	err_init(&e);
	T_EQ_INT(registry_manifest_head(r, "ayedo/k8s/nginx", "9.9.9", &m, &e), ERR_NOTFOUND);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "nobody/here", "1.0.0", &m, &e), ERR_NOTFOUND);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "ayedo/k8s/nginx",
	                               "sha256:"
	                               "00000000000000000000000000"
	                               "00000000000000000000000000000000000000",
	                               &m, &e),
	         ERR_NOTFOUND);
	/* bad names never reach the wire */
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "Bad/Name", "1", &m, &e), ERR_USAGE);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "a", "../x", &m, &e), ERR_USAGE);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "a", "sha256:zz", &m, &e), ERR_USAGE);

	/* a manifest naming a blob the registry lacks is refused in its words */
	static const char orphan[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
	    "\",\"config\":{\"mediaType\":\"" OCI_MT_CONFIG "\",\"digest\":\"sha256:"
	    "1111111111111111111111111111111111111111111111111111111111111111\",\"size\":3},"
	    "\"layers\":[]}";
	err_init(&e);
	int rc = registry_manifest_put(r, "ayedo/k8s/nginx", "orphan", OCI_MT_MANIFEST, orphan,
	                               strlen(orphan), NULL, &e);
	T_CHECKF(rc == ERR_FAIL && strstr(e.msg, "MANIFEST_BLOB_UNKNOWN"), "%d %s", rc, e.msg);
	/* bytes that do not match the digest given as ref */
	err_init(&e);
	T_EQ_INT(registry_manifest_put(r, "ayedo/k8s/nginx", md, OCI_MT_MANIFEST, orphan,
	                               strlen(orphan), NULL, &e),
	         ERR_INTEGRITY);

	/* delete: then it is gone */
	err_init(&e);
	T_EQ_INT(registry_manifest_delete(r, "ayedo/k8s/nginx", md, &e), 0);
	err_init(&e);
	T_EQ_INT(registry_manifest_get(r, "ayedo/k8s/nginx", md, &m, &e), ERR_NOTFOUND);
	registry_close(r);
}

static void test_tags(void)
{
	struct registry_tags t;
	struct err e;
	char md[DIGEST_STR_MAX];
	static const char *tags[] = {"0.1.0", "0.2.0", "1.0.0", "1.0.1", "latest"};
	struct registry *r = reg_open("COUNT", NULL);
	if (!r)
		return;
	for (size_t i = 0; i < 5; i++) {
		err_init(&e);
		T_CHECKF(push_artifact(r, "tags/x", tags[i], 50 + (unsigned)i, md, &e) == 0, "%s",
		         e.msg);
	}
	/* docker-registry 2.8 ignores ?n= (no Link): one page holds all; the Link walk is
	 * tested against a paginating server in test_registry.c */
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "tags/x", 2, &t, &e), 0);
	T_EQ_INT(t.n, 5);
	for (size_t i = 0; i < 5; i++) {
		int found = 0;
		for (size_t j = 0; j < t.n; j++)
			found |= strcmp(t.v[j], tags[i]) == 0;
		T_CHECKF(found, "tag %s missing", tags[i]);
	}
	registry_tags_free(&t);
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "tags/x", 0, &t, &e), 0);
	T_EQ_INT(t.n, 5);
	registry_tags_free(&t);
	err_init(&e);
	T_EQ_INT(registry_tags_list(r, "tags/none", 0, &t, &e), ERR_NOTFOUND);
	T_EQ_INT(t.n, 0);
	registry_close(r);
}

static void test_auth(void)
{
	struct http_client *cl = http_client_new();
	struct auth_ctx *a = auth_new(cl);
	struct auth_creds good = {0}, bad = {0};
	struct pat p;
	struct err e;
	struct registry_opts o = {.http = cl, .auth = a};
	snprintf(good.username, sizeof good.username, "tester");
	snprintf(good.password, sizeof good.password, "secret-pw");
	snprintf(bad.username, sizeof bad.username, "tester");
	snprintf(bad.password, sizeof bad.password, "wrong");
	http_client_set_tls(cl, tls_hook, NULL);
	pat_init(&p, 2000, 61);
	struct registry_blob_src src = pat_src(&p);

	for (int reg = 0; reg < 2; reg++) {
		const char *key = reg ? "TOKEN" : "HTP";
		struct registry *anon = reg_open(key, NULL);
		/* anonymous: the seed's words and what to do */
		err_init(&e);
		T_EQ_INT(registry_blob_push(anon, "auth/x", &src, NULL, NULL, &e), ERR_AUTH);
		T_CHECKF(strcmp(e.msg, "authentication required") == 0, "%s: %s", key, e.msg);
		T_CHECKF(strstr(e.hint, "polycrate login") != NULL, "%s", e.hint);
		registry_close(anon);

		struct auth_ctx *wrong = auth_new(cl);
		struct registry_opts wo = {.http = cl, .auth = wrong};
		struct registry *w = reg_open(key, &wo);
		err_init(&e);
		T_EQ_INT(auth_set_creds(wrong, env(key), &bad, &e), 0);
		err_init(&e);
		T_EQ_INT(registry_blob_exists(w, "auth/x", p.digest, NULL, &e), ERR_AUTH);
		registry_close(w);
		auth_free(wrong);

		struct registry *r = reg_open(key, &o);
		err_init(&e);
		T_EQ_INT(auth_set_creds(a, env(key), &good, &e), 0);
		err_init(&e);
		T_CHECKF(registry_blob_push(r, "auth/x", &src, NULL, NULL, &e) == 0, "%s: %s", key,
		         e.msg);
		err_init(&e);
		T_CHECKF(pull_check(r, "auth/x", p.digest, (int64_t)p.size, &e) == 0, "%s", e.msg);
		char md[DIGEST_STR_MAX];
		err_init(&e);
		T_CHECKF(push_artifact(r, "auth/x", "1.0.0", 62, md, &e) == 0, "%s", e.msg);
		struct registry_tags t;
		err_init(&e);
		T_EQ_INT(registry_tags_list(r, "auth/x", 0, &t, &e), 0);
		T_EQ_INT(t.n, 1);
		registry_tags_free(&t);
		/* a mount across repositories with two scopes */
		struct registry_upload_stats st;
		err_init(&e);
		T_CHECKF(registry_blob_push(r, "auth/y", &src, "auth/x", &st, &e) == 0, "%s",
		         e.msg);
		T_EQ_INT(st.how, REGISTRY_UP_MOUNTED);
		registry_close(r);
	}
	auth_free(a);
	http_client_free(cl);
}

static void test_tls(void)
{
	struct tls_opts to = {.ca_file = env("TLS_CA")};
	struct registry_opts o = {.tls = tls_hook, .tls_arg = &to};
	struct pat p;
	struct err e;
	struct registry *r = reg_open("TLS", &o);
	if (!r)
		return;
	pat_init(&p, 5 * MIB, 71);
	struct registry_blob_src src = pat_src(&p);
	err_init(&e);
	T_CHECKF(registry_blob_push(r, "tls/x", &src, NULL, NULL, &e) == 0, "%s", e.msg);
	T_CHECKF(strncmp(registry_base(r), "https://localhost:", 18) == 0, "%s", registry_base(r));
	err_init(&e);
	T_CHECKF(pull_check(r, "tls/x", p.digest, (int64_t)p.size, &e) == 0, "%s", e.msg);
	registry_close(r);

	/* an unknown CA is a TLS error, never a fall back to http (loopback or not) */
	struct http_client *quick = http_client_new();
	http_client_set_retry(quick, 10, HTTP_MAX_TRIES);
	http_client_set_tls(quick, tls_hook, NULL);
	struct registry_opts qo = {.http = quick};
	r = reg_open("TLS", &qo);
	err_init(&e);
	T_EQ_INT(registry_ping(r, &e), ERR_NET);
	T_CHECKF(strstr(e.msg, "failed to connect to registry localhost:") &&
	             !strstr(e.msg, "plain"),
	         "%s", e.msg);
	T_EQ_STR(registry_base(r), "");
	registry_close(r);
	http_client_free(quick);
}

static void setup(void)
{
	net_init();
	if (env_start() < 0) {
		T_CHECKF(0, "the registry environment did not start");
		env_stop();
		exit(1);
	}
}

static void teardown(void)
{
	env_stop();
}

T_MAIN(setup, test_ping_and_scheme, test_blob_sizes, test_blob_big_and_corrupt,
       test_mount_and_dedup, test_413_and_min_chunk, test_stream_and_sessions, test_manifests,
       test_tags, test_auth, test_tls, teardown)
