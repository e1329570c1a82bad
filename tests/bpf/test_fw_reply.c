// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN fixtures for the firewall's `reject` in
 * bpf/xvs_xdp.bpf.c: a frame for a VM port whose to-vm rules reject it
 * comes back as its answer (XDP_TX, counted tx / FW_REJECT_SENT), byte for
 * byte what the userspace xvs_reply_write() makes of the same frame; on
 * the ordinary path and on a queue dedicated to the VM (zero-copy), for
 * a multi-buffer frame too. What may not be answered, what the rate limit
 * (xvs_fw_rl, reject_rate per port and window) refuses and everything
 * with reject_rate 0 is dropped (drop / FW_REJECT).
 *
 * As tests/bpf/test_xdp.c: a private network namespace with a veth pair
 * for ingress_ifindex / rx_queue_index, the skeleton's maps unpinned.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "frame.h"
#include "xvs_xdp.skel.h"
#include <xvs/fw.h>
#include <xvs/fw_reply.h>

static const uint8_t MAC_VM_A[6] = { 0x02, 0, 0, 0, 0, 0xa1 }; /* port 1, untagged */
static const uint8_t MAC_VM_B[6] = { 0x02, 0, 0, 0, 0, 0xb1 }; /* port 2, vlan 10 */
static const uint8_t MAC_SRC[6] = { 0x02, 0, 0, 0, 0, 0x42 };
#define PORT_A 1
#define PORT_B 2
#define PORT_UPLINK 6
#define VM_B_MTU 9000
#define ZC_RXQ 1 /* xr0's queue 1 is dedicated to VM A */
#define RATE 1000 /* answers per window, unless a test says otherwise */
#define DNS 53 /* UDP to this port is allowed, the rest rejected */

#define IF_UPLINK "xr0" /* has an xvs_uplinks entry (and the zc queue) */
#define IF_BARE "xr1" /* has none */

static struct xvs_xdp *skel;
static int ifindex[2];
static int ncpu;
static struct frame f;

/* ---- frames ----------------------------------------------------------- */

static void tcp4(const uint8_t *dst, uint8_t flags)
{
	frame_init(&f);
	frame_eth(&f, dst, MAC_SRC);
	if (dst == MAC_VM_B)
		frame_vlan(&f, 0x8100, 10);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_tcp(&f, 40000, 22);
	f.buf[f.l4_off + 13] = flags;
	f.buf[f.l4_off + 7] = 9; /* SEG.SEQ 9 */
	frame_finish(&f);
}

static void udp(const uint8_t *dst, int ver, uint16_t dport, size_t payload)
{
	frame_init(&f);
	frame_eth(&f, dst, MAC_SRC);
	if (dst == MAC_VM_B)
		frame_vlan(&f, 0x8100, 10);
	if (ver == 4)
		frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	else
		frame_ip6(&f, "fd00::1", "fd00::2");
	frame_udp(&f, 5000, dport);
	frame_payload(&f, payload, 1);
	frame_finish(&f);
}

static void echo6(const uint8_t *dst)
{
	frame_init(&f);
	frame_eth(&f, dst, MAC_SRC);
	frame_ip6(&f, "fd00::1", "fd00::2");
	frame_icmp(&f, XVS_ICMP6_ECHO, 0);
	frame_payload(&f, 56, 1);
	frame_finish(&f);
}

/* ---- running ---------------------------------------------------------- */

static void read_stats(int fd, __u32 n, struct xvs_counter *out)
{
	struct xvs_counter *pc = calloc((size_t)ncpu, sizeof(*pc));
	__u32 i;
	int c;

	assert_non_null(pc);
	for (i = 0; i < n; i++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &i, pc), 0);
		out[i] = (struct xvs_counter){ 0 };
		for (c = 0; c < ncpu; c++) {
			out[i].packets += pc[c].packets;
			out[i].bytes += pc[c].bytes;
		}
	}
	free(pc);
}

