// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvs-hotpath: the forwarder's hot path alone, VM → VM, in one process.
 *
 * Two vhost ports of a real `struct dp` share one "guest RAM" (a memfd the
 * switch maps through vu_mem_map(), as it maps QEMU's). This program is
 * both guests' driver: it keeps port a's TX vring full of frames for port
 * b's MAC and port b's RX vring full of buffers, and calls dp_tx_burst()
 * — the worker's burst, unchanged — until N frames went through. There is
 * no kernel in the loop: no kicks (the switch polls), no interrupts
 * (used_event is kept far ahead), no threads.
 *
 * Under `valgrind --tool=callgrind --collect-atstart=no` only the switch's
 * part is counted (CALLGRIND_TOGGLE_COLLECT around dp_tx_burst), so the
 * instruction count per frame is reproducible to the instruction and
 * independent of the machine: tools/bench/hotpath.sh reports it.
 *
 * -f: with the firewall of the bench's xvs-fw rows (tools/bench/README.md,
 * "Firewall: 100 rules and conntrack"), in private tables: on both ports
 * both ways a stateful set of 99 rules that miss the flow, the allow, and
 * a default drop; the frames are judged from-vm on a, to-vm on b, and
 * must all pass as one established connection.
 *
 * -F FLOWS: the TX slots' frames are FLOWS flows (slot i's source address
 * is the (i % FLOWS)-th), so that a burst's frames are of different
 * connections and no per-flow shortcut (the workers' conntrack memo)
 * applies; with -f, each flow's first frame is allowed by the rule, the
 * rest established.
 *
 * -p: packed virtqueues (VIRTIO_F_RING_PACKED) instead of split ones: the
 * same frames, buffers and bursts; each buffer one descriptor, as Linux
 * (with indirect tables) and DPDK post them; the driver asks for no
 * interrupts (its event flags DISABLE).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "args.h"
#include "dp/dp.h"
#include "fw/fw.h"
#include "frame.h"

#define RING 256
#define BUF 2048 /* RX buffer and TX slot */
#define HDR 12 /* virtio-net header with VERSION_1 */
#define RAM (8u << 20)
#define UVA 0x7f0000000000ull /* the "front-end" address of RAM offset 0 */

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 0xa };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0, 0xb };

struct ram {
	int fd;
	uint8_t *p; /* the driver's view */
	uint64_t brk;
};

struct drv {
	bool packed;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_off, avail_off, used_off;
	uint16_t avail_idx, used_seen;
	/* packed: the ring, where the driver posts next and reaps next, and
	 * each buffer id's buffer */
	struct vring_packed_desc *pdesc;
	uint16_t avail_pos, used_pos;
	bool avail_wrap, used_wrap, writable;
	uint64_t buf[RING];
	uint32_t buf_len[RING];
};

static uint64_t ram_alloc(struct ram *r, uint64_t len)
{
	uint64_t at = (r->brk + 63) & ~63ull;

	r->brk = at + len;
	if (r->brk > RAM) {
		fprintf(stderr, "xvs-hotpath: guest RAM too small\n");
		exit(1);
	}
	return at;
}

/* A driver ring and its device side on `vq`. */
static void ring_setup(struct ram *r, struct drv *d, struct vq *vq, const struct vu_mem *mem,
		       bool writable, bool packed)
{
	const char *why = NULL;
	uint16_t i;

	d->packed = packed;
	d->writable = writable;
	d->desc_off = ram_alloc(r, 16 * RING);
	/* packed: the driver and device event areas */
	d->avail_off = ram_alloc(r, packed ? 4 : 4 + 2 * RING + 2);
	d->used_off = ram_alloc(r, packed ? 4 : 4 + 8 * RING + 2);
	d->desc = (void *)(r->p + d->desc_off);
	d->pdesc = (void *)(r->p + d->desc_off);
	d->avail = (void *)(r->p + d->avail_off);
	d->used = (void *)(r->p + d->used_off);
	/* one fixed buffer per descriptor (packed: per buffer id), GPA = RAM
	 * offset */
	for (i = 0; i < RING; i++) {
		d->buf[i] = ram_alloc(r, BUF);
		d->buf_len[i] = BUF;
		if (packed)
			continue;
		d->desc[i].addr = d->buf[i];
		d->desc[i].len = BUF;
		d->desc[i].flags = writable ? VRING_DESC_F_WRITE : 0;
	}
	if (packed) {
		struct vring_packed_desc_event *drv_ev = (void *)d->avail;

		vq->packed = true;
		vq->avail_wrap = vq->used_wrap = true;
		d->avail_wrap = d->used_wrap = true;
		free(vq_packed_take(vq, vq_packed_alloc(RING)));
		drv_ev->flags = VRING_PACKED_EVENT_FLAG_DISABLE;
	}
	vq->size = RING;
	vq->event_idx = true;
	vq->mrg_rxbuf = true;
	vq->hdr_len = HDR;
	vq->call_fd = -1;
	vq->kick_fd = -1;
	if (vq_map_rings(vq, mem, UVA + d->desc_off, UVA + d->avail_off, UVA + d->used_off,
			 &why)) {
		fprintf(stderr, "xvs-hotpath: %s\n", why);
		exit(1);
	}
	vq->ready = true;
}

