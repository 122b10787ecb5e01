/* cli.h - the parsed command line that main.c hands to the cmd_*.c handlers */
#ifndef POLYCRATE_CLI_H
#define POLYCRATE_CLI_H

#include "err.h"

/* Every flag the program knows; one table in main.c says its name and arity, and each
 * command lists the ones it takes beyond the global ones. */
enum flag_id {
	/* global (DESIGN.md §1.1) */
	F_WORKSPACE,
	F_LOGLEVEL,
	F_REGISTRY_URL,
	F_AUTO_PULL,
	F_OUTPUT,
	F_INSECURE,
	F_FORCE,
	F_HELP,
	F_CONNECT_TIMEOUT,
	F_TIMEOUT,
	/* per command */
	F_DRY_RUN,
	F_NO_LATEST,
	F_GZIP_LEVEL,
	F_PRUNE,
	F_REMOTE,
	F_USERNAME,
	F_PASSWORD,
	F_PASSWORD_STDIN,
	F_STEP,
	F_LOCKED,
	F_JOBS,
	F_MAX_ENTRIES,
	F_MAX_BYTES,
	F_COUNT_
};

#define CLI_MAX_MULTI 16

struct cli {
	const char *command; /* canonical name: "blocks push", "run", ... */
	int argc;            /* positional arguments after the command words */
	char **argv;
	int set[F_COUNT_];                /* how often the flag was given */
	const char *val[F_COUNT_];        /* last value given (NULL for switches or unset) */
	const char *multi[CLI_MAX_MULTI]; /* every --insecure-registry value */
	int nmulti;
	int json; /* -o json */
};

/* Prints "Error: <msg>" and the hint (if any) to stderr; returns the exit status. */
int cli_fail(const struct err *e);
/* Prints "Error: <fmt>" and returns status (for usage errors found by a handler). */
int cli_failf(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A flag's integer value within [lo, hi], or def when unset; a bad value is reported
 * and *bad set to 1. */
long cli_long(const struct cli *c, enum flag_id f, long def, long lo, long hi, int *bad);

/* Handlers: return the exit status. */
int cmd_version(struct cli *c);
int cmd_push(struct cli *c);
int cmd_pull(struct cli *c);
int cmd_uninstall(struct cli *c);
int cmd_inspect(struct cli *c);
int cmd_list(struct cli *c);
int cmd_tags(struct cli *c);
int cmd_run(struct cli *c);
int cmd_workflows_run(struct cli *c);
int cmd_workspace_update(struct cli *c);
int cmd_login(struct cli *c);
int cmd_logout(struct cli *c);

#endif
