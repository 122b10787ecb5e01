/* main.c - argument parsing, command dispatch, error printing and exit codes */
#include "cli.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flagdef {
	const char *name; /* long name without "--" */
	char shortname;   /* 0 when none */
	int takes_value;
	const char *arg; /* value placeholder for help */
	const char *help;
};

static const struct flagdef flags[F_COUNT_] = {
    [F_WORKSPACE] = {"workspace", 'w', 1, "DIR", "workspace folder (default: current folder)"},
    [F_LOGLEVEL] = {"loglevel", 0, 1, "N",
                    "0 errors only, 1 default, 2 resolution details, 3 HTTP trace"},
    [F_REGISTRY_URL] = {"registry-url", 0, 1, "URL", "registry for references without one"},
    [F_AUTO_PULL] = {"blocks-auto-pull", 0, 0, NULL, "pull missing blocks first"},
    [F_OUTPUT] = {"output-format", 'o', 1, "FMT", "text (default) or json"},
    [F_INSECURE] = {"insecure-registry", 0, 1, "HOST[:PORT]",
                    "allow plain HTTP for this registry (repeatable)"},
    [F_FORCE] = {"force", 0, 0, NULL, "replace folders polycrate did not install"},
    [F_HELP] = {"help", 'h', 0, NULL, "show help for the command"},
    [F_CONNECT_TIMEOUT] = {"connect-timeout", 0, 1, "SECONDS", "connect timeout (default 30)"},
    [F_TIMEOUT] = {"timeout", 0, 1, "SECONDS", "idle read/write timeout (default 60)"},
    [F_DRY_RUN] = {"dry-run", 0, 0, NULL, "show what would be pushed, send nothing"},
    [F_NO_LATEST] = {"no-latest", 0, 0, NULL, "do not move the latest tag"},
    [F_GZIP_LEVEL] = {"gzip-level", 0, 1, "0-9", "layer compression level"},
    [F_PRUNE] = {"prune", 0, 0, NULL, "also remove the block's artifacts"},
    [F_REMOTE] = {"remote", 0, 0, NULL, "inspect a reference in the registry, without pulling"},
    [F_USERNAME] = {"username", 'u', 1, "USER", "user name"},
    [F_PASSWORD] = {"password", 'p', 1, "PASS", "password (prefer --password-stdin)"},
    [F_PASSWORD_STDIN] = {"password-stdin", 0, 0, NULL, "read the password from stdin"},
    [F_STEP] = {"step", 0, 1, "NAME", "run only this step"},
    [F_LOCKED] = {"locked", 0, 0, NULL, "pull exactly the digests in blocks.lock"},
    [F_JOBS] = {"jobs", 'j', 1, "N", "pulls at once (default 4)"},
    [F_MAX_ENTRIES] = {"max-entries", 0, 1, "N", "largest number of archive entries accepted"},
    [F_MAX_BYTES] = {"max-bytes", 0, 1, "N", "largest extracted size accepted, in bytes"},
};

static const enum flag_id global_flags[] = {
    F_WORKSPACE, F_LOGLEVEL, F_REGISTRY_URL, F_AUTO_PULL,       F_OUTPUT,
    F_INSECURE,  F_FORCE,    F_HELP,         F_CONNECT_TIMEOUT, F_TIMEOUT,
};
#define NGLOBAL (sizeof global_flags / sizeof global_flags[0])
#define FL(...)                                                                                    \
	(const enum flag_id[])                                                                     \
	{                                                                                          \
		__VA_ARGS__, F_COUNT_                                                              \
	}

struct command {
	const char *name;          /* canonical, words separated by one space */
	const char *alias;         /* another spelling (or NULL) */
	int (*run)(struct cli *c); /* NULL: not implemented yet */
	const char *args;
	const char *summary;
	const char *help;
	const enum flag_id *flags; /* beyond the global ones, F_COUNT_-terminated */
};