/* packed: buffer ids ids[0..n) available, the first one's flags last */
static void post_packed(struct drv *d, const uint16_t *ids, int n)
{
	uint16_t first = d->avail_pos, first_flags = 0;
	int i;

	for (i = 0; i < n; i++) {
		struct vring_packed_desc *pd = &d->pdesc[d->avail_pos];
		uint16_t fl = (uint16_t)((d->writable ? VRING_DESC_F_WRITE : 0) |
					 (d->avail_wrap ? 1u << VRING_PACKED_DESC_F_AVAIL
							: 1u << VRING_PACKED_DESC_F_USED));

		pd->addr = d->buf[ids[i]];
		pd->len = d->buf_len[ids[i]];
		pd->id = ids[i];
		if (i == 0)
			first_flags = fl;
		else
			__atomic_store_n(&pd->flags, fl, __ATOMIC_RELEASE);
		if (++d->avail_pos == RING) {
			d->avail_pos = 0;
			d->avail_wrap = !d->avail_wrap;
		}
	}
	if (n)
		__atomic_store_n(&d->pdesc[first].flags, first_flags, __ATOMIC_RELEASE);
}

/* packed: the used buffers' ids, in order */
static int reap_packed(struct drv *d, uint16_t *ids)
{
	int n = 0;

	for (;;) {
		uint16_t fl = __atomic_load_n(&d->pdesc[d->used_pos].flags, __ATOMIC_ACQUIRE);
		bool a = fl & 1u << VRING_PACKED_DESC_F_AVAIL, u = fl & 1u << VRING_PACKED_DESC_F_USED;

		if (a != d->used_wrap || u != d->used_wrap || n == RING)
			return n;
		ids[n++] = d->pdesc[d->used_pos].id;
		if (++d->used_pos == RING) {
			d->used_pos = 0;
			d->used_wrap = !d->used_wrap;
		}
	}
}

/* Make `n` heads available again (in the order they came back). */
static void post(struct drv *d, const uint16_t *heads, int n)
{
	int i;

	if (d->packed) {
		post_packed(d, heads, n);
		return;
	}
	for (i = 0; i < n; i++)
		d->avail->ring[(uint16_t)(d->avail_idx + i) % RING] = heads[i];
	d->avail_idx = (uint16_t)(d->avail_idx + n);
	__atomic_store_n(&d->avail->idx, d->avail_idx, __ATOMIC_RELEASE);
	/* used_event far ahead: the device never wants to interrupt us */
	d->avail->ring[RING] = (uint16_t)(d->avail_idx + 0x8000);
}

/* Take the used entries back; returns how many, heads in `heads`. */
static int reap(struct drv *d, uint16_t *heads)
{
	uint16_t end;
	int n = 0;

	if (d->packed)
		return reap_packed(d, heads);
	end = __atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE);
	for (; d->used_seen != end; d->used_seen++)
		heads[n++] = (uint16_t)d->used->ring[d->used_seen % RING].id;
	return n;
}

#define FW_RULES 100 /* per set, the allow last; then the default */

/* The bench's rule set: 99 UDP rules for other ports, the allow of UDP
 * (stateful), the default drop. */
static void fw_rules(struct xvs_acl_rule *r)
{
	int i;

	memset(r, 0, sizeof(*r) * (FW_RULES + 1));
	for (i = 0; i < FW_RULES; i++) {
		r[i].match = XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO;
		r[i].family = 4;
		r[i].proto = 17;
		r[i].action = XVS_ACL_ALLOW;
		r[i].flags = XVS_ACL_F_STATEFUL;
		r[i].pos = (uint32_t)i;
		if (i < FW_RULES - 1) {
			r[i].match |= XVS_ACL_M_DPORT;
			r[i].dport_lo = r[i].dport_hi = (uint16_t)(10000 + i);
		}
	}
	r[FW_RULES].action = XVS_ACL_DROP;
	r[FW_RULES].flags = XVS_ACL_F_DEFAULT;
	r[FW_RULES].pos = FW_RULES;
}

