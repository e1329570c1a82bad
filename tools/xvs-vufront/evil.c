// SPDX-License-Identifier: GPL-2.0-only
/*
 * Deliberate misbehaviour, one mode per run, to see how a back-end copes:
 *
 *	setup modes  replace one message of the normal setup (vring 0 where
 *	             a vring is concerned); the setup then goes on as usual
 *	msg modes    one bad message after a complete setup
 *	data modes   bad descriptors or ring indexes on TX vring 1 (RX vring
 *	             0 for rx-desc-readonly) after a complete setup, then a
 *	             kick whatever the back-end's suppression flags say
 *
 * Then the socket is watched for --evil-wait ms and a GET_FEATURES round
 * trip probes the back-end. One line reports it:
 *
 *	evil=MODE backend=alive|disconnected probe=ok|eof|timeout|error
 *	ack=N|none|reply|eof|timeout tx_used=N rx_used=N setup_nacks=N
 *	[variant=...]
 *
 * ack is the back-end's answer to the bad message: the REPLY_ACK value,
 * "reply" for a request with a reply body, none when no reply was asked
 * for (REPLY_ACK not negotiated), eof or timeout; "-" when no bad message
 * was sent (data modes, or the run ended before). tx_used/rx_used how many used entries
 * it returned on vring 1/0, setup_nacks how many setup messages it
 * refused.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ctl/log.h"
#include "vufront.h"

#define VF_EVIL_REQ_UNKNOWN 99
#define VF_EVIL_BAD_VRING 200
#define VF_EVIL_OOB_GAP (1ull << 20) /* beyond the end of guest memory */
#define VF_EVIL_RX_FRAMES 32
#define VF_PROBE_WAIT_MS 1000

static const struct {
	const char *name;
	int kind;
	const char *help;
} evil_tab[] = {
#define VF_X(e, n, k, h) [VF_EVIL_##e] = { n, k, h },
	VF_EVIL_MODES(VF_X)
#undef VF_X
};

int vf_evil_parse(const char *s)
{
	unsigned int i;

	for (i = 1; i < sizeof(evil_tab) / sizeof(evil_tab[0]); i++)
		if (!strcmp(s, evil_tab[i].name))
			return (int)i;
	return -EINVAL;
}

const char *vf_evil_name(enum vf_evil e)
{
	return evil_tab[e].name;
}

void vf_evil_help(FILE *out)
{
	static const char *const kinds[] = { "", "setup", "message", "data" };
	unsigned int i;

	for (i = 1; i < sizeof(evil_tab) / sizeof(evil_tab[0]); i++)
		fprintf(out, "  %-20s %-7s %s\n", evil_tab[i].name, kinds[evil_tab[i].kind],
			evil_tab[i].help);
}

static uint32_t need_reply(const struct vf_dev *d)
{
	return d->reply_ack ? VU_FLAG_NEED_REPLY : 0;
}

/* Record what the back-end answered to the bad message. */
static void ack_wait(struct vf_dev *d, uint32_t req, bool wanted)
{
	struct vu_msg m;
	int err;

	if (!wanted) {
		snprintf(d->evil_ack, sizeof(d->evil_ack), "none");
		return;
	}
	err = vf_reply_wait(d, req, &m, (int)d->o->evil_wait_ms);
	if (err)
		snprintf(d->evil_ack, sizeof(d->evil_ack), "%s",
			 d->disconnected ? "eof" : err == -ETIMEDOUT ? "timeout" : "error");
	else if (m.hdr.size == sizeof(__u64) && req != VU_REQ_GET_FEATURES)
		snprintf(d->evil_ack, sizeof(d->evil_ack), "%llu", (unsigned long long)m.p.u64);
	else
		snprintf(d->evil_ack, sizeof(d->evil_ack), "reply");
}

