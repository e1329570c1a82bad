/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fwcompile: one (port, direction) of the configuration's firewall laid
 * out as the evaluators walk it (include/xvs/fw_eval.h): the rules of its
 * sets in order, one default after them (the deciding set's, or the drop
 * after a last "next"), and for a direction without sets on a port with
 * some the other way, one implicit stateful allow. No state, no tables:
 * fwsync puts the result in a bank; the fuzzer checks it against the
 * loader's count (cfg_fw_bind_len).
 */
#ifndef XVS_FWCOMPILE_H
#define XVS_FWCOMPILE_H

#include <stdint.h>

#include "ctl/config.h"
#include "xvs/fw.h"

/* xvs_acl_rule.set of the implicit stateful "allow all" of a direction
 * without rule sets on a port that has some the other way */
#define FWC_SET_IMPLICIT 0xffffffffu

/* Lay out port cp's direction dir at r[*n...], r holding max rules; *n
 * advances. Returns the rules written (0: no firewall that way), -E2BIG
 * past max or past XVS_ACL_MAX_PER_BIND, -EINVAL for a bad direction. */
int fwc_compile_bind(const struct cfg *c, const struct cfg_port *cp, int dir,
		     struct xvs_acl_rule *r, uint32_t *n, uint32_t max);

#endif
