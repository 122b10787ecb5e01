/* fuzz_ref.c - libFuzzer target: references, registry URLs, proxy rules and SemVer on any
 * bytes; what parses must format back to something that parses to the same thing */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "ref.h"
#include "semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_ref(const struct ref *a, const struct ref *b)
{
	if (strcmp(a->host, b->host) || strcmp(a->path, b->path) || strcmp(a->tag, b->tag) ||
	    strcmp(a->digest, b->digest))
		abort();
}

static void check_ref(const char *s)
{
	struct ref r, back;
	struct err e;
	char out[REF_STR_MAX], key[REF_STR_MAX * 2];
	err_init(&e);
	if (ref_parse(s, &r, &e) < 0) {
		if (e.code != ERR_USAGE || strncmp(e.msg, "invalid reference", 17) != 0)
			abort();
		return;
	}
	ref_format(&r, out, sizeof out);
	if (strcmp(out, s) != 0)
		abort(); /* a reference is exactly its parts */
	if (ref_parse(out, &back, NULL) < 0)
		abort();
	same_ref(&r, &back);
	ref_match_key(&r, key, sizeof key);
	ref_api_path(&r, key, sizeof key);
	if (!ref_api_host(&r) || strcmp(ref_install_path(&r), r.path))
		abort();
	if (ref_resolve(&r, NULL, NULL, &e) < 0 && e.code != ERR_USAGE)
		abort();
}

static void check_rules(const char *from, const char *to, const char *s)
{
	struct ref_proxy p[2] = {{from, to, "u", "p"}, {to, from, NULL, NULL}};
	struct ref_proxy_config c = {p, 2, to, "eu", "ep"};
	struct ref r, out, back;
	struct ref_creds cr;
	char text[REF_STR_MAX];
	size_t by;
	int rc;
	if (ref_proxy_check(&p[0], NULL) < 0)
		return;
	ref_proxy_shadowed(&c, 1, &by);
	if (ref_parse(s, &r, NULL) < 0 || ref_resolve(&r, NULL, NULL, NULL) < 0)
		return;
	rc = ref_rewrite(&c, &r, &out, &cr, NULL);
	if (rc < 0)
		return;
	ref_format(&out, text, sizeof text);
	if (ref_parse(text, &back, NULL) < 0)
		abort(); /* a rewrite never yields a reference we cannot parse */
	same_ref(&out, &back);
	if (strcmp(out.tag, r.tag) || strcmp(out.digest, r.digest))
		abort();
	if (cr.password && !cr.username)
		abort();
}

static void check_semver(const char *s)
{
	struct semver v, w;
	char tag[SEMVER_MAX + 1];
	if (semver_parse(s, &v, NULL) == 0) {
		if (semver_cmp(&v, &v) != 0 || semver_tag(s, tag, sizeof tag, NULL) < 0)
			abort();
		if (semver_parse_tag(tag, &w, NULL) < 0 || semver_cmp(&v, &w) != 0 ||
		    strcmp(v.build, w.build))
			abort();
	}
	if (semver_cmp_tags(s, "1.0.0") != -semver_cmp_tags("1.0.0", s))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *l1, *l2;
	struct ref_registry reg;
	log_level = -1;
	memcpy(s, data, size);
	s[size] = 0;
	check_ref(s);
	check_semver(s);
	ref_registry_parse(s, "fuzz", &reg, NULL);
	/* three lines: a rule's from and to, and a reference to rewrite */
	if ((l1 = strchr(s, '\n')) && (l2 = strchr(l1 + 1, '\n'))) {
		*l1 = 0;
		*l2 = 0;
		check_rules(s, l1 + 1, l2 + 1);
	}
	free(s);
	return 0;
}
