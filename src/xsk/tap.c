// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define TAP_BLOCK_SIZE (1u << 16)
#define TAP_NBLOCKS 16
#define TAP_FRAME_SIZE 2048 /* TPACKET_V3 frames are variable; this only sizes the ring */
#define TAP_RETIRE_MS 1 /* a partly filled block is handed over after this */

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

int tap_open(struct tap *t, int ifindex)
{
	/* accept frames whose destination MAC has the group bit:
	 *   ldb [0]; jset #1, accept, drop */
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };
	struct tpacket_req3 req = {
		.tp_block_size = TAP_BLOCK_SIZE,
		.tp_block_nr = TAP_NBLOCKS,
		.tp_frame_size = TAP_FRAME_SIZE,
		.tp_frame_nr = TAP_BLOCK_SIZE / TAP_FRAME_SIZE * TAP_NBLOCKS,
		.tp_retire_blk_tov = TAP_RETIRE_MS,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	int v = TPACKET_V3, one = 1, err;

	memset(t, 0, sizeof(*t));
	/* protocol 0: receive nothing until the filter is in place */
	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->fd < 0)
		return -errno;
	if (setsockopt(t->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		goto fail;
	t->ring_len = (size_t)TAP_BLOCK_SIZE * TAP_NBLOCKS;
	t->ring = mmap(NULL, t->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, t->fd, 0);
	if (t->ring == MAP_FAILED) {
		/* MAP_LOCKED may be refused by RLIMIT_MEMLOCK; the ring works without */
		t->ring = mmap(NULL, t->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
		if (t->ring == MAP_FAILED) {
			t->ring = NULL;
			goto fail;
		}
	}
	t->block_size = TAP_BLOCK_SIZE;
	t->nblocks = TAP_NBLOCKS;
	if (bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)))
		goto fail;
	return 0;

fail:
	err = -errno;
	tap_close(t);
	return err;
}

void tap_close(struct tap *t)
{
	if (t->ring)
		munmap(t->ring, t->ring_len);
	if (t->fd >= 0)
		close(t->fd);
	t->ring = NULL;
	t->fd = -1;
}

int tap_poll(struct tap *t, tap_fn fn, void (*end)(void *ctx), void *ctx)
{
	struct tpacket_block_desc *b;
	struct tpacket3_hdr *h;
	uint32_t i, n;

	if (t->fd < 0)
		return 0;
	b = (struct tpacket_block_desc *)(t->ring + (size_t)t->cur * t->block_size);
	/* acquire: the block's frames before its status; pairs with the
	 * kernel's barrier before it flips the status to TP_STATUS_USER */
	if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
		return 0;
	n = b->hdr.bh1.num_pkts;
	h = (struct tpacket3_hdr *)((uint8_t *)b + b->hdr.bh1.offset_to_first_pkt);
	for (i = 0; i < n; i++) {
		uint16_t vid = (h->tp_status & TP_STATUS_VLAN_VALID) ? h->hv1.tp_vlan_tci & 0xfff : 0;

		fn(ctx, (uint8_t *)h + h->tp_mac, h->tp_snaplen, vid);
		h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
	}
	end(ctx);
	t->frames += n;
	/* release: we are done reading before the kernel may reuse it */
	__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	t->cur = (t->cur + 1) % t->nblocks;
	return (int)n;
}
