/* test_oci.c - manifests, indexes and configs of every kind, hostile ones, and the artifact */
#include "t.h"

#include "buf.h"
#include "digest.h"
#include "err.h"
#include "json.h"
#include "oci.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

#define CFG(mt) "{\"mediaType\":\"" mt "\",\"digest\":\"" D1 "\",\"size\":7}"
#define LAYER(mt, d, n) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":" #n "}"

static void test_kind(void)
{
	static const struct {
		const char *body, *ct;
		int want;
	} cases[] = {
	    {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\"}", NULL,
	     OCI_KIND_MANIFEST},
	    {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\"}", NULL, OCI_KIND_INDEX},
	    {"{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_MT_MANIFEST "\"}", NULL,
	     OCI_KIND_MANIFEST},
	    {"{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_MT_LIST "\"}", NULL, OCI_KIND_INDEX},
	    {"{\"schemaVersion\":2,\"layers\":[]}", NULL, OCI_KIND_MANIFEST},
	    {"{\"schemaVersion\":2,\"manifests\":[]}", NULL, OCI_KIND_INDEX},
	    {"{\"schemaVersion\":2}", OCI_MT_INDEX "; charset=utf-8", OCI_KIND_INDEX},
	    {"{\"schemaVersion\":2}", DOCKER_MT_MANIFEST, OCI_KIND_MANIFEST},
	    {"{\"schemaVersion\":2,\"manifests\":[]}", "application/json", OCI_KIND_INDEX},
	    {"{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, ERR_FAIL},
	    {"{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", ERR_FAIL},
	    {"{\"mediaType\":\"text/html\"}", NULL, ERR_FAIL},
	    {"{\"mediaType\":7}", NULL, ERR_FAIL},
	    {"[]", NULL, ERR_FAIL},
	    {"<html>", NULL, ERR_FAIL},
	    {"{}", NULL, ERR_FAIL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct err e;
		err_init(&e);
		int rc = oci_kind(cases[i].body, strlen(cases[i].body), cases[i].ct, &e);
		T_CHECKF(rc == cases[i].want, "case %zu: %d want %d (%s)", i, rc, cases[i].want,
		         e.msg);
	}
}

static void test_manifest_ok(void)
{
	static const char oci[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
	    "\",\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[" LAYER(
	        OCI_MT_LAYER_TGZ, D2,
	        100) "," LAYER(OCI_MT_LAYER_TAR, D3,
	                       0) "],\"annotations\":{\"org.opencontainers.image.title\":\"nginx\","
	                          "\"org.opencontainers.image.version\":\"1.0.0\",\"other\":\"x\"}"
	                          "}";
	static const char docker[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_MT_MANIFEST "\",\"config\":" CFG(
	        DOCKER_MT_CONFIG) ",\"layers\":[" LAYER(DOCKER_MT_LAYER, D2, 5) "]}";
	/* no mediaType in the body: the Content-Type says what it is */
	static const char bare[] = "{\"schemaVersion\":2,\"config\":" CFG(
	    OCI_MT_CONFIG) ",\"layers\":[" LAYER(OCI_MT_LAYER_ZSTD, D2, 9) "]}";
	struct oci_manifest m;
	struct err e;

	err_init(&e);
	T_EQ_INT(oci_manifest_parse(oci, strlen(oci), NULL, &m, &e), 0);
	T_EQ_STR(m.media_type, OCI_MT_MANIFEST);
	T_EQ_INT(m.docker, 0);
	T_EQ_STR(m.config.digest, D1);
	T_EQ_INT(m.config.size, 7);
	T_EQ_INT(m.nlayers, 2);
	T_EQ_INT(m.layers[0].comp, OCI_COMP_GZIP);
	T_EQ_INT(m.layers[0].size, 100);
	T_EQ_INT(m.layers[1].comp, OCI_COMP_TAR);
	T_EQ_STR(m.layers[1].digest, D3);
	T_EQ_STR(m.title, "nginx");
	T_EQ_STR(m.version, "1.0.0");
	T_EQ_INT(oci_layer_check(&m.layers[0], &e), 0);
	T_EQ_INT(oci_layer_check(&m.layers[1], &e), 0);
	oci_manifest_free(&m);

	T_EQ_INT(oci_manifest_parse(docker, strlen(docker), NULL, &m, &e), 0);
	T_EQ_INT(m.docker, 1);
	T_EQ_INT(m.layers[0].comp, OCI_COMP_GZIP);
	T_EQ_STR(m.title, "");
	oci_manifest_free(&m);

	T_EQ_INT(oci_manifest_parse(bare, strlen(bare), DOCKER_MT_MANIFEST "; x=y", &m, &e), 0);
	T_EQ_INT(m.docker, 1);
	T_EQ_INT(m.layers[0].comp, OCI_COMP_ZSTD);
	T_EQ_INT(oci_layer_check(&m.layers[0], &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "zstd") && strstr(e.msg, "not supported"), "%s", e.msg);
	oci_manifest_free(&m);
	T_EQ_INT(oci_manifest_parse(bare, strlen(bare), NULL, &m, &e), 0);
	T_EQ_STR(m.media_type, OCI_MT_MANIFEST);
	oci_manifest_free(&m);

	struct oci_desc d = {.media_type = "application/x-tar", .digest = D1};
	err_init(&e);
	T_EQ_INT(oci_layer_check(&d, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "application/x-tar") != NULL, "%s", e.msg);
}

static void test_manifest_hostile(void)
{
	static const struct {
		const char *body, *needle;
	} cases[] = {
	    {"", "invalid JSON"},
	    {"[1]", "not a JSON object"},
	    {"{\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[]}", "schemaVersion"},
	    {"{\"schemaVersion\":\"2\",\"layers\":[]}", "schemaVersion must be an integer"},
	    {"{\"schemaVersion\":1,\"layers\":[]}", "not supported"},
	    {"{\"schemaVersion\":2.0,\"layers\":[]}", "schemaVersion"},
	    {"{\"schemaVersion\":2,\"layers\":[]}", "no config"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) "}", "no layers"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":{}}", "no layers"},
	    {"{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", "config must be an object"},
	    {"{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}",
	     "no mediaType"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"size\":1},\"layers\":[]}",
	     "digest missing"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"sha256:abc\","
	     "\"size\":1},\"layers\":[]}",
	     "config"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"sha512:" D1
	     "\",\"size\":1},\"layers\":[]}",
	     "config"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" D1
	     "\",\"size\":-1},\"layers\":[]}",
	     "size"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" D1
	     "\",\"size\":1.5},\"layers\":[]}",
	     "size"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" D1
	     "\",\"size\":99999999999999999999},\"layers\":[]}",
	     "size"},
	    {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" D1
	     "\",\"size\":\"1\"},\"layers\":[]}",
	     "size"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[7]}",
	     "layer 1 must be an object"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[" LAYER(
	         OCI_MT_LAYER_TGZ, D2, 1) ",{\"mediaType\":1}]}",
	     "layer 2"},
	    {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\",\"manifests\":[]}",
	     "an index"},
	    {"{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"layers\":[]}", "unsupported"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[],"
	                                                           "\"annotations\":[]}",
	     "annotations"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[],"
	                                                           "\"annotations\":{\"a\":1}}",
	     "annotation values"},
	    {"{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":" CFG(
	         OCI_MT_CONFIG) ",\"layers\":[]}",
	     "invalid JSON"},
	    {"{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[]} x",
	     "invalid JSON"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct oci_manifest m;
		struct err e;
		err_init(&e);
		int rc = oci_manifest_parse(cases[i].body, strlen(cases[i].body), NULL, &m, &e);
		T_CHECKF(rc == ERR_FAIL && strstr(e.msg, cases[i].needle) && m.nlayers == 0 &&
		             !m.layers,
		         "case %zu: rc %d msg '%s' want '%s'", i, rc, e.msg, cases[i].needle);
		oci_manifest_free(&m);
	}
}

/* Builds a manifest of n layers, or of n bytes of padding in an annotation. */
static void big(struct buf *b, size_t layers, size_t pad)
{
	buf_init(b, 0);
	buf_puts(b, "{\"schemaVersion\":2,\"config\":" CFG(OCI_MT_CONFIG) ",\"layers\":[");
	for (size_t i = 0; i < layers; i++)
		buf_printf(b, "%s" LAYER(OCI_MT_LAYER_TGZ, D2, 1), i ? "," : "");
	buf_puts(b, "],\"annotations\":{\"pad\":\"");
	for (size_t i = 0; i < pad; i++)
		buf_putc(b, 'x');
	buf_puts(b, "\"}}");
}

static void test_manifest_limits(void)
{
	struct oci_manifest m;
	struct buf b;
	struct err e;

	big(&b, OCI_LAYERS_MAX, 0);
	err_init(&e);
	T_EQ_INT(oci_manifest_parse(b.p, b.len, NULL, &m, &e), 0);
	T_EQ_INT(m.nlayers, OCI_LAYERS_MAX);
	oci_manifest_free(&m);
	buf_free(&b);

	big(&b, OCI_LAYERS_MAX + 1, 0);
	T_EQ_INT(oci_manifest_parse(b.p, b.len, NULL, &m, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "limit") != NULL, "%s", e.msg);
	buf_free(&b);

	big(&b, 1, OCI_MANIFEST_MAX);
	err_init(&e);
	T_EQ_INT(oci_manifest_parse(b.p, b.len, NULL, &m, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "4 MiB limit") != NULL, "%s", e.msg);
	err_init(&e);
	T_EQ_INT(oci_kind(b.p, b.len, NULL, &e), ERR_FAIL);
	buf_free(&b);

	/* a title longer than we keep is an error, not a silent cut */
	buf_init(&b, 0);
	buf_puts(&b,
	         "{\"schemaVersion\":2,\"config\":" CFG(
	             OCI_MT_CONFIG) ",\"layers\":[],\"annotations\":{\"" OCI_ANNOT_TITLE "\":\"");
	for (int i = 0; i < OCI_ANNOT_VALUE_MAX; i++)
		buf_putc(&b, 't');
	buf_puts(&b, "\"}}");
	err_init(&e);
	T_EQ_INT(oci_manifest_parse(b.p, b.len, NULL, &m, &e), ERR_FAIL);
	buf_free(&b);
}

#define ENTRY(os, arch, var, d)                                                                    \
	"{\"mediaType\":\"" OCI_MT_MANIFEST "\",\"digest\":\"" d "\",\"size\":10,"                 \
	"\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"" var "}}"