static __u64 fw_stat(__u32 port, enum xvs_fw_reason why)
{
	struct xvs_counter *pc = calloc((size_t)ncpu, sizeof(*pc));
	__u32 idx = XVS_FW_STAT_IDX(port, XVS_FW_TO_VM, why);
	__u64 n = 0;
	int c;

	assert_non_null(pc);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvs_fw_stats), &idx, pc), 0);
	for (c = 0; c < ncpu; c++)
		n += pc[c].packets;
	free(pc);
	return n;
}

/*
 * Run f on `in` (IF_UPLINK or IF_BARE) queue rxq: the action must be
 * `action`, exactly one verdict and one reason counter move, each by the
 * frame's length; the frame that comes out is left in out / *out_len.
 */
static void run(int in, __u32 rxq, int action, enum xvs_reason reason, __u8 *out, __u32 *out_len)
{
	static struct xvs_counter before[XVS_STAT_MAX], after[XVS_STAT_MAX];
	struct xdp_md md = {
		.data_end = (__u32)f.len,
		.ingress_ifindex = (__u32)ifindex[in],
		.rx_queue_index = rxq,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.buf, .data_size_in = (__u32)f.len,
		    .data_out = out, .data_size_out = FRAME_MAX, .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);
	__u32 vidx = XVS_STAT_VERDICT(xvs_reason_verdict(reason)), ridx = XVS_STAT_REASON(reason);
	int fd = bpf_map__fd(skel->maps.xvs_stats);
	__u32 i;

	assert_int_equal(f.err, 0);
	read_stats(fd, XVS_STAT_MAX, before);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xvs_xdp), &o), 0);
	read_stats(fd, XVS_STAT_MAX, after);
	if ((int)o.retval != action)
		print_error("got action %u, expected %d (%s)\n", o.retval, action,
			    xvs_reason_names[reason]);
	assert_int_equal(o.retval, action);
	for (i = 0; i < XVS_STAT_MAX; i++) {
		__u64 want = (i == vidx || i == ridx) ? 1 : 0;

		if (after[i].packets - before[i].packets != want)
			print_error("counter %u moved by %llu, expected %llu\n", i,
				    (unsigned long long)(after[i].packets - before[i].packets),
				    (unsigned long long)want);
		assert_int_equal(after[i].packets - before[i].packets, want);
		assert_int_equal(after[i].bytes - before[i].bytes, want * f.len);
	}
	*out_len = o.data_size_out;
}

/* What userspace answers to f (the forwarder's way: the whole frame
 * readable, a buffer of its own); -1 if nothing. */
static int answer_of(__u8 *out, size_t cap)
{
	struct xvs_pkt p = { 0 };
	struct xvs_reply r;

	assert_int_equal(xvs_parse(f.buf, f.buf + f.len, (__u32)f.len, &p), XVS_REASON_OK);
	if (xvs_reply_prepare(&p, f.buf, f.buf + f.len, (__u32)f.len, &r))
		return -1;
	return xvs_reply_write(&r, out, out + cap);
}

/* f is answered: XDP_TX, the same bytes as userspace makes; returns the
 * answer's protocol as parsed. */
static __u8 answered(int in, __u32 rxq, __u32 port)
{
	static __u8 out[FRAME_MAX], want[XVS_REPLY_MAX_LEN];
	__u64 rejects = fw_stat(port, XVS_FW_RULE_REJECT);
	struct xvs_pkt a = { 0 };
	__u32 n;
	int len;

	len = answer_of(want, sizeof(want));
	assert_true(len > 0);
	run(in, rxq, XDP_TX, XVS_REASON_FW_REJECT_SENT, out, &n);
	assert_int_equal(n, len);
	assert_memory_equal(out, want, n);
	assert_int_equal(xvs_parse(out, out + n, n, &a), XVS_REASON_OK);
	assert_memory_equal(a.dst, MAC_SRC, 6);
	assert_int_equal(fw_stat(port, XVS_FW_RULE_REJECT), rejects + 1);
	return a.l4proto;
}

/* f is dropped as rejected, unanswered, and untouched. */
static void unanswered(int in, __u32 rxq)
{
	static __u8 out[FRAME_MAX];
	__u32 n;

	run(in, rxq, XDP_DROP, XVS_REASON_FW_REJECT, out, &n);
	assert_int_equal(n, f.len);
	assert_memory_equal(out, f.buf, f.len);
}

