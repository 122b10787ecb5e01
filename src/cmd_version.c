/* cmd_version.c - polycrate version: our version, git revision, linked libraries */
#include "cli.h"
#include "cmd_util.h"
#include "digest.h"

#include <stdio.h>
#include <yaml.h>
#include <zlib.h>

#ifndef POLYCRATE_VERSION
#define POLYCRATE_VERSION "0.0.0"
#endif
#ifndef POLYCRATE_GIT
#define POLYCRATE_GIT "unknown"
#endif

int cmd_version(struct cli *c)
{
	if (c->argc)
		return cli_failf(2, "version takes no arguments");
	if (c->json) {
		struct jout j;
		struct json_writer *w = jout_begin(&j);
		json_w_obj_begin(w);
		json_w_kstr(w, "version", POLYCRATE_VERSION);
		json_w_kstr(w, "git", POLYCRATE_GIT);
		json_w_kstr(w, "bearssl", "0.6");
		json_w_kstr(w, "libyaml", yaml_get_version_string());
		json_w_kstr(w, "zlib", zlibVersion());
		json_w_kstr(w, "sha256", sha256_impl());
		json_w_obj_end(w);
		if (jout_print(&j, &j.e) < 0)
			return cli_fail(&j.e);
		return 0;
	}
	printf("polycrate %s (git %s)\n", POLYCRATE_VERSION, POLYCRATE_GIT);
	printf("BearSSL 0.6, libyaml %s, zlib %s\n", yaml_get_version_string(), zlibVersion());
	printf("sha256: %s\n", sha256_impl());
	return 0;
}
