/* fuzz_oci.c - libFuzzer target: any bytes as a manifest, an index and a config; whatever
 * parses must be consistent (bounded counts, valid digests, a pick inside the index) */
#include "digest.h"
#include "err.h"
#include "oci.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct oci_manifest m;
	struct oci_index ix;
	struct oci_config c;
	struct err e;

	err_init(&e);
	oci_kind(p, size, NULL, &e);
	err_init(&e);
	if (oci_manifest_parse(p, size, NULL, &m, &e) == 0) {
		if (m.nlayers > OCI_LAYERS_MAX || digest_parse(m.config.digest, NULL, &e) < 0)
			abort();
		for (size_t i = 0; i < m.nlayers; i++) {
			err_init(&e);
			if (digest_parse(m.layers[i].digest, NULL, &e) < 0)
				abort();
			oci_layer_check(&m.layers[i], &e);
		}
	} else if (m.layers || m.nlayers || !e.msg[0]) {
		abort();
	}
	oci_manifest_free(&m);
	err_init(&e);
	if (oci_index_parse(p, size, NULL, &ix, &e) == 0) {
		int k = oci_index_pick(&ix, NULL, NULL, &e);
		if (ix.n > OCI_INDEX_MAX || (k >= 0 && (size_t)k >= ix.n))
			abort();
	}
	oci_index_free(&ix);
	err_init(&e);
	if (oci_config_parse(p, size, &c, &e) == 0) {
		for (size_t i = 0; i < c.nlabels; i++)
			if (oci_config_label(&c, c.labels[i].key) == NULL)
				abort();
	}
	oci_config_free(&c);
	return 0;
}
