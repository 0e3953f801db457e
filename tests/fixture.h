/*
 * tests/fixture.h - what the cable, envelope and enrolment tests build
 * alike: fixed keys, a cable's recipient list, and the "replace a string,
 * re-sign, decode" step of their mutation tests; and the enrolled denpo
 * device that the test tools (tool_flood, tool_drain) drive through
 * libdenpo's client.  Test data (which posts, which values) stays in each
 * test; only the mechanics live here.
 */
#ifndef DENPO_TEST_FIXTURE_H
#define DENPO_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "denpo/buf.h"
#include "denpo/cable.h"
#include "denpo/client.h"
#include "denpo/enrol.h"
#include "denpo/keystore.h"

/* The Ed25519 key pair of the seed base, base + 1, ..., base + 31; sk may be NULL. */
void fx_seed_key(uint8_t base, uint8_t pk[32], uint8_t sk[64]);

/*
 * Give c n recipients (aborts on error): recipient i has the device
 * (i >> 8, i, 0, ..., 0) and key type 1 (X25519), then fill(&r, i) sets
 * what else the test wants (epoch, role, other device bytes) before
 * dp_cable_set_recipients sorts them.
 */
void fx_set_recipients(dp_cable *c, size_t n, void (*fill)(dp_recipient *r, size_t i));

/*
 * out (made here with room for cap bytes) = p[0..n) with the first
 * occurrence of old replaced by new.  -1, with a message on stderr and out
 * not made, if old is not there; 0 otherwise.
 */
int fx_replace(dp_buf *out, size_t cap, const uint8_t *p, size_t n, const char *old,
	       const char *new);

/*
 * The enrolled denpo device in home (`denpo init` + `denpo enrol`): its
 * keystore.age opened with $DENPO_PASSPHRASE into *ks (dp_keystore_free),
 * its answer.txt into *ans, and cfg set for dp_client_new (it points into
 * *ans and *ks, which must outlive it; 2 s to connect, 10 s a request).
 * Like denpo, the first request goes to the address in HOME/switch when
 * the answer lists it (scripts/failover-drill spreads its devices so).
 * Prints what failed, as tool, and returns its code.
 */
int fx_device_open(const char *tool, const char *home, dp_keystore **ks, dp_enrol_answer *ans,
		   dp_client_config *cfg);

#endif
