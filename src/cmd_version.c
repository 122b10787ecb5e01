/* cmd_version.c - polycrate version: our version, git revision, linked libraries */
#include "cli.h"
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
		printf("{\"version\":\"%s\",\"git\":\"%s\",\"bearssl\":\"0.6\",\"libyaml\":\"%s\","
		       "\"zlib\":\"%s\",\"sha256\":\"%s\"}\n",
		       POLYCRATE_VERSION, POLYCRATE_GIT, yaml_get_version_string(), zlibVersion(),
		       sha256_impl());
		return 0;
	}
	printf("polycrate %s (git %s)\n", POLYCRATE_VERSION, POLYCRATE_GIT);
	printf("BearSSL 0.6, libyaml %s, zlib %s\n", yaml_get_version_string(), zlibVersion());
	printf("sha256: %s\n", sha256_impl());
	return 0;
}