static const struct command commands[] = {
    {"blocks push", "push", cmd_push, "REF", "package a block and push it to a registry",
     "The block is the one whose block.poly name matches REF's path (or its longest\n"
     "trailing run of components). The tag is the block's version; latest moves to it\n"
     "unless a higher version exists.",
     FL(F_DRY_RUN, F_NO_LATEST, F_GZIP_LEVEL)},
    {"blocks pull", "pull", cmd_pull, "REF", "pull a block into the workspace",
     "REF is [registry/]path[:tag][@digest]; the tag defaults to latest. The block is\n"
     "installed into <workspace>/blocks/<path>/.",
     FL(F_MAX_ENTRIES, F_MAX_BYTES, F_LOCKED)},
    {"blocks uninstall", NULL, cmd_uninstall, "NAME...", "remove installed blocks", NULL,
     FL(F_PRUNE)},
    {"blocks inspect", NULL, cmd_inspect, "NAME|REF",
     "show a block (or a remote one with --remote)", NULL, FL(F_REMOTE)},
    {"blocks list", NULL, cmd_list, "", "list the workspace's blocks", NULL, FL(F_COUNT_)},
    {"blocks tags", NULL, cmd_tags, "REF", "list a repository's tags, SemVer-sorted", NULL,
     FL(F_COUNT_)},
    {"run", NULL, cmd_run, "BLOCK ACTION | WORKFLOW", "run a block's action (or a workflow)",
     "Runs the action's script lines as one /bin/sh -e script in the block's folder, or\n"
     "its playbook with ansible-playbook. Exits with the action's status.",
     FL(F_STEP, F_LOCKED)},
    {"workflows run", NULL, cmd_workflows_run, "NAME", "run a workflow's steps in order", NULL,
     FL(F_STEP, F_LOCKED)},
    {"workspace update", NULL, cmd_workspace_update, "", "install the workspace's dependencies",
     NULL, FL(F_JOBS, F_LOCKED)},
    {"login", NULL, cmd_login, "REGISTRY", "store credentials for a registry",
     "Checks the credentials against the registry, then stores them in the docker\n"
     "config (or its credsStore).",
     FL(F_USERNAME, F_PASSWORD, F_PASSWORD_STDIN)},
    {"logout", NULL, cmd_logout, "REGISTRY", "remove stored credentials for a registry", NULL,
     FL(F_COUNT_)},
    {"version", NULL, cmd_version, "", "print version and linked library versions", NULL,
     FL(F_COUNT_)},
    {"help", NULL, NULL, "[COMMAND]", "show help", NULL, FL(F_COUNT_)},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char *const exit_codes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  error\n"
    "  2  usage (bad arguments or reference)\n"
    "  3  not found (block, tag, manifest)\n"
    "  4  authentication or permission\n"
    "  5  network or TLS\n"
    "  6  conflict (version exists with other content)\n"
    "  7  integrity (digest mismatch, unsafe archive)\n"
    "Once an action has started, polycrate exits with the action's status\n"
    "(128 + signal when a signal ended it).\n";

int cli_fail(const struct err *e)
{
	fprintf(stderr, "Error: %s\n", e->msg[0] ? e->msg : "failed");
	if (e->hint[0])
		fprintf(stderr, "%s\n", e->hint);
	return err_exit_status(e->code ? e->code : ERR_FAIL);
}

int cli_failf(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

long cli_long(const struct cli *c, enum flag_id f, long def, long lo, long hi, int *bad)
{
	const char *s = c->val[f];
	char *end;
	long v;
	if (!c->set[f] || !s)
		return def;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi) {
		cli_failf(2, "--%s wants a whole number from %ld to %ld, not '%s'", flags[f].name,
		          lo, hi, s);
		*bad = 1;
		return def;
	}
	return v;
}

static int takes_flag(const struct command *cmd, enum flag_id f)
{
	for (size_t i = 0; i < NGLOBAL; i++)
		if (global_flags[i] == f)
			return 1;
	for (const enum flag_id *p = cmd->flags; *p != F_COUNT_; p++)
		if (*p == f)
			return 1;
	return 0;
}

static void print_flag(const struct flagdef *d)
{
	char left[64];
	if (d->shortname)
		snprintf(left, sizeof left, "-%c, --%s%s%s", d->shortname, d->name,
		         d->arg ? " " : "", d->arg ? d->arg : "");
	else
		snprintf(left, sizeof left, "    --%s%s%s", d->name, d->arg ? " " : "",
		         d->arg ? d->arg : "");
	printf("  %-32s %s\n", left, d->help);
}

static void usage_all(FILE *f)
{
	fprintf(f, "Usage: polycrate COMMAND [ARGS] [FLAGS]\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++) {
		char left[64];
		snprintf(left, sizeof left, "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-36s %s\n", left, commands[i].summary);
	}
	fprintf(f, "\nGlobal flags:\n");
	fflush(f);
	if (f == stdout)
		for (size_t i = 0; i < NGLOBAL; i++)
			print_flag(&flags[global_flags[i]]);
	fprintf(f, "\nRun 'polycrate help COMMAND' for a command's flags.\n");
}

static void help_command(const struct command *cmd)
{
	printf("Usage: polycrate %s%s%s [FLAGS]\n\n%s.\n", cmd->name, cmd->args[0] ? " " : "",
	       cmd->args, cmd->summary);
	if (cmd->alias)
		printf("Also: polycrate %s\n", cmd->alias);
	if (cmd->help)
		printf("\n%s\n", cmd->help);
	if (cmd->flags[0] != F_COUNT_) {
		printf("\nFlags:\n");
		for (const enum flag_id *p = cmd->flags; *p != F_COUNT_; p++)
			print_flag(&flags[*p]);
	}
	printf("\nGlobal flags:\n");
	for (size_t i = 0; i < NGLOBAL; i++)
		print_flag(&flags[global_flags[i]]);
	printf("\n%s", exit_codes);
}

__attribute__((format(printf, 2, 3))) static int usage_error(const struct command *cmd,
                                                             const char *fmt, ...)
{
	va_list ap;
	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd)
		fprintf(stderr, "Usage: polycrate %s %s [FLAGS]  (see 'polycrate %s --help')\n",
		        cmd->name, cmd->args, cmd->name);
	else
		fprintf(stderr, "Run 'polycrate help' for the list of commands.\n");
	return 2;
}