/* SET_MEM_TABLE with n entries (slices of our memory) and nfds fds. */
static int bad_mem_table(struct vf_dev *d, unsigned int n, unsigned int nfds)
{
	struct vu_hdr h = { .request = VU_REQ_SET_MEM_TABLE, .flags = VU_VERSION | need_reply(d) };
	uint32_t head[2] = { n, 0 }; /* nregions, padding */
	uint64_t slice = d->mem.size / n / 4096 * 4096;
	uint8_t buf[sizeof(h) + sizeof(head) +
		    (VU_MAX_MEM_REGIONS + 1) * sizeof(struct vu_mem_region)];
	int fds[VU_MAX_FDS];
	unsigned int i;
	int err;

	if (n > VU_MAX_MEM_REGIONS + 1 || nfds > VU_MAX_FDS)
		return -EINVAL;
	h.size = (uint32_t)(sizeof(head) + n * sizeof(struct vu_mem_region));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), head, sizeof(head));
	for (i = 0; i < n; i++) {
		struct vu_mem_region r = { .guest_phys_addr = i * slice,
					   .memory_size = slice,
					   .userspace_addr = (uintptr_t)d->mem.base + i * slice,
					   .mmap_offset = i * slice };

		memcpy(buf + sizeof(h) + sizeof(head) + i * sizeof(r), &r, sizeof(r));
	}
	for (i = 0; i < nfds; i++)
		fds[i] = d->mem.fd;
	err = vf_send_raw(d, buf, sizeof(h) + h.size, fds, nfds);
	if (!err)
		ack_wait(d, VU_REQ_SET_MEM_TABLE, need_reply(d));
	return err;
}

static int evil_req(struct vf_dev *d, uint32_t req, uint32_t flags, const void *p, uint32_t size)
{
	int err = vf_msg_send(d, req, flags, p, size, NULL, 0);

	if (!err)
		ack_wait(d, req, flags & VU_FLAG_NEED_REPLY);
	return err;
}

int vf_evil_setup_hook(struct vf_dev *d, uint32_t req, unsigned int vring)
{
	enum vf_evil e = d->o->evil;
	struct vu_vring_state s = { .index = vring };
	struct vu_vring_addr a = { .index = vring };
	uintptr_t end = (uintptr_t)d->mem.base + d->mem.size;
	int err;

	if (req == VU_REQ_SET_MEM_TABLE && e == VF_EVIL_TOO_MANY_REGIONS)
		err = bad_mem_table(d, VU_MAX_MEM_REGIONS + 1, VU_MAX_MEM_REGIONS);
	else if (req == VU_REQ_SET_MEM_TABLE && e == VF_EVIL_REGION_FD_COUNT)
		err = bad_mem_table(d, 2, 1);
	else if (req == VU_REQ_SET_VRING_NUM && !vring &&
		 (e == VF_EVIL_RING_SIZE_NOT_POW2 || e == VF_EVIL_RING_SIZE_HUGE)) {
		s.num = e == VF_EVIL_RING_SIZE_HUGE ? 65536 : 1000;
		err = evil_req(d, req, need_reply(d), &s, sizeof(s));
	} else if (req == VU_REQ_SET_VRING_ADDR && !vring && e == VF_EVIL_RING_ADDR_OOB) {
		/* Just past our mapping: no region's userspace_addr covers it. */
		a.desc_user_addr = end + VF_EVIL_OOB_GAP;
		a.avail_user_addr = end + 2 * VF_EVIL_OOB_GAP;
		a.used_user_addr = end + 3 * VF_EVIL_OOB_GAP;
		err = evil_req(d, req, need_reply(d), &a, sizeof(a));
	} else {
		return 0;
	}
	return err ? err : 1;
}

static int evil_msg(struct vf_dev *d)
{
	struct vu_vring_state s = { .index = 0, .num = d->o->ring_size };
	struct {
		struct vu_hdr h;
		uint8_t p[4096];
	} raw;
	int efd, err;

	memset(&raw, 0, sizeof(raw));
	raw.h.request = VU_REQ_SET_VRING_NUM;
	raw.h.flags = VU_VERSION | need_reply(d);
	switch (d->o->evil) {
	case VF_EVIL_BAD_MSG_SIZE:
		raw.h.size = 4; /* only the index */
		err = vf_send_raw(d, &raw, sizeof(raw.h) + 4, NULL, 0);
		break;
	case VF_EVIL_OVERSIZED_MSG:
		raw.h.size = sizeof(raw.p);
		memcpy(raw.p, &s, sizeof(s));
		err = vf_send_raw(d, &raw, sizeof(raw), NULL, 0);
		break;
	case VF_EVIL_STRAY_FDS:
		efd = eventfd(0, EFD_CLOEXEC);
		if (efd < 0)
			return -errno;
		err = vf_msg_send(d, VU_REQ_GET_FEATURES, 0, NULL, 0, &efd, 1);
		close(efd);
		if (!err)
			ack_wait(d, VU_REQ_GET_FEATURES, true);
		return err;
	case VF_EVIL_BAD_QUEUE_INDEX:
		s.index = VF_EVIL_BAD_VRING;
		return evil_req(d, VU_REQ_SET_VRING_NUM, need_reply(d), &s, sizeof(s));
	case VF_EVIL_UNKNOWN_REQUEST:
		/* NEED_REPLY whether REPLY_ACK was negotiated or not. */
		return evil_req(d, VF_EVIL_REQ_UNKNOWN, VU_FLAG_NEED_REPLY, NULL, 0);
	default:
		return -EINVAL;
	}
	if (!err)
		ack_wait(d, VU_REQ_SET_VRING_NUM, need_reply(d));
	return err;
}