/* ---- the firewall's tables ---------------------------------------------- */

static void set_rate(__u32 rate)
{
	struct xvs_fw_cfg c = { .bank = 0, .flags = XVS_FW_CFG_F_ON, .ct_mask = XVS_CT_SIZE - 1,
				.seed = 0x1234567, .reject_rate = rate };
	__u32 zero = 0, i;

	for (i = 0; i < XVS_CT_TO_MAX; i++)
		c.timeout[i] = 60;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_fw_cfg), &zero, &c, 0), 0);
}

static struct xvs_fw_rl rl_get(__u32 port)
{
	struct xvs_fw_rl rl;

	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvs_fw_rl), &port, &rl), 0);
	return rl;
}

static void rl_reset(__u32 port)
{
	struct xvs_fw_rl rl = { 0 };

	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_fw_rl), &port, &rl, 0), 0);
}

/* Rule 0: allow UDP to DNS; rule 1: reject. Bound to both VMs' to-vm. */
static int rules_set(void)
{
	struct xvs_acl_rule allow = { .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT,
				      .action = XVS_ACL_ALLOW, .proto = IPPROTO_UDP,
				      .dport_lo = DNS, .dport_hi = DNS };
	struct xvs_acl_rule reject = { .action = XVS_ACL_REJECT, .pos = 1 };
	struct xvs_acl_bind b = { .first = 0, .count = 2 };
	int acl = bpf_map__fd(skel->maps.xvs_acl), bind = bpf_map__fd(skel->maps.xvs_acl_bind);
	__u32 k;
	int err;

	k = XVS_ACL_RULE_IDX(0, 0);
	err = bpf_map_update_elem(acl, &k, &allow, 0);
	k = XVS_ACL_RULE_IDX(0, 1);
	err = err ?: bpf_map_update_elem(acl, &k, &reject, 0);
	k = XVS_ACL_BIND_IDX(0, PORT_A, XVS_FW_TO_VM);
	err = err ?: bpf_map_update_elem(bind, &k, &b, 0);
	k = XVS_ACL_BIND_IDX(0, PORT_B, XVS_FW_TO_VM);
	err = err ?: bpf_map_update_elem(bind, &k, &b, 0);
	return err;
}

/* If the rate limit's window (2^30 ns of CLOCK_MONOTONIC, the clock of
 * bpf_ktime_get_ns()) ends within 300 ms, wait for the next one: a test's
 * frames then all fall in one window. */
static void window_fresh(void)
{
	const __u64 win = 1ull << XVS_FW_RL_SHIFT;
	struct timespec ts;
	__u64 now, left;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	left = win - (now & (win - 1));
	if (left < 300000000ull) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left + 1000000;
		nanosleep(&ts, NULL);
	}
}

/* ---- tests -------------------------------------------------------------- */

static int each_setup(void **state)
{
	(void)state;
	set_rate(RATE);
	rl_reset(PORT_A);
	rl_reset(PORT_B);
	return 0;
}

static void tcp_gets_a_reset(void **state)
{
	(void)state;
	tcp4(MAC_VM_A, XVS_TCP_SYN);
	assert_int_equal(answered(1, 0, PORT_A), IPPROTO_TCP);
	tcp4(MAC_VM_A, XVS_TCP_ACK | 0x08);
	assert_int_equal(answered(1, 0, PORT_A), IPPROTO_TCP);
	/* behind VM B's VLAN tag: the tag comes back */
	tcp4(MAC_VM_B, XVS_TCP_SYN);
	assert_int_equal(answered(1, 0, PORT_B), IPPROTO_TCP);
}

/* A 64-byte UDP frame's answer is longer (the head grows); a long one's
 * shorter (the tail shrinks). */