/* The firewall on ports a and b (ids ida, idb), both ways; 0 or an error. */
static int fw_setup(struct fw *fw, struct dp *dp, uint16_t ida, uint16_t idb)
{
	static struct xvs_acl_rule r[FW_RULES + 1];
	uint16_t ids[2] = { ida, idb };
	uint32_t first = 0;
	int i, d, err;

	err = fw_init_private(fw, 1, 4096);
	if (err)
		return err;
	fw_set_on(fw, true);
	fw_rules(r);
	fw_bank_begin(fw);
	for (i = 0; i < 2; i++)
		for (d = 0; d < XVS_FW_DIRS; d++) {
			err = fw_bank_rules(fw, first, r, FW_RULES + 1);
			err = err ?: fw_bank_bind(fw, ids[i], d, first, FW_RULES + 1);
			if (err)
				return err;
			first += FW_RULES + 1;
		}
	fw_commit(fw, NULL, NULL, 0);
	__atomic_store_n(&dp->fw, fw, __ATOMIC_RELEASE);
	return 0;
}

/* Every frame judged as the bench's are: from-vm on a, to-vm on b, each
 * flow's first allowed by the last rule, the others established. */
static int fw_check(const struct fw *fw, uint16_t ida, uint16_t idb, uint64_t frames,
		    uint64_t flows)
{
	struct xvs_counter a[XVS_FW_REASON_MAX], b[XVS_FW_REASON_MAX];

	fw_sum_reason(fw, ida, XVS_FW_FROM_VM, a);
	fw_sum_reason(fw, idb, XVS_FW_TO_VM, b);
	if (a[XVS_FW_RULE_ALLOW].packets != flows ||
	    a[XVS_FW_ESTABLISHED].packets != frames - flows ||
	    b[XVS_FW_RULE_ALLOW].packets != flows ||
	    b[XVS_FW_ESTABLISHED].packets != frames - flows) {
		fprintf(stderr,
			"xvs-hotpath: firewall: a from-vm %" PRIu64 " new, %" PRIu64
			" established; b to-vm %" PRIu64 " new, %" PRIu64 " established; "
			"%" PRIu64 " frames\n",
			(uint64_t)a[XVS_FW_RULE_ALLOW].packets, (uint64_t)a[XVS_FW_ESTABLISHED].packets,
			(uint64_t)b[XVS_FW_RULE_ALLOW].packets, (uint64_t)b[XVS_FW_ESTABLISHED].packets,
			frames);
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xvs-hotpath [-f] [-F FLOWS] [-p] [-n FRAMES] [-s BYTES]\n"
		   "  -f         with the bench's firewall (100 stateful rules, conntrack)\n"
		   "  -p         packed virtqueues (default: split)\n"
		   "  -F FLOWS   the frames of FLOWS flows, 1..%d, taking turns (1)\n"
		   "  -n FRAMES  frames to forward (1000000)\n"
		   "  -s BYTES   Ethernet frame size without FCS, 60..%d (60)\n"
		   "Output: frames=N size=S ns_per_frame=X (switch only, wall clock)\n",
		RING, BUF - HDR);
}