static const struct flagdef *find_long(const char *name, size_t n, enum flag_id *id)
{
	for (int i = 0; i < F_COUNT_; i++)
		if (flags[i].name && strlen(flags[i].name) == n &&
		    !strncmp(flags[i].name, name, n)) {
			*id = (enum flag_id)i;
			return &flags[i];
		}
	return NULL;
}

static const struct flagdef *find_short(char c, enum flag_id *id)
{
	for (int i = 0; i < F_COUNT_; i++)
		if (flags[i].shortname == c) {
			*id = (enum flag_id)i;
			return &flags[i];
		}
	return NULL;
}

/* Finds the command named by the leading positionals: the longest match wins. */
static const struct command *find_command(char **pos, int npos, int *used)
{
	const struct command *best = NULL;
	size_t bestw = 0;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		for (int alias = 0; alias < 2; alias++) {
			const char *name = alias ? commands[i].alias : commands[i].name;
			char tmp[64];
			size_t words = 0;
			int ok = 1;
			if (!name)
				continue;
			snprintf(tmp, sizeof tmp, "%s", name);
			for (char *w = strtok(tmp, " "); w; w = strtok(NULL, " "), words++) {
				const char *arg = (int)words < npos ? pos[words] : NULL;
				/* "block" is an alias of the word "blocks" */
				if (!arg || (strcmp(arg, w) &&
				             !(!strcmp(w, "blocks") && !strcmp(arg, "block")))) {
					ok = 0;
					break;
				}
			}
			if (ok && words > bestw) {
				best = &commands[i];
				bestw = words;
			}
		}
	}
	*used = (int)bestw;
	return best;
}