static void udp_gets_port_unreachable(void **state)
{
	(void)state;
	udp(MAC_VM_A, 4, 1000, 18);
	assert_int_equal(f.len, 60);
	assert_int_equal(answered(1, 0, PORT_A), IPPROTO_ICMP);
	udp(MAC_VM_A, 4, 1000, 1000);
	assert_int_equal(answered(1, 0, PORT_A), IPPROTO_ICMP);
	udp(MAC_VM_A, 6, 1000, 20);
	assert_int_equal(answered(1, 0, PORT_A), IPPROTO_ICMPV6);
	udp(MAC_VM_B, 6, 1000, 500);
	assert_int_equal(answered(1, 0, PORT_B), IPPROTO_ICMPV6);
	echo6(MAC_VM_A);
	assert_int_equal(answered(1, 0, PORT_A), IPPROTO_ICMPV6);
}

/* A jumbo frame is multi-buffer in the kernel: the tail shrink gives back
 * its fragments, the answer is in the linear part alone. */
static void multi_buffer_frame_answered(void **state)
{
	(void)state;
	udp(MAC_VM_B, 6, 1000, VM_B_MTU - 48);
	assert_true(f.len > 8192);
	assert_int_equal(answered(1, 0, PORT_B), IPPROTO_ICMPV6);
	udp(MAC_VM_B, 4, 1000, VM_B_MTU - 28);
	assert_int_equal(answered(1, 0, PORT_B), IPPROTO_ICMP);
}

/* The queue dedicated to VM A (zero-copy) judges with the same firewall. */
static void zero_copy_queue_answers_too(void **state)
{
	(void)state;
	tcp4(MAC_VM_A, XVS_TCP_SYN);
	assert_int_equal(answered(0, ZC_RXQ, PORT_A), IPPROTO_TCP);
	udp(MAC_VM_A, 6, 1000, 20);
	assert_int_equal(answered(0, ZC_RXQ, PORT_A), IPPROTO_ICMPV6);
}

/* Rejected but not to be answered: dropped, and the rate limit untouched. */
static void unanswerable_dropped_without_using_the_limit(void **state)
{
	(void)state;
	tcp4(MAC_VM_A, XVS_TCP_RST);
	unanswered(1, 0);
	tcp4(MAC_VM_A, XVS_TCP_RST | XVS_TCP_ACK);
	unanswered(0, ZC_RXQ);
	/* not IP (ARP would not even meet the rules: NEIGHBOUR) */
	frame_init(&f);
	frame_eth(&f, MAC_VM_A, MAC_SRC);
	frame_ethertype(&f, 0x88b5);
	frame_payload(&f, 46, 0);
	frame_finish(&f);
	unanswered(1, 0);
	/* an ICMPv6 error */
	frame_init(&f);
	frame_eth(&f, MAC_VM_A, MAC_SRC);
	frame_ip6(&f, "fd00::1", "fd00::2");
	frame_icmp(&f, 1, 4);
	frame_payload(&f, 48, 0);
	frame_finish(&f);
	unanswered(1, 0);
	/* to a multicast address behind a unicast MAC */
	frame_init(&f);
	frame_eth(&f, MAC_VM_A, MAC_SRC);
	frame_ip4(&f, "10.0.0.1", "224.0.0.9", 0);
	frame_udp(&f, 520, 520);
	frame_payload(&f, 24, 0);
	frame_finish(&f);
	unanswered(1, 0);
	assert_int_equal(rl_get(PORT_A).count, 0);
}

/* reject_rate answers per window and port, then drops. */
static void rate_limited(void **state)
{
	int i;

	(void)state;
	set_rate(3);
	window_fresh();
	for (i = 0; i < 3; i++) {
		tcp4(MAC_VM_A, XVS_TCP_SYN);
		answered(1, 0, PORT_A);
	}
	tcp4(MAC_VM_A, XVS_TCP_SYN);
	unanswered(1, 0);
	udp(MAC_VM_A, 4, 1000, 18);
	unanswered(0, ZC_RXQ); /* the zc queue counts in the same limit */
	assert_int_equal(rl_get(PORT_A).count, 5);
	/* another port has its own */
	tcp4(MAC_VM_B, XVS_TCP_SYN);
	answered(1, 0, PORT_B);
	assert_int_equal(rl_get(PORT_B).count, 1);
}

