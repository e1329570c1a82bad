/* SPDX-License-Identifier: GPL-2.0-only */
/* args: command-line number parsing shared by the tools (each prints its
 * own message, naming its option). */
#ifndef XVS_TOOLS_ARGS_H
#define XVS_TOOLS_ARGS_H

#include <stdint.h>

/*
 * An unsigned number in [min, max]: no sign, no trailing text, leading
 * spaces allowed; base as strtoull (0: decimal, 0x hex, 0 octal). Returns 0,
 * -EINVAL if s is not a number, -ERANGE if it is outside the range.
 */
int args_u64(const char *s, int base, uint64_t min, uint64_t max, uint64_t *out);

#endif /* XVS_TOOLS_ARGS_H */
