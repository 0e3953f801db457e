#!/usr/bin/env bash
# it_e2e_pg.sh - tests/it_e2e.sh with its switch on PostgreSQL
# (DENPO_TEST_STORE=postgresql, docs/several-switches.md): the whole cable
# path, the directory, containment and the log through the real programs,
# the state in a database of its own on the suite's cluster.  In the normal
# build only (the ASan build runs it_e2e on SQLite, and the PostgreSQL code
# under ASan in test_denpod_store, it_instances, it_migrate and the drill).
# [uses DENPO_TEST_PG]
. "$(dirname "$0")/lib.sh"
case $BUILD in
*asan*)
	skip "it_e2e on PostgreSQL runs in the normal build (the ASan build: it_e2e on SQLite)"
	t_done it_e2e_pg
	exit 0
	;;
esac
DENPO_TEST_STORE=postgresql exec bash "$(dirname "$0")/it_e2e.sh"