/* A well-formed single descriptor for frame 0 of TX slot 0. */
static struct vring_desc good_desc(struct vf_dev *d, struct vf_txq *tx)
{
	struct vf_slot *sl = &tx->slots[0];
	uint32_t len = vf_tx_fill(d, tx, 0, 0);
	uint8_t *hdr = sl->frame - d->hdr_len; /* the slot has room before */

	memset(hdr, 0, d->hdr_len);
	return (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, hdr), .len = d->hdr_len + len };
}

/* A 2-entry table: header, frame 0. */
static struct vring_desc *good_table(struct vf_dev *d, struct vf_txq *tx)
{
	struct vring_desc *t = vf_mem_alloc(&d->mem, 2 * sizeof(*t), 16);
	struct vf_slot *sl = &tx->slots[0];
	uint32_t len;

	if (!t)
		return NULL;
	len = vf_tx_fill(d, tx, 0, 0);
	t[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, sl->hdr),
				    .len = d->hdr_len,
				    .flags = VRING_DESC_F_NEXT,
				    .next = 1 };
	t[1] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, sl->frame), .len = len };
	return t;
}

static int evil_data(struct vf_dev *d, const char **variant)
{
	struct vf_txq *tx = &d->qp[0].tx;
	struct vf_vq *vq = &tx->vq;
	uint64_t end = vf_mem_gpa_end(&d->mem);
	struct vring_desc *desc = vq->desc, *t, *t2;
	unsigned int i, n;

	switch (d->o->evil) {
	case VF_EVIL_DESC_OOB:
		desc[0] = good_desc(d, tx);
		desc[0].addr = end + VF_EVIL_OOB_GAP;
		break;
	case VF_EVIL_DESC_LEN_OOB:
		desc[0] = (struct vring_desc){ .addr = end - 32, .len = 4096 };
		break;
	case VF_EVIL_DESC_LOOP:
		desc[0] = good_desc(d, tx);
		desc[0].flags = VRING_DESC_F_NEXT;
		desc[0].next = 0;
		break;
	case VF_EVIL_CHAIN_TOO_LONG:
		n = vq->num + 1;
		t = d->indirect ? vf_mem_alloc(&d->mem, n * sizeof(*t), 16) : NULL;
		if (t) {
			/* Header, then ring-size 16-byte pieces of frame 0. */
			t2 = good_table(d, tx);
			if (!t2)
				return -ENOMEM;
			t[0] = t2[0];
			for (i = 1; i < n; i++)
				t[i] = (struct vring_desc){ .addr = t2[1].addr, .len = 16 };
			for (i = 0; i + 1 < n; i++) {
				t[i].flags = VRING_DESC_F_NEXT;
				t[i].next = (uint16_t)(i + 1);
			}
			desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
						       .len = n * sizeof(*t),
						       .flags = VRING_DESC_F_INDIRECT };
			*variant = "indirect";
		} else {
			/* Through next pointers a chain longer than the ring
			 * must revisit a descriptor: every one, then 0 again. */
			struct vring_desc g = good_desc(d, tx);

			for (i = 0; i < vq->num; i++) {
				desc[i] = (struct vring_desc){ .addr = g.addr, .len = 16 };
				desc[i].flags = VRING_DESC_F_NEXT;
				desc[i].next = (uint16_t)((i + 1) % vq->num);
			}
			*variant = "direct-cycle";
		}
		break;
	case VF_EVIL_INDIRECT_OOB:
		desc[0] = (struct vring_desc){ .addr = end + VF_EVIL_OOB_GAP,
					       .len = 2 * sizeof(struct vring_desc),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_INDIRECT_BAD_LEN:
	case VF_EVIL_INDIRECT_LEN_ZERO:
		t = good_table(d, tx);
		if (!t)
			return -ENOMEM;
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
					       .flags = VRING_DESC_F_INDIRECT };
		desc[0].len = d->o->evil == VF_EVIL_INDIRECT_BAD_LEN ? 20 : 0;
		break;
	case VF_EVIL_INDIRECT_NESTED:
		t = vf_mem_alloc(&d->mem, sizeof(*t), 16);
		t2 = good_table(d, tx);
		if (!t || !t2)
			return -ENOMEM;
		t[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t2),
					    .len = 2 * sizeof(*t2),
					    .flags = VRING_DESC_F_INDIRECT };
		desc[0] = (struct vring_desc){ .addr = vf_mem_gpa(&d->mem, t),
					       .len = sizeof(*t),
					       .flags = VRING_DESC_F_INDIRECT };
		break;
	case VF_EVIL_AVAIL_IDX_JUMP:
		desc[0] = good_desc(d, tx);
		vq->avail_idx = (uint16_t)(vq->avail_idx + vq->num + 10);
		goto publish;
	case VF_EVIL_AVAIL_RING_OOB:
		desc[0] = good_desc(d, tx);
		vf_vq_add(vq, (uint16_t)(vq->num + 3));
		goto publish;
	case VF_EVIL_TX_DESC_WRITEONLY:
		desc[0] = good_desc(d, tx);
		desc[0].flags = VRING_DESC_F_WRITE;
		break;
	case VF_EVIL_RX_DESC_READONLY:
		/* The RX buffers went out read-only (traffic.c); send frames a
		 * looping back-end would deliver into them. */
		n = tx->nslots < VF_EVIL_RX_FRAMES ? tx->nslots : VF_EVIL_RX_FRAMES;
		for (i = 0; i < n; i++) {
			vf_tx_set_len(d, tx, i, vf_tx_fill(d, tx, i, i));
			vf_vq_add(vq, (uint16_t)(i * tx->dps));
		}
		goto publish;
	default:
		return -EINVAL;
	}
	vf_vq_add(vq, 0);