static void test_index(void)
{
	static const struct {
		const char *body;
		int want; /* entry picked, or an error */
		const char *needle;
	} cases[] = {
	    {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_INDEX "\",\"manifests\":[" ENTRY(
	         "linux", "arm64", "", D1) "," ENTRY("linux", "amd64", "", D2) "]}",
	     1, NULL},
	    {"{\"schemaVersion\":2,\"mediaType\":\"" DOCKER_MT_LIST
	     "\",\"manifests\":[" ENTRY("linux", "arm64", ",\"variant\":\"v8\"", D1) "]}",
	     0, NULL},
	    /* one real image plus an attestation entry: the real one */
	    {"{\"schemaVersion\":2,\"manifests\":[" ENTRY("unknown", "unknown", "", D1) "," ENTRY(
	         "linux", "arm64", "", D2) "]}",
	     1, NULL},
	    /* no platform at all, alone: taken */
	    {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
	     "\",\"digest\":\"" D3 "\",\"size\":3}]}",
	     0, NULL},
	    {"{\"schemaVersion\":2,\"manifests\":[" ENTRY("linux", "arm64", "", D1) "," ENTRY(
	         "linux", "arm", ",\"variant\":\"v7\"", D2) "," ENTRY("windows", "amd64", "",
	                                                              D3) "]}",
	     ERR_NOTFOUND, "linux/arm64, linux/arm/v7, windows/amd64"},
	    {"{\"schemaVersion\":2,\"manifests\":[]}", ERR_NOTFOUND, "no images"},
	    {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	     "\",\"size\":1,\"platform\":[]}]}",
	     ERR_FAIL, "platform"},
	    {"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" D1
	     "\",\"size\":1,\"platform\":{\"os\":5}}]}",
	     ERR_FAIL, "os"},
	    {"{\"schemaVersion\":2,\"manifests\":{}}", ERR_FAIL, "no manifests"},
	    {"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST "\",\"manifests\":[]}",
	     ERR_FAIL, "not an index"},
	    {"{\"schemaVersion\":3,\"manifests\":[]}", ERR_FAIL, "schemaVersion"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct oci_index ix;
		struct err e;
		int rc;
		err_init(&e);
		rc = oci_index_parse(cases[i].body, strlen(cases[i].body), NULL, &ix, &e);
		if (rc == 0)
			rc = oci_index_pick(&ix, NULL, NULL, &e);
		T_CHECKF(rc == cases[i].want, "case %zu: %d want %d (%s)", i, rc, cases[i].want,
		         e.msg);
		if (cases[i].needle)
			T_CHECKF(strstr(e.msg, cases[i].needle) != NULL,
			         "case %zu: '%s' lacks '%s'", i, e.msg, cases[i].needle);
		oci_index_free(&ix);
	}

	/* more entries than the limit */
	struct buf b;
	struct oci_index ix;
	struct err e;
	buf_init(&b, 0);
	buf_puts(&b, "{\"schemaVersion\":2,\"manifests\":[");
	for (int i = 0; i <= OCI_INDEX_MAX; i++)
		buf_printf(&b, "%s" ENTRY("linux", "amd64", "", D1), i ? "," : "");
	buf_puts(&b, "]}");
	err_init(&e);
	T_EQ_INT(oci_index_parse(b.p, b.len, NULL, &ix, &e), ERR_FAIL);
	T_CHECKF(strstr(e.msg, "limit") != NULL, "%s", e.msg);
	T_CHECK(ix.manifests == NULL && ix.n == 0);
	buf_free(&b);
}

static void test_config(void)
{
	static const char good[] =
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-01T00:00:00Z\","
	    "\"config\":{\"Env\":[\"A=1\"],\"Labels\":{\"a\":\"1\",\"b\\u00e9\":\"\\\"q\\\"\"}},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
	    "\"history\":[{}]}";
	struct oci_config c;
	struct err e;

	err_init(&e);
	T_EQ_INT(oci_config_parse(good, strlen(good), &c, &e), 0);
	T_EQ_STR(c.os, "linux");
	T_EQ_STR(c.arch, "amd64");
	T_EQ_INT(c.nlabels, 2);
	T_EQ_STR(oci_config_label(&c, "a"), "1");
	T_EQ_STR(oci_config_label(&c, "b\xc3\xa9"), "\"q\"");
	T_CHECK(oci_config_label(&c, "c") == NULL);
	T_EQ_INT(c.ndiff_ids, 2);
	T_EQ_STR(c.diff_ids[1], D2);
	oci_config_free(&c);

	static const char nolabels[] = "{\"config\":{\"Labels\":null},\"rootfs\":{}}";
	T_EQ_INT(oci_config_parse(nolabels, strlen(nolabels), &c, &e), 0);
	T_EQ_INT(c.nlabels, 0);
	T_EQ_INT(c.ndiff_ids, 0);
	oci_config_free(&c);

	static const struct {
		const char *body, *needle;
	} bad[] = {
	    {"[]", "not a JSON object"},
	    {"{\"os\":1}", "\"os\" must be a string"},
	    {"{\"config\":5}", "\"config\" must be an object"},
	    {"{\"config\":{\"Labels\":[]}}", "Labels must be an object"},
	    {"{\"config\":{\"Labels\":{\"a\":1}}}", "label values must be strings"},
	    {"{\"config\":{\"Labels\":{\"a\":\"\\u0000\"}}}", "U+0000"},
	    {"{\"rootfs\":[]}", "rootfs"},
	    {"{\"rootfs\":{\"diff_ids\":{}}}", "diff_ids must be an array"},
	    {"{\"rootfs\":{\"diff_ids\":[\"md5:abc\"]}}", "diff_ids[0]"},
	    {"{\"rootfs\":{\"diff_ids\":[1]}}", "diff_ids[0]"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_init(&e);
		int rc = oci_config_parse(bad[i].body, strlen(bad[i].body), &c, &e);
		T_CHECKF(rc == ERR_FAIL && strstr(e.msg, bad[i].needle) && c.nlabels == 0,
		         "bad %zu: rc %d '%s' want '%s'", i, rc, e.msg, bad[i].needle);
		oci_config_free(&c);
	}
}

static void test_build(void)
{
	struct oci_block b = {.name = "postgres-base",
	                      .kind = "generic",
	                      .version = "1.2.3",
	                      .diff_id = D1,
	                      .layer_digest = D2,
	                      .layer_size = 1234};
	struct buf cfg, man, again;
	struct err e;
	char cd[DIGEST_STR_MAX];

	buf_init(&cfg, OCI_CONFIG_MAX);
	buf_init(&man, OCI_MANIFEST_MAX);
	buf_init(&again, OCI_MANIFEST_MAX);
	err_init(&e);
	T_EQ_INT(oci_config_build(&b, &cfg, &e), 0);
	T_EQ_STR(buf_cstr(&cfg),
	         "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{"
	         "\"blocks.polycrate.io/kind\":\"generic\",\"blocks.polycrate.io/name\":"
	         "\"postgres-base\",\"polycrate.block.version\":\"1.2.3\","
	         "\"polycrate.io/managed-by\":\"cli\"}},\"rootfs\":{\"type\":\"layers\","
	         "\"diff_ids\":[\"" D1 "\"]}}");
	sha256_str(cfg.p, cfg.len, cd);
	T_EQ_INT(oci_manifest_build(&b, cd, cfg.len, &man, &e), 0);
	char want[2048];
	snprintf(want, sizeof want,
	         "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
	         "\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"%s\",\"digest\":"
	         "\"%s\",\"size\":1234}],\"annotations\":{\"%s\":\"postgres-base\",\"%s\":"
	         "\"1.2.3\"}}",
	         OCI_MT_MANIFEST, OCI_MT_CONFIG, cd, cfg.len, OCI_MT_LAYER_TGZ, D2, OCI_ANNOT_TITLE,
	         OCI_ANNOT_VERSION);
	T_EQ_STR(buf_cstr(&man), want);
	/* deterministic: the same input gives the same bytes */
	T_EQ_INT(oci_manifest_build(&b, cd, cfg.len, &again, &e), 0);
	T_EQ_STR(buf_cstr(&again), buf_cstr(&man));

	/* and what we build, we parse */
	struct oci_manifest m;
	struct oci_config c;
	T_EQ_INT(oci_manifest_parse(man.p, man.len, NULL, &m, &e), 0);
	T_EQ_STR(m.title, "postgres-base");
	T_EQ_STR(m.version, "1.2.3");
	T_EQ_STR(m.config.digest, cd);
	T_EQ_STR(m.layers[0].digest, D2);
	T_EQ_INT(m.layers[0].comp, OCI_COMP_GZIP);
	oci_manifest_free(&m);
	T_EQ_INT(oci_config_parse(cfg.p, cfg.len, &c, &e), 0);
	T_EQ_STR(oci_config_label(&c, OCI_LABEL_NAME), "postgres-base");
	T_EQ_STR(oci_config_label(&c, OCI_LABEL_MANAGED), "cli");
	T_EQ_STR(c.diff_ids[0], D1);
	oci_config_free(&c);

	/* no kind: an empty label; names with quotes are escaped */
	struct oci_block q = b;
	q.kind = NULL;
	q.name = "a\"b";
	buf_reset(&cfg);
	T_EQ_INT(oci_config_build(&q, &cfg, &e), 0);
	T_CHECK(strstr(buf_cstr(&cfg), "\"blocks.polycrate.io/kind\":\"\"") != NULL);
	T_CHECK(strstr(buf_cstr(&cfg), "\"a\\\"b\"") != NULL);

	/* bad inputs */
	static const struct {
		const char *diff, *layer, *cfgd, *name;
	} bad[] = {
	    {"sha256:abc", D2, D1, "x"}, {D1, "md5:1", D1, "x"}, {D1, D2, NULL, "x"},
	    {D1, D2, D1, NULL},          {NULL, D2, D1, "x"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct oci_block x = b;
		x.diff_id = bad[i].diff;
		x.layer_digest = bad[i].layer;
		x.name = bad[i].name;
		buf_reset(&cfg);
		buf_reset(&man);
		err_init(&e);
		int r1 = oci_config_build(&x, &cfg, &e);
		int r2 = oci_manifest_build(&x, bad[i].cfgd, 10, &man, &e);
		T_CHECKF(r1 < 0 || r2 < 0, "bad %zu accepted", i);
	}
	/* invalid UTF-8 in a name is refused by the writer */
	struct oci_block u8 = b;
	u8.name = "\xff";
	buf_reset(&cfg);
	err_init(&e);
	T_EQ_INT(oci_config_build(&u8, &cfg, &e), ERR_FAIL);
	/* the buf's limit holds */
	struct buf tiny;
	buf_init(&tiny, 32);
	err_init(&e);
	T_EQ_INT(oci_config_build(&b, &tiny, &e), ERR_FAIL);
	buf_free(&tiny);
	buf_free(&cfg);
	buf_free(&man);
	buf_free(&again);
}

T_MAIN(test_kind, test_manifest_ok, test_manifest_hostile, test_manifest_limits, test_index,
       test_config, test_build)
