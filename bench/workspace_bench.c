/* workspace_bench.c - loads a workspace and every block.poly below it REPS times (the work
 * of `blocks list`), or one YAML file REPS times; prints blocks/keys found and seconds */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "workspace.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct err e;
	int reps = argc > 3 ? atoi(argv[3]) : 1;
	size_t found = 0;
	double t0;
	log_level = 0;
	if (argc < 3) {
		fprintf(stderr, "usage: workspace_bench ws|yaml PATH [REPS]\n");
		return 2;
	}
	t0 = now();
	for (int r = 0; r < reps; r++) {
		err_init(&e);
		if (strcmp(argv[1], "ws") == 0) {
			struct workspace ws;
			if (workspace_load(argv[2], &ws, &e) < 0 || workspace_scan_blocks(&ws, &e) < 0) {
				fprintf(stderr, "%s\n", e.msg);
				return 1;
			}
			found = ws.nblocks;
			workspace_free(&ws);
		} else {
			struct yaml_doc d;
			if (yaml_load_file(argv[2], &d, &e) < 0) {
				fprintf(stderr, "%s\n", e.msg);
				return 1;
			}
			found = d.root ? d.root->n : 0;
			yaml_doc_free(&d);
		}
	}
	printf("%zu %.4f\n", found, (now() - t0) / reps);
	return 0;
}
