// SPDX-License-Identifier: GPL-2.0-only
/*
 * Switching one burst: pop up to DP_BURST frames from a guest's TX vring,
 * learn their sources, look up their destinations, copy each frame straight
 * into the destination guests' RX buffers (grouped per destination: one
 * lock, one used-ring publication and at most one interrupt per
 * destination and burst), then return the TX buffers in one publication.
 */
#include <errno.h>
#include <unistd.h>

#include "dp/dp.h"

#define DST_FLOOD 0xfffe
#define DST_DROP 0xffff

static void signal_broken(struct dp *dp, struct dp_port *p, const char *why)
{
	vu_dev_mark_broken(&p->dev, why);
	if (write(dp->notify_fd, &(uint64_t){ 1 }, sizeof(uint64_t)) < 0) {
		/* the counter is saturated: the control thread is awake anyway */
	}
}

/* The RX vring of `dst` for frames from TX queue `q` of their source. */
static struct vq *rx_vq(struct dp_port *dst, int q)
{
	struct vq *vq = &dst->dev.vr[2 * (q % dst->queues)].vq;

	if (!__atomic_load_n(&vq->ready, __ATOMIC_RELAXED))
		vq = &dst->dev.vr[0].vq; /* the guest did not enable that queue */
	return vq;
}

/* Deliver frames i in [from, n) whose destination is `match` to port dst. */
static void deliver(struct dp_worker *w, struct dp_port *src, struct dp_port *dst, int q,
		    int from, int n, uint16_t match, uint8_t hdr_len)
{
	struct vq *vq = rx_vq(dst, q);
	int i, r;

	vq_lock(vq);
	if (!vq->ready) {
		vq_unlock(vq);
		for (i = from; i < n; i++)
			if (w->dst[i] == match)
				__atomic_fetch_add(&src->st.drop_dst_down, 1, __ATOMIC_RELAXED);
		return;
	}
	for (i = from; i < n; i++) {
		if (w->dst[i] != match)
			continue;
		if (w->len[i] > dst->mtu + 14u) {
			vq->st.drop_too_big++;
			continue;
		}
		r = vq_enqueue(vq, w->chains[i].seg, w->chains[i].nseg, hdr_len, w->len[i]);
		if (r == -EFAULT) {
			signal_broken(w->dp, dst, vq->err);
			break;
		}
	}
	vq_flush(vq);
	vq_unlock(vq);
}

static void flood(struct dp_worker *w, struct dp_port *src, int q, int n, uint8_t hdr_len)
{
	struct dp *dp = w->dp;
	uint16_t i, hw = __atomic_load_n(&dp->nports_hw, __ATOMIC_ACQUIRE);

	for (i = 0; i < hw; i++) {
		struct dp_port *p = __atomic_load_n(&dp->ports[i], __ATOMIC_ACQUIRE);

		if (p && p != src && p->vlan == src->vlan)
			deliver(w, src, p, q, 0, n, DST_FLOOD, hdr_len);
	}
}

/* Classify frame i: learn its source, find its destination. */
static void classify(struct dp_worker *w, struct dp_port *src, struct vq *txq, int i)
{
	struct vq_chain *c = &w->chains[i];
	uint8_t eth[12];
	int port;

	if (c->len < txq->hdr_len + 14u) {
		txq->st.drop_runt++;
		w->dst[i] = DST_DROP;
		return;
	}
	w->len[i] = c->len - txq->hdr_len;
	if (w->len[i] > src->mtu + 14u) {
		txq->st.drop_too_big++;
		w->dst[i] = DST_DROP;
		return;
	}
	vq_iov_read(c->seg, c->nseg, txq->hdr_len, eth, sizeof(eth));
	fdb_learn(&w->dp->fdb, fdb_key(src->vlan, eth + 6), src->id);
	txq->st.packets++;
	txq->st.bytes += w->len[i];
	if (eth[0] & 1) {
		w->dst[i] = DST_FLOOD;
		return;
	}
	port = fdb_lookup(&w->dp->fdb, fdb_key(src->vlan, eth));
	if (port == FDB_NO_PORT) {
		w->dst[i] = DST_FLOOD; /* unknown unicast */
	} else if (port == src->id) {
		__atomic_fetch_add(&src->st.drop_hairpin, 1, __ATOMIC_RELAXED);
		w->dst[i] = DST_DROP;
	} else {
		w->dst[i] = (uint16_t)port;
	}
}

int dp_tx_burst(struct dp_worker *w, struct dp_port *src, int vring)
{
	struct vq *txq = &src->dev.vr[vring].vq;
	int avail, n = 0, i, j, r, q = vring / 2;
	const char *broken = NULL;
	bool any_flood = false;
	uint8_t hdr_len;

	if (!vq_trylock(txq))
		return 0;
	if (!txq->ready) {
		vq_unlock(txq);
		return 0;
	}
	hdr_len = txq->hdr_len;
	avail = vq_avail_count(txq);
	if (avail < 0) {
		broken = txq->err;
		goto out;
	}
	if (avail > DP_BURST)
		avail = DP_BURST;

	for (n = 0; n < avail; n++) {
		r = vq_pop(txq, &w->chains[n], false);
		if (r == -EFAULT) {
			broken = txq->err;
			break;
		}
		if (r == -EMSGSIZE) {
			txq->st.drop_segs++;
			w->dst[n] = DST_DROP;
			continue;
		}
		classify(w, src, txq, n);
		any_flood |= w->dst[n] == DST_FLOOD;
	}

	/* unicast, grouped by destination: first frame of each group delivers
	 * the whole group */
	for (i = 0; i < n; i++) {
		struct dp_port *dst;
		uint16_t d = w->dst[i];

		if (d >= DST_FLOOD)
			continue;
		for (j = 0; j < i && w->dst[j] != d; j++)
			;
		if (j < i)
			continue;
		dst = __atomic_load_n(&w->dp->ports[d], __ATOMIC_ACQUIRE);
		if (dst)
			deliver(w, src, dst, q, i, n, d, hdr_len);
	}
	if (any_flood)
		flood(w, src, q, n, hdr_len);

	for (i = 0; i < n; i++)
		vq_push(txq, w->chains[i].head, 0);
out:
	if (!broken)
		vq_flush(txq);
	vq_unlock(txq);
	if (broken)
		signal_broken(w->dp, src, broken);
	return n;
}
