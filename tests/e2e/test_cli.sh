#!/bin/bash
# test_cli.sh - the command line: version, help, flags anywhere, usage errors and exit codes
. "$(dirname "$0")/../lib.sh"
t_init cli
P=$POLYCRATE

t_rc 0 "version" "$P" version
t_contains "version names polycrate" "$T_STDOUT" "polycrate 0.1.0"
t_contains "version names BearSSL" "$T_STDOUT" "BearSSL 0.6"
t_contains "version names libyaml" "$T_STDOUT" "libyaml 0.2.5"
t_contains "version names zlib" "$T_STDOUT" "zlib 1.2.13"
t_rc 0 "version -o json" "$P" version -o json
t_check "version json parses" "$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["bearssl"]=="0.6"' "$T_STDOUT"
t_rc 0 "version --output-format=json" "$P" --output-format=json version
t_contains "flag before the command" "$T_STDOUT" '"zlib":"1.2.13"'
t_rc 0 "-ojson glued" "$P" version -ojson
t_contains "glued short value" "$T_STDOUT" '"version"'
t_rc 2 "version with an argument" "$P" version extra

t_rc 0 "help" "$P" help
t_contains "help lists commands" "$T_STDOUT" "blocks push"
t_contains "help lists exit codes" "$T_STDOUT" "7  integrity"
t_rc 0 "--help alone" "$P" --help
t_contains "--help lists commands" "$T_STDOUT" "blocks pull"
t_rc 2 "no arguments" "$P"
t_contains "no arguments prints usage" "$T_STDERR" "Usage: polycrate"

# every command has --help, and help CMD says the same
while read -r cmd; do
	# shellcheck disable=SC2086
	t_rc 0 "$cmd --help" "$P" $cmd --help
	t_contains "$cmd --help usage" "$T_STDOUT" "Usage: polycrate $cmd"
	t_contains "$cmd --help exit codes" "$T_STDOUT" "Exit codes:"
	# shellcheck disable=SC2086
	t_rc 0 "help $cmd" "$P" help $cmd
done <<'CMDS'
blocks push
blocks pull
blocks uninstall
blocks inspect
blocks list
blocks tags
run
workflows run
workspace update
login
logout
version
CMDS

t_rc 0 "block alias" "$P" block push --help
t_contains "block alias is blocks" "$T_STDOUT" "Usage: polycrate blocks push"
t_rc 0 "top-level pull alias" "$P" pull --help
t_contains "pull alias" "$T_STDOUT" "Usage: polycrate blocks pull"
t_rc 0 "help text flags after --help" "$P" --help blocks pull
t_contains "flag anywhere for help" "$T_STDOUT" "blocks pull"

t_rc 2 "unknown command" "$P" frobnicate
t_contains "unknown command named" "$T_STDERR" "unknown command 'frobnicate'"
t_contains "unknown command hint" "$T_STDERR" "polycrate help"
t_rc 2 "unknown subcommand" "$P" blocks frobnicate
t_contains "unknown subcommand named" "$T_STDERR" "'frobnicate'"
t_rc 2 "bare blocks" "$P" blocks
t_rc 2 "unknown flag" "$P" version --frob
t_contains "unknown flag named" "$T_STDERR" "unknown flag '--frob'"
t_rc 2 "flag of another command" "$P" version --dry-run
t_contains "foreign flag" "$T_STDERR" "not known to this command"
t_rc 2 "missing value" "$P" version --loglevel
t_contains "missing value named" "$T_STDERR" "needs a value"
t_rc 2 "bad loglevel" "$P" version --loglevel 9
t_rc 2 "bad loglevel text" "$P" version --loglevel=x
t_rc 2 "switch with value" "$P" version --force=yes
t_rc 2 "bad output format" "$P" version -o yaml
t_rc 0 "-- ends options" "$P" help -- version
t_rc 2 "help of unknown" "$P" help nothing
t_done