int main(int argc, char **argv)
{
	static struct cli c;
	static char *pos[256];
	enum flag_id ids[256];
	const char *vals[256];
	int nflags = 0, npos = 0, used = 0, bad = 0;
	const struct command *cmd;

	/* Pass 1: split flags from positionals; the program's one flag table says which
	 * flags take a value, so flags may stand anywhere. */
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const struct flagdef *d = NULL;
		enum flag_id id = F_COUNT_;
		const char *val = NULL;
		if (!strcmp(a, "--")) {
			while (++i < argc && npos < 256)
				pos[npos++] = argv[i];
			break;
		}
		if (a[0] == '-' && a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			d = find_long(a + 2, n, &id);
			if (!d)
				return usage_error(NULL, "unknown flag '%s'", a);
			if (eq && !d->takes_value)
				return usage_error(NULL, "flag '%s' takes no value", a);
			if (eq)
				val = eq + 1;
		} else if (a[0] == '-' && a[1] && !a[2]) {
			d = find_short(a[1], &id);
			if (!d)
				return usage_error(NULL, "unknown flag '%s'", a);
		} else if (a[0] == '-' && a[1] && a[2]) {
			/* -ojson, -w/dir: value glued to a short flag */
			d = find_short(a[1], &id);
			if (!d || !d->takes_value)
				return usage_error(NULL, "unknown flag '%s'", a);
			val = a + 2;
		} else {
			if (npos >= 256)
				return usage_error(NULL, "too many arguments%s", "");
			pos[npos++] = a;
			continue;
		}
		if (d->takes_value && !val) {
			if (i + 1 >= argc)
				return usage_error(NULL, "flag '%s' needs a value", a);
			val = argv[++i];
		}
		if (nflags >= 256)
			return usage_error(NULL, "too many flags%s", "");
		ids[nflags] = id;
		vals[nflags++] = val;
	}

	if (npos == 0) {
		for (int i = 0; i < nflags; i++)
			if (ids[i] == F_HELP) {
				usage_all(stdout);
				printf("\n%s", exit_codes);
				return 0;
			}
		usage_all(stderr);
		return 2;
	}
	cmd = find_command(pos, npos, &used);
	if (!cmd) {
		if (!strcmp(pos[0], "blocks") || !strcmp(pos[0], "block") ||
		    !strcmp(pos[0], "workflows") || !strcmp(pos[0], "workspace"))
			return usage_error(
			    NULL, npos > 1 ? "unknown command '%s'" : "'%s' needs a subcommand",
			    npos > 1 ? pos[1] : pos[0]);
		return usage_error(NULL, "unknown command '%s'", pos[0]);
	}

	c.command = cmd->name;
	c.argc = npos - used;
	c.argv = pos + used;
	for (int i = 0; i < nflags; i++) {
		if (!takes_flag(cmd, ids[i])) {
			char name[64];
			snprintf(name, sizeof name, "--%s", flags[ids[i]].name);
			return usage_error(cmd, "flag '%s' is not known to this command", name);
		}
		c.set[ids[i]]++;
		c.val[ids[i]] = vals[i];
		if (ids[i] == F_INSECURE) {
			if (c.nmulti >= CLI_MAX_MULTI)
				return usage_error(cmd, "too many %s flags", "--insecure-registry");
			c.multi[c.nmulti++] = vals[i];
		}
	}
	if (c.set[F_HELP] || !strcmp(cmd->name, "help")) {
		const struct command *target = cmd;
		if (!strcmp(cmd->name, "help")) {
			if (c.argc == 0) {
				usage_all(stdout);
				printf("\n%s", exit_codes);
				return 0;
			}
			target = find_command(c.argv, c.argc, &used);
			if (!target || used != c.argc)
				return usage_error(NULL, "no help for '%s': unknown command",
				                   c.argv[0]);
		}
		help_command(target);
		return 0;
	}
	log_level = (int)cli_long(&c, F_LOGLEVEL, 1, 0, 3, &bad);
	if (c.set[F_OUTPUT]) {
		if (!strcmp(c.val[F_OUTPUT], "json"))
			c.json = 1;
		else if (strcmp(c.val[F_OUTPUT], "text"))
			return usage_error(cmd, "output format '%s' is not known (text or json)",
			                   c.val[F_OUTPUT]);
	}
	if (bad)
		return 2;
	if (!cmd->run) {
		fprintf(stderr, "Error: '%s' is not implemented yet\n", cmd->name);
		return 1;
	}
	return cmd->run(&c);
}
