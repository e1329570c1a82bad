// SPDX-License-Identifier: GPL-2.0-only
#include "vhost/vu_proto.h"

const char *vu_request_name(__u32 req)
{
	switch (req) {
#define VU_X(name, num, fds)                                                   \
	case num:                                                              \
		return #name;
		VU_REQUESTS(VU_X)
#undef VU_X
	default:
		return "unknown";
	}
}