int main(int argc, char **argv)
{
	struct dp_opts o = { .fdb_max = 1024, .fdb_aging_s = 300, .idle_us = 200 };
	struct dp_port_opts po = { .type = DP_PORT_VHOST, .mtu = 9000, .queues = 1 };
	uint64_t frames = 1000000, size = 60, flows = 1, done = 0, ns = 0, rx = 0;
	struct vu_mem_table t = { .nregions = 1 };
	struct drv tx_a = { 0 }, rx_b = { 0 }, rx_a = { 0 };
	uint16_t heads[RING];
	struct dp_port *a, *b;
	const char *why = NULL;
	struct vu_mem *mem;
	struct timespec t0, t1;
	struct ram r = { 0 };
	static struct frame f;
	static struct fw fw;
	bool firewall = false, packed = false;
	struct dp dp;
	int opt, i, n;

	while ((opt = getopt(argc, argv, "fF:pn:s:h")) != -1) {
		switch (opt) {
		case 'f':
			firewall = true;
			break;
		case 'p':
			packed = true;
			break;
		case 'F':
			if (args_u64(optarg, 10, 1, RING, &flows)) {
				fprintf(stderr, "xvs-hotpath: -F: a number of flows 1..%d, got \"%s\"\n",
					RING, optarg);
				return 2;
			}
			break;
		case 'n':
			if (args_u64(optarg, 10, 1, UINT64_MAX / 2, &frames)) {
				fprintf(stderr, "xvs-hotpath: -n: a number of frames, got \"%s\"\n",
					optarg);
				return 2;
			}
			break;
		case 's':
			if (args_u64(optarg, 10, 60, BUF - HDR, &size)) {
				fprintf(stderr, "xvs-hotpath: -s: a frame size 60..%d, got \"%s\"\n",
					BUF - HDR, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	r.fd = memfd_create("xvs-hotpath", MFD_CLOEXEC);
	if (r.fd < 0 || ftruncate(r.fd, RAM)) {
		perror("xvs-hotpath: memfd");
		return 1;
	}
	r.p = mmap(NULL, RAM, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
	if (r.p == MAP_FAILED) {
		perror("xvs-hotpath: mmap");
		return 1;
	}
	t.regions[0] = (struct vu_mem_region){ .guest_phys_addr = 0, .memory_size = RAM,
					       .userspace_addr = UVA, .mmap_offset = 0 };
	mem = vu_mem_map(&t, &r.fd, 1, &why);
	if (!mem || dp_init(&dp, &o)) {
		fprintf(stderr, "xvs-hotpath: setup failed: %s\n", why ? why : strerror(errno));
		return 1;
	}
	snprintf(po.name, sizeof(po.name), "a");
	a = dp_port_add(&dp, &po);
	snprintf(po.name, sizeof(po.name), "b");
	b = dp_port_add(&dp, &po);
	if (!a || !b)
		return 1;
	ring_setup(&r, &tx_a, &a->dev.vr[1].vq, mem, false, packed);
	ring_setup(&r, &rx_b, &b->dev.vr[0].vq, mem, true, packed);
	ring_setup(&r, &rx_a, &a->dev.vr[0].vq, mem, true, packed);

	if (firewall && fw_setup(&fw, &dp, a->id, b->id)) {
		fprintf(stderr, "xvs-hotpath: firewall setup failed\n");
		return 1;
	}
	/* b has spoken once: the switch knows where its MAC is */
	fdb_learn(&dp.fdb, fdb_key(0, mac_b), b->id);

	/* every TX slot holds a UDP frame a → b after its header: slot i's
	 * of flow i % flows (source 10.1.x.y) */
	for (i = 0; i < RING; i++) {
		uint8_t *slot = r.p + tx_a.buf[i];
		unsigned int k = (unsigned int)i % (unsigned int)flows + 1;
		char src[16];

		snprintf(src, sizeof(src), "10.1.%u.%u", k >> 8, k & 255);
		frame_init(&f);
		frame_eth(&f, mac_b, mac_a);
		frame_ip4(&f, flows > 1 ? src : "10.0.0.1", "10.0.0.2", 0);
		frame_udp(&f, 1000, 2000);
		frame_payload(&f, size - 42, 0);
		if (frame_finish(&f) != (int)size)
			return 1;

		memset(slot, 0, HDR);
		memcpy(slot + HDR, f.buf, size);
		tx_a.buf_len[i] = (uint32_t)(HDR + size);
		if (!packed)
			tx_a.desc[i].len = tx_a.buf_len[i];
		heads[i] = (uint16_t)i;
	}
	post(&tx_a, heads, RING);
	post(&rx_b, heads, RING);

	while (done < frames) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CALLGRIND_TOGGLE_COLLECT;
		n = dp_tx_burst(&dp.workers[0], a, 1);
		CALLGRIND_TOGGLE_COLLECT;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec);
		done += (uint64_t)n;
		/* the guests: b's RX buffers and a's TX slots go round again */
		n = reap(&rx_b, heads);
		rx += (uint64_t)n;
		post(&rx_b, heads, n);
		n = reap(&tx_a, heads);
		post(&tx_a, heads, n);
	}
	if (rx != done || b->dev.vr[0].vq.st.drop_no_buf) {
		fprintf(stderr, "xvs-hotpath: %" PRIu64 " frames sent, %" PRIu64 " received\n",
			done, rx);
		return 1;
	}
	if (firewall && fw_check(&fw, a->id, b->id, done, flows))
		return 1;
	printf("frames=%" PRIu64 " size=%" PRIu64 " ns_per_frame=%.1f\n", done, size,
	       (double)ns / (double)done);
	dp_port_del(&dp, a);
	dp_port_del(&dp, b);
	dp_destroy(&dp);
	if (firewall)
		fw_destroy(&fw);
	vu_mem_unmap(mem);
	return 0;
}