static void rate_zero_never_answers(void **state)
{
	(void)state;
	set_rate(0);
	tcp4(MAC_VM_A, XVS_TCP_SYN);
	unanswered(1, 0);
	udp(MAC_VM_B, 6, 1000, 20);
	unanswered(1, 0);
	udp(MAC_VM_A, 4, 1000, 20);
	unanswered(0, ZC_RXQ);
}

/* What the rules allow is not touched (no switch socket: NO_XSK). */
static void allowed_frames_pass_the_firewall(void **state)
{
	static __u8 out[FRAME_MAX];
	__u32 n;

	(void)state;
	udp(MAC_VM_A, 4, DNS, 20);
	run(1, 0, XDP_DROP, XVS_REASON_NO_XSK, out, &n);
	/* behind the metadata that tells the switch A's rules passed it */
	assert_int_equal(n, f.len + sizeof(struct xvs_meta));
	assert_memory_equal(out + sizeof(struct xvs_meta), f.buf, f.len);
	assert_int_equal(((struct xvs_meta *)out)->judged, PORT_A);
}

/* ---- setup -------------------------------------------------------------- */

static int group_setup(void **state)
{
	struct xvs_uplink up = { .xsk_base = 0, .port = PORT_UPLINK };
	struct xvs_zcq zq = { .port = PORT_A, .flags = XVS_ZCQ_F_ON, .max_len = 1514 };
	struct xvs_fdb_val va = { .port = PORT_A }, vb = { .port = PORT_B };
	struct xvs_fdb_key ka = { .vlan = XVS_VLAN_NONE }, kb = { .vlan = 10 };
	struct xvs_port pa = { .kind = XVS_PORT_VHOST, .mtu = 1500 };
	struct xvs_port pb = { .kind = XVS_PORT_VHOST, .mtu = VM_B_MTU };
	struct bpf_map *map;
	__u32 k, slot = ZC_RXQ;
	int err;

	(void)state;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (need root)\n", strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && ip link add " IF_UPLINK " numtxqueues 2 numrxqueues 2 "
		   "type veth peer name " IF_BARE " numtxqueues 2 numrxqueues 2 && "
		   "ip link set " IF_UPLINK " up && ip link set " IF_BARE " up")) {
		fprintf(stderr, "cannot create the test veth pair\n");
		return -1;
	}
	ifindex[0] = (int)if_nametoindex(IF_UPLINK);
	ifindex[1] = (int)if_nametoindex(IF_BARE);
	ncpu = libbpf_num_possible_cpus();

	skel = xvs_xdp__open();
	if (!skel)
		return -1;
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = xvs_xdp__load(skel);
	if (err) {
		fprintf(stderr, "loading xvs_xdp: %s\n", strerror(-err));
		return -1;
	}
	memcpy(ka.mac, MAC_VM_A, 6);
	memcpy(kb.mac, MAC_VM_B, 6);
	k = (__u32)ifindex[0];
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_uplinks), &k, &up, 0);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_zcq), &slot, &zq, 0);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_fdb), &ka, &va, 0);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_fdb), &kb, &vb, 0);
	k = PORT_A;
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_ports), &k, &pa, 0);
	k = PORT_B;
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_ports), &k, &pb, 0);
	err = err ?: rules_set();
	if (err) {
		fprintf(stderr, "populating maps: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	xvs_xdp__destroy(skel);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(tcp_gets_a_reset, each_setup),
		cmocka_unit_test_setup(udp_gets_port_unreachable, each_setup),
		cmocka_unit_test_setup(multi_buffer_frame_answered, each_setup),
		cmocka_unit_test_setup(zero_copy_queue_answers_too, each_setup),
		cmocka_unit_test_setup(unanswerable_dropped_without_using_the_limit, each_setup),
		cmocka_unit_test_setup(rate_limited, each_setup),
		cmocka_unit_test_setup(rate_zero_never_answers, each_setup),
		cmocka_unit_test_setup(allowed_frames_pass_the_firewall, each_setup),
	};

	return cmocka_run_group_tests_name("xvs_xdp firewall reject", tests, group_setup,
					   group_teardown);
}
