/* fuzz_workspace.c - libFuzzer target: any bytes as workspace.poly, block.poly and
 * blocks.lock; what loads must snapshot, emit and reload, and blocks.lock must round-trip */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "lock.h"
#include "log.h"
#include "workspace.h"
#include "yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void expect_clean(int rc, const struct err *e)
{
	if (rc < 0 && (!e->msg[0] || (rc != ERR_USAGE && rc != ERR_FAIL)))
		abort();
}

/* Emitting a loaded tree and loading it again gives an equal tree: nulls are null (their
 * spelling may change), other scalars keep their text, keys count by text alone. */
static int same(const struct yaml_node *a, const struct yaml_node *b, int key)
{
	if (!key && (yaml_is_null(a) || yaml_is_null(b)))
		return yaml_is_null(a) && yaml_is_null(b);
	if (a->kind != b->kind || a->n != b->n)
		return 0;
	if (a->kind == YAML_KIND_SCALAR)
		return strcmp(a->str, b->str) == 0;
	for (size_t i = 0; i < (a->kind == YAML_KIND_MAP ? 2 : 1) * a->n; i++)
		if (!same(a->kids[i], b->kids[i], a->kind == YAML_KIND_MAP && i % 2 == 0))
			return 0;
	return 1;
}

static void check_yaml(const uint8_t *data, size_t size)
{
	struct yaml_doc d, back;
	struct buf out;
	struct err e;
	struct yaml_node *m = NULL;
	err_init(&e);
	if (yaml_load_mem("f.yml", (const char *)data, size, &d, &e) < 0) {
		expect_clean(e.code, &e);
		return;
	}
	buf_init(&out, 0);
	if (yaml_emit_text(d.root, &out, &e) < 0)
		abort();
	if (yaml_load_mem("back", out.p, out.len, &back, &e) < 0 || !same(d.root, back.root, 0))
		abort();
	if (yaml_merge(&m, d.root, &e) < 0 || yaml_merge(&m, back.root, &e) < 0)
		abort();
	yaml_path_get(d.root, "config.registry.url");
	yaml_path_get(d.root, "blocks.0.name");
	yaml_node_free(m);
	yaml_doc_free(&back);
	yaml_doc_free(&d);
	buf_free(&out);
}

static void check_workspace(const uint8_t *data, size_t size)
{
	struct workspace ws;
	struct err e;
	struct buf out;
	struct ref w, u;
	struct ref_creds cr;
	const struct workspace_block *b;
	int rc;
	err_init(&e);
	rc = workspace_load_mem("workspace.poly", (const char *)data, size, &ws, &e);
	expect_clean(rc, &e);
	if (rc == 0) {
		buf_init(&out, 0);
		if (workspace_snapshot(&ws, ws.nws_blocks ? &ws.ws_blocks[0] : NULL, NULL, &out,
		                       &e) < 0)
			abort();
		buf_free(&out);
		for (size_t i = 0; i < ws.ndependencies; i++)
			workspace_resolve_ref(&ws, ws.dependencies[i], NULL, NULL, NULL, &w, &u,
			                      &cr, NULL, &e);
		for (size_t i = 0; i < ws.nws_blocks; i++)
			if (ws.ws_blocks[i].from)
				workspace_resolve_ref(&ws, ws.ws_blocks[i].from, NULL, NULL, NULL,
				                      &w, &u, &cr, NULL, &e);
		workspace_resolve_ref(&ws, "ayedo/k8s/nginx:1.0.0", NULL, NULL, NULL, &w, &u, &cr,
		                      NULL, &e);
		workspace_find_block(&ws, "x", &b, &e);
	}
	workspace_free(&ws);
}

static void check_block(const uint8_t *data, size_t size)
{
	struct workspace_block b;
	struct err e;
	struct buf out;
	int rc;
	err_init(&e);
	rc = workspace_block_load_mem("block.poly", (const char *)data, size, &b, &e);
	expect_clean(rc, &e);
	if (rc == 0) {
		buf_init(&out, 0);
		if (workspace_snapshot(NULL, &b, b.nactions ? &b.actions[0] : NULL, &out, &e) < 0)
			abort();
		buf_free(&out);
		if (!b.name || (b.nactions && !workspace_block_action(&b, b.actions[0].name)))
			abort();
	}
	workspace_block_free(&b);
}

static void check_lock(const uint8_t *data, size_t size)
{
	struct lock_file lf, back;
	struct buf a, b;
	struct err e;
	err_init(&e);
	if (lock_parse("blocks.lock", (const char *)data, size, &lf, &e) < 0) {
		if (e.code != ERR_USAGE && e.code != ERR_FAIL)
			abort();
		return;
	}
	buf_init(&a, 0);
	buf_init(&b, 0);
	if (lock_format(&lf, &a, &e) < 0 || lock_parse("x", a.p, a.len, &back, &e) < 0 ||
	    lock_format(&back, &b, &e) < 0 || strcmp(buf_cstr(&a), buf_cstr(&b)) != 0)
		abort();
	lock_free(&back);
	lock_free(&lf);
	buf_free(&a);
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once) {
		once = 1;
		log_level = -1;
		setenv("REGISTRY_USERNAME", "user", 1);
		setenv("REGISTRY_PASSWORD", "pass", 1);
		setenv("PROXY_PASSWORD", "proxy", 1);
	}
	check_yaml(data, size);
	check_workspace(data, size);
	check_block(data, size);
	check_lock(data, size);
	return 0;
}
