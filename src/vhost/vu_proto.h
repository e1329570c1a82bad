/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The vhost-user protocol on the wire (QEMU docs/interop/vhost-user.rst):
 * shared by the backend (src/vhost) and the frontend test tool
 * (tools/xvs-vufront). Ring layouts and feature bits come from the kernel
 * UAPI (linux/virtio_*.h); only vhost-user's own framing is defined here.
 */
#ifndef XVS_VU_PROTO_H
#define XVS_VU_PROTO_H

#include <linux/types.h>

/* X(name, number, carries fds) — front-end → back-end requests. */
#define VU_REQUESTS(X)                                                          \
	X(GET_FEATURES, 1, 0)                                                  \
	X(SET_FEATURES, 2, 0)                                                  \
	X(SET_OWNER, 3, 0)                                                     \
	X(RESET_OWNER, 4, 0)                                                   \
	X(SET_MEM_TABLE, 5, 1)                                                 \
	X(SET_LOG_BASE, 6, 1)                                                  \
	X(SET_LOG_FD, 7, 1)                                                    \
	X(SET_VRING_NUM, 8, 0)                                                 \
	X(SET_VRING_ADDR, 9, 0)                                                \
	X(SET_VRING_BASE, 10, 0)                                               \
	X(GET_VRING_BASE, 11, 0)                                               \
	X(SET_VRING_KICK, 12, 1)                                               \
	X(SET_VRING_CALL, 13, 1)                                               \
	X(SET_VRING_ERR, 14, 1)                                                \
	X(GET_PROTOCOL_FEATURES, 15, 0)                                        \
	X(SET_PROTOCOL_FEATURES, 16, 0)                                        \
	X(GET_QUEUE_NUM, 17, 0)                                                \
	X(SET_VRING_ENABLE, 18, 0)                                             \
	X(SEND_RARP, 19, 0)                                                    \
	X(NET_SET_MTU, 20, 0)                                                  \
	X(SET_BACKEND_REQ_FD, 21, 1)                                           \
	X(IOTLB_MSG, 22, 0)                                                    \
	X(SET_VRING_ENDIAN, 23, 0)                                             \
	X(GET_CONFIG, 24, 0)                                                   \
	X(SET_CONFIG, 25, 0)                                                   \
	X(POSTCOPY_ADVISE, 28, 0)                                              \
	X(POSTCOPY_LISTEN, 29, 0)                                              \
	X(POSTCOPY_END, 30, 0)                                                 \
	X(GET_INFLIGHT_FD, 31, 0)                                              \
	X(SET_INFLIGHT_FD, 32, 1)                                              \
	X(RESET_DEVICE, 34, 0)                                                 \
	X(VRING_KICK, 35, 0)                                                   \
	X(GET_MAX_MEM_SLOTS, 36, 0)                                            \
	X(ADD_MEM_REG, 37, 1)                                                  \
	X(REM_MEM_REG, 38, 0)                                                  \
	X(SET_STATUS, 39, 0)                                                   \
	X(GET_STATUS, 40, 0)

enum vu_request {
#define VU_X(name, num, fds) VU_REQ_##name = num,
	VU_REQUESTS(VU_X)
#undef VU_X
	VU_REQ_MAX = 64,
};

/* Header flags. */
#define VU_VERSION 0x1
#define VU_VERSION_MASK 0x3
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

/* Virtio feature bit that announces protocol features. */
#define VU_F_PROTOCOL_FEATURES 30
#define VU_F_LOG_ALL 26 /* VHOST_F_LOG_ALL: log every write into guest memory */
#define VU_VRING_F_LOG 1 /* vu_vring_addr.flags: log the used ring's writes too */

/* Protocol feature bits. */
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_LOG_SHMFD 1
#define VU_PROTOCOL_F_RARP 2
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_NET_MTU 4
#define VU_PROTOCOL_F_BACKEND_REQ 5
#define VU_PROTOCOL_F_CONFIG 9
#define VU_PROTOCOL_F_INFLIGHT_SHMFD 12
#define VU_PROTOCOL_F_RESET_DEVICE 13
#define VU_PROTOCOL_F_CONFIGURE_MEM_SLOTS 15
#define VU_PROTOCOL_F_STATUS 16

/* SET_VRING_KICK/CALL/ERR payload: queue index, and "no fd" flag. */
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD_MASK (1u << 8)

#define VU_MAX_MEM_REGIONS 8 /* fds one SET_MEM_TABLE may carry */
#define VU_MAX_FDS 8
#define VU_MAX_QUEUE_PAIRS 8
#define VU_MAX_VRINGS (2 * VU_MAX_QUEUE_PAIRS)
#define VU_MAX_RING_SIZE 32768 /* virtio: Queue Size ≤ 32768 */

struct vu_hdr {
	__u32 request;
	__u32 flags;
	__u32 size; /* payload bytes after this header */
};

struct vu_vring_state {
	__u32 index;
	__u32 num;
};

struct vu_vring_addr {
	__u32 index;
	__u32 flags; /* bit 0: VHOST_VRING_F_LOG */
	__u64 desc_user_addr; /* front-end virtual addresses */
	__u64 used_user_addr;
	__u64 avail_user_addr;
	__u64 log_guest_addr;
};

struct vu_mem_region {
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr; /* front-end virtual address */
	__u64 mmap_offset; /* into the fd */
};

struct vu_mem_table {
	__u32 nregions;
	__u32 padding;
	struct vu_mem_region regions[VU_MAX_MEM_REGIONS];
};

/* ADD_MEM_REG / REM_MEM_REG */
struct vu_mem_single {
	__u64 padding;
	struct vu_mem_region region;
};

/* SET_LOG_BASE (with VU_PROTOCOL_F_LOG_SHMFD): where the log lies in its fd */
struct vu_log_area {
	__u64 mmap_size;
	__u64 mmap_offset;
};

/* GET_INFLIGHT_FD / SET_INFLIGHT_FD (with VU_PROTOCOL_F_INFLIGHT_SHMFD):
 * the in-flight region's size and place in its fd, for num_queues vrings
 * of queue_size entries (the region's layout: vhost/vu_inflight.h) */
struct vu_inflight_area {
	__u64 mmap_size;
	__u64 mmap_offset;
	__u16 num_queues;
	__u16 queue_size;
	__u32 padding; /* QEMU's struct ends with this hole: 24 bytes */
};

union vu_payload {
	__u64 u64;
	struct vu_inflight_area inflight;
	struct vu_log_area log;
	struct vu_vring_state state;
	struct vu_vring_addr addr;
	struct vu_mem_table mem;
	struct vu_mem_single mem_single;
	__u8 bytes[256 + 12]; /* GET/SET_CONFIG: offset, size, flags, data */
};

struct vu_msg {
	struct vu_hdr hdr;
	union vu_payload p;
} __attribute__((packed));

#define VU_HDR_SIZE sizeof(struct vu_hdr)
#define VU_PAYLOAD_MAX sizeof(union vu_payload)

_Static_assert(sizeof(struct vu_hdr) == 12, "vhost-user header is 12 bytes");
_Static_assert(sizeof(struct vu_vring_addr) == 40, "vring addr layout");
_Static_assert(sizeof(struct vu_mem_region) == 32, "memory region layout");
_Static_assert(sizeof(struct vu_inflight_area) == 24, "inflight area layout");
_Static_assert(sizeof(struct vu_mem_table) == 8 + 8 * 32, "memory table layout");

/* Name of a request for logs; "unknown" for numbers outside the table. */
const char *vu_request_name(__u32 req);

#endif /* XVS_VU_PROTO_H */
