/* credstore.h - docker's credential sources: config.json auths, credential helpers, auth files */
#ifndef POLYCRATE_CREDSTORE_H
#define POLYCRATE_CREDSTORE_H

#include <stddef.h>

#include "auth.h"
#include "err.h"

struct buf;

#define CREDSTORE_FILE_MAX (4u * 1024 * 1024) /* one config.json / auth.json */
#define CREDSTORE_KEY_MAX 512                 /* an auths key / a helper's server URL */
#define CREDSTORE_PATH_MAX 4096
#define CREDSTORE_HELPER_NAME_MAX 64      /* the <name> of docker-credential-<name> */
#define CREDSTORE_HELPER_OUT_MAX 65536    /* a helper's stdout (and stderr) */
#define CREDSTORE_HELPER_TIMEOUT_MS 30000 /* a helper that takes longer is killed */

/* Docker Hub's key in auths and for helpers. */
#define CREDSTORE_HUB_KEY "https://index.docker.io/v1/"

/* The key docker uses for registry (host[:port]): CREDSTORE_HUB_KEY for docker.io,
 * index.docker.io and registry-1.docker.io, else registry lowercased. Always
 * NUL-terminates. */
void credstore_key(const char *registry, char *out, size_t n);

/*
 * The auth_lookup_fn of auth.h (arg unused): the sources of DESIGN.md §1.4 in order -
 * $DOCKER_CONFIG/config.json or ~/.docker/config.json (credHelpers[registry], then the
 * credsStore, then auths), $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json.
 * 1 with *out filled, 0 when none has credentials, or an error: a broken file (ERR_FAIL
 * naming it) or a failing helper (its own message). Missing files and no HOME are no
 * errors. On error or 0, *out is zeroed.
 */
int credstore_lookup(void *arg, const char *registry, struct auth_creds *out, struct err *e);

/* The docker config file login writes: $DOCKER_CONFIG/config.json, else
 * $HOME/.docker/config.json. ERR_FAIL when neither variable is set. */
int credstore_config_path(char *out, size_t n, struct err *e);

/*
 * Stores c for registry (login): through the config's credsStore (or credHelpers entry)
 * with `store`, else in auths of the config file, written atomically with mode 0600,
 * every other member and entry kept as it was. where (wn bytes) gets the file or helper
 * used, for the message. 0 or an ERR_ code (the file untouched).
 */
int credstore_store(const char *registry, const struct auth_creds *c, char *where, size_t wn,
                    struct err *e);

/* Removes registry's credentials (every key form in auths; `erase` through a helper).
 * 1 removed, 0 nothing was stored, or an ERR_ code. */
int credstore_erase(const char *registry, struct err *e);

/*
 * Runs docker-credential-<name> <action> from PATH (fork/exec, no shell) with input on
 * stdin, and collects its stdout into out (at most CREDSTORE_HELPER_OUT_MAX bytes).
 * Returns the exit status (0..255), or an ERR_ code: not found, killed after
 * CREDSTORE_HELPER_TIMEOUT_MS (timeout_ms when > 0), too much output.
 */
int credstore_helper_run(const char *name, const char *action, const char *input, struct buf *out,
                         int timeout_ms, struct err *e);

#endif