publish:
	vf_vq_publish(vq);
	vf_vq_kick(vq); /* whatever NO_NOTIFY / avail_event said */
	return 0;
}

/* Watch the socket for ms milliseconds or until it closes. */
static void watch(struct vf_dev *d, unsigned int ms)
{
	uint64_t end = vf_now_ns() + (uint64_t)ms * 1000000, now;
	struct pollfd pfd = { .fd = d->sock, .events = POLLIN };

	while (!d->disconnected && (now = vf_now_ns()) < end) {
		if (poll(&pfd, 1, (int)((end - now) / 1000000) + 1) > 0)
			vf_sock_check(d);
	}
}

static unsigned int used_count(const struct vf_vq *vq)
{
	if (!vq->used)
		return 0;
	return vf_vq_used_pending(vq);
}

int vf_evil_run(struct vf_dev *d, int setup_err)
{
	const struct vf_opts *o = d->o;
	const char *variant = NULL, *probe;
	int kind = evil_tab[o->evil].kind, err = 0;

	if (!d->evil_ack[0])
		snprintf(d->evil_ack, sizeof(d->evil_ack), "-"); /* no bad message sent */
	if (setup_err && kind != VF_EVIL_SETUP)
		log_warn("setup failed before the bad input (%s)", strerror(-setup_err));
	else if (!d->disconnected && kind == VF_EVIL_MSG)
		err = evil_msg(d);
	else if (!d->disconnected && kind == VF_EVIL_DATA)
		err = evil_data(d, &variant);
	if (err && err != -EPIPE)
		log_err("%s: %s", vf_evil_name(o->evil), strerror(-err));

	watch(d, o->evil_wait_ms);
	probe = vf_probe(d, VF_PROBE_WAIT_MS);
	printf("evil=%s backend=%s probe=%s ack=%s tx_used=%u rx_used=%u setup_nacks=%u%s%s\n",
	       vf_evil_name(o->evil), d->disconnected ? "disconnected" : "alive", probe,
	       d->evil_ack, d->qp ? used_count(&d->qp[0].tx.vq) : 0,
	       d->qp ? used_count(&d->qp[0].rx.vq) : 0, d->setup_nacks,
	       variant ? " variant=" : "", variant ? variant : "");
	fflush(stdout);

	if (err && err != -EPIPE)
		return 1;
	if (o->expect_disconnect < 0)
		return 0;
	return d->disconnected == (o->expect_disconnect == 1) ? 0 : 1;
}
