// SPDX-License-Identifier: GPL-2.0-only
/*
 * BPF_PROG_TEST_RUN fixtures for bpf/xvs_xdp.bpf.c: input frame → action,
 * reason counter, redirect slot. Frames are built with tools/lib/frame.h in
 * the fixture functions below, so each reads as the frame it is.
 *
 * The test enters a private network namespace: the veth it needs for
 * ingress_ifindex/rx_queue_index and the AF_XDP socket it puts in XSKMAP
 * slots vanish with the process. Redirect fixtures run twice: with the
 * socket in the expected slot (→ XDP_REDIRECT) and with that slot empty
 * (→ the program's fallback verdict and reason), which also proves which
 * slot the program used.
 *
 * The firewall fixtures arm a rule set on VM A's to-vm (drop one frame,
 * reject another, allow the rest) for their own run and take it away
 * after, so every other fixture sees the firewall off. What the evaluator
 * decides in all other cases is tests/bpf/test_fw_corpus.c's (the corpus run
 * through XDP and the forwarder alike).
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
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "frame.h"
#include "xvs_xdp.skel.h"
#include <xvs/fw.h>
#include <xvs/xdp.h>

/* Topology the fixtures run against (set up in group_setup). */
static const uint8_t MAC_VM_A[6] = { 0x02, 0, 0, 0, 0, 0xa1 }; /* port 1, untagged */
static const uint8_t MAC_VM_B[6] = { 0x02, 0, 0, 0, 0, 0xb1 }; /* port 2, vlan 10 */
static const uint8_t MAC_HOST[6] = { 0x02, 0, 0, 0, 0, 0x01 }; /* port 3, host */
static const uint8_t MAC_REMOTE[6] = { 0x02, 0, 0, 0, 0, 0x77 }; /* port 4, uplink */
static const uint8_t MAC_IDLE[6] = { 0x02, 0, 0, 0, 0, 0x55 }; /* port 5, unused */
static const uint8_t MAC_UNKNOWN[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t MAC_SRC[6] = { 0x02, 0, 0, 0, 0, 0x42 };
static const uint8_t MAC_BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_MCAST4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t MAC_MCAST6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
#define VM_A_MTU 1500
#define VM_B_MTU 9000
#define UPLINK_XSK_BASE 8 /* xq0's sockets start at slot 8 */
/* xq0's queues 4 and 5 are dedicated to VM A and VM B (zero-copy): only
 * their own unicast may enter, without its VLAN tag */
#define ZC_A_RXQ 4
#define ZC_B_RXQ 5
#define ZC_A_SLOT (UPLINK_XSK_BASE + ZC_A_RXQ)
#define ZC_B_SLOT (UPLINK_XSK_BASE + ZC_B_RXQ)

#define IF_UPLINK "xq0" /* has an xvs_uplinks entry */
#define IF_BARE "xq1" /* has none: slot = queue */

enum ingress { IN_UPLINK, IN_BARE };

struct fixture {
	const char *name;
	void (*build)(struct frame *f);
	enum ingress in;
	__u32 rxq;
	__u32 cfg; /* enum xvs_cfg_flags */
	int action; /* XDP_* expected */
	enum xvs_reason reason;
	__u32 slot; /* for XDP_REDIRECT */
	bool popped; /* comes out without its outer VLAN tag */
};

static struct xvs_xdp *skel;
static struct xsk_socket *xsk;
static struct xsk_umem *umem;
static struct xsk_ring_prod fq;
static struct xsk_ring_cons cq, rxr;
static void *umem_area;
static int ifindex[2];
static int ncpu;

/* ---- frames ---------------------------------------------------------- */

static void udp4(struct frame *f, const uint8_t *dst, size_t payload)
{
	frame_eth(f, dst, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_udp(f, 1000, 2000);
	frame_payload(f, payload, 1);
	frame_finish(f);
}

static void b_udp4_vm(struct frame *f) { udp4(f, MAC_VM_A, 64); }
static void b_udp4_unknown(struct frame *f) { udp4(f, MAC_UNKNOWN, 64); }
static void b_udp4_host(struct frame *f) { udp4(f, MAC_HOST, 64); }
static void b_udp4_remote(struct frame *f) { udp4(f, MAC_REMOTE, 64); }
static void b_udp4_idle(struct frame *f) { udp4(f, MAC_IDLE, 64); }
static void b_bcast(struct frame *f) { udp4(f, MAC_BCAST, 64); }
static void b_mcast4(struct frame *f) { udp4(f, MAC_MCAST4, 64); }

/* The largest frame VM A takes: 1500 bytes of L3. */
static void b_mtu_exact(struct frame *f) { udp4(f, MAC_VM_A, VM_A_MTU - 28); }
static void b_mtu_over(struct frame *f) { udp4(f, MAC_VM_A, VM_A_MTU - 28 + 1); }

static void b_arp_vm(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ethertype(f, 0x0806);
	frame_payload(f, 28, 0);
	frame_finish(f);
}

static void b_mcast6(struct frame *f)
{
	frame_eth(f, MAC_MCAST6, MAC_SRC);
	frame_ip6(f, "fe80::1", "ff02::1");
	frame_icmp(f, 135, 0);
	frame_payload(f, 24, 0);
	frame_finish(f);
}

/* VM B lives on VLAN 10. */
static void vlan_udp(struct frame *f, const uint8_t *dst, int tags, size_t payload)
{
	frame_eth(f, dst, MAC_SRC);
	if (tags == 2) {
		frame_vlan(f, 0x88a8, 10);
		frame_vlan(f, 0x8100, 20);
	} else if (tags == 1) {
		frame_vlan(f, 0x8100, 10);
	}
	frame_ip4(f, "10.0.10.1", "10.0.10.2", 0);
	frame_udp(f, 1000, 2000);
	frame_payload(f, payload, 1);
	frame_finish(f);
}

static void b_vlan1_vm(struct frame *f) { vlan_udp(f, MAC_VM_B, 1, 64); }
static void b_vlan1_vm_max(struct frame *f) { vlan_udp(f, MAC_VM_B, 1, VM_B_MTU - 28); }
static void b_vlan1_vm_over(struct frame *f) { vlan_udp(f, MAC_VM_B, 1, VM_B_MTU - 28 + 1); }
static void b_vlan2_vm(struct frame *f) { vlan_udp(f, MAC_VM_B, 2, 64); }
/* VM B's MAC, but untagged: not the same FDB entry. */
static void b_vlan_mismatch(struct frame *f) { vlan_udp(f, MAC_VM_B, 0, 64); }
/* Jumbo: 9000 bytes of L3 behind one tag; multi-buffer in the kernel. */
static void b_jumbo_exact(struct frame *f) { vlan_udp(f, MAC_VM_B, 1, VM_B_MTU - 28); }
static void b_jumbo_over(struct frame *f) { vlan_udp(f, MAC_VM_B, 1, VM_B_MTU - 28 + 1); }

static void b_vlan_depth(struct frame *f)
{
	frame_eth(f, MAC_VM_B, MAC_SRC);
	frame_vlan(f, 0x88a8, 10);
	frame_vlan(f, 0x8100, 20);
	frame_vlan(f, 0x8100, 30);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_udp(f, 1, 2);
	frame_finish(f);
}

/* A tag whose TCI is there but not the inner ethertype. */
static void b_vlan_trunc(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_vlan(f, 0x8100, 10);
	frame_finish(f);
	frame_resize(f, 16);
}

static void b_ip4_trunc_hdr(struct frame *f)
{
	b_udp4_vm(f);
	frame_resize(f, 14 + 19);
}

/* Total length claims more than the frame holds. */
static void b_ip4_trunc_len(struct frame *f)
{
	b_udp4_vm(f);
	frame_resize(f, f->len - 1);
}

static void b_ip4_bad_ihl(struct frame *f)
{
	b_udp4_vm(f);
	f->buf[14] = 0x44;
}

static void b_ip4_bad_version(struct frame *f)
{
	b_udp4_vm(f);
	f->buf[14] = 0x65;
}

/* Total length shorter than the header itself. */
static void b_ip4_len_lt_ihl(struct frame *f)
{
	b_udp4_vm(f);
	f->buf[14 + 2] = 0;
	f->buf[14 + 3] = 19;
}

/* IHL 15: 40 bytes of options before UDP. */
static void b_ip4_options(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 40);
	frame_udp(f, 1000, 2000);
	frame_payload(f, 32, 1);
	frame_finish(f);
}

/* Options run past the end of the packet (total length = 28, IHL 15). */
static void b_ip4_options_trunc(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 40);
	frame_finish(f);
	f->buf[14 + 3] = 28;
	frame_resize(f, 14 + 28);
}

/* A later fragment has no L4 header: 4 bytes of payload are fine. */
static void b_ip4_later_frag(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_ipproto(f, 17);
	frame_payload(f, 4, 0);
	frame_finish(f);
	frame_ip4_frag(f, 185, false);
}

/* The first fragment must carry the whole L4 header. */
static void b_ip4_first_frag_trunc(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_ipproto(f, 6);
	frame_payload(f, 12, 0);
	frame_finish(f);
	frame_ip4_frag(f, 0, true);
}

static void l4_trunc(struct frame *f, uint8_t proto, size_t have)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_ipproto(f, proto);
	frame_payload(f, have, 0);
	frame_finish(f);
}

static void b_udp_trunc(struct frame *f) { l4_trunc(f, 17, 7); }
static void b_tcp_trunc(struct frame *f) { l4_trunc(f, 6, 19); }
static void b_icmp_trunc(struct frame *f) { l4_trunc(f, 1, 7); }

static void b_tcp_bad_doff(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_tcp(f, 1, 2);
	frame_finish(f);
	f->buf[f->l4_off + 12] = 4 << 4;
}

static void b_icmp_echo(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip4(f, "10.0.0.1", "10.0.0.2", 0);
	frame_icmp(f, 8, 0);
	frame_payload(f, 56, 0);
	frame_finish(f);
}

static void b_ip6_udp(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	frame_udp(f, 1000, 2000);
	frame_payload(f, 64, 1);
	frame_finish(f);
}

static void b_ip6_trunc_hdr(struct frame *f)
{
	b_ip6_udp(f);
	frame_resize(f, 14 + 39);
}

/* Payload length claims more than the frame holds. */
static void b_ip6_trunc_len(struct frame *f)
{
	b_ip6_udp(f);
	frame_resize(f, f->len - 1);
}

static void b_ip6_bad_version(struct frame *f)
{
	b_ip6_udp(f);
	f->buf[14] = 0x40;
}

/* hop-by-hop, routing, destination options, fragment (first), AH, TCP */
static void b_ip6_ext_chain(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	frame_ip6_ext(f, 0, 8);
	frame_ip6_ext(f, 43, 24);
	frame_ip6_ext(f, 60, 16);
	frame_ip6_frag(f, 0, true);
	frame_ip6_ext(f, 51, 24);
	frame_tcp(f, 1000, 22);
	frame_payload(f, 16, 1);
	frame_finish(f);
}

static void b_ip6_later_frag(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	frame_ip6_frag(f, 100, false);
	frame_ipproto(f, 17);
	frame_payload(f, 3, 0);
	frame_finish(f);
}

/* A destination-options header whose length runs past the packet. */
static void b_ip6_ext_trunc_len(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	frame_ip6_ext(f, 60, 16);
	frame_udp(f, 1, 2);
	frame_finish(f);
	f->buf[14 + 40 + 1] = 7; /* claims 64 bytes */
}

/* The packet ends inside the first 8 bytes of an extension header. */
static void b_ip6_ext_trunc_hdr(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	frame_ipproto(f, 0);
	frame_payload(f, 4, 0);
	frame_finish(f);
}

static void b_ip6_ext_depth(struct frame *f)
{
	int i;

	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	for (i = 0; i < XVS_IP6_MAX_EXT + 1; i++)
		frame_ip6_ext(f, 60, 8);
	frame_udp(f, 1, 2);
	frame_finish(f);
}

static void b_ip6_ext_max(struct frame *f)
{
	int i;

	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	for (i = 0; i < XVS_IP6_MAX_EXT; i++)
		frame_ip6_ext(f, 60, 8);
	frame_udp(f, 1, 2);
	frame_finish(f);
}

static void b_icmp6_trunc(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ip6(f, "fd00::1", "fd00::2");
	frame_ipproto(f, 58);
	frame_payload(f, 4, 0);
	frame_finish(f);
}

/* The smallest frame the kernel lets into a test run: a bare header. */
static void b_eth_only(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_finish(f);
}

static void b_ip4_eth_only(struct frame *f)
{
	frame_eth(f, MAC_VM_A, MAC_SRC);
	frame_ethertype(f, 0x0800);
	frame_finish(f);
}

/* ---- the table -------------------------------------------------------- */

#define R(n) XVS_REASON_##n
#define FLOOD_HOST XVS_CFG_F_FLOOD_TO_HOST
#define UNK_SW XVS_CFG_F_UNKNOWN_TO_SWITCH

static const struct fixture fixtures[] = {
	/* forwarding decisions */
	{ "udp4 to VM", b_udp4_vm, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "udp4 to VM, rx queue 3", b_udp4_vm, IN_UPLINK, 3, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE + 3, false },
	{ "udp4 to VM, uplink without entry", b_udp4_vm, IN_BARE, 2, 0, XDP_REDIRECT, R(TO_VM), 2, false },
	{ "ARP to VM", b_arp_vm, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "ICMP echo to VM", b_icmp_echo, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "IPv6 UDP to VM", b_ip6_udp, IN_UPLINK, 1, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE + 1, false },
	{ "1 VLAN tag to VM", b_vlan1_vm, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "2 VLAN tags to VM (outer VID)", b_vlan2_vm, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "VM MAC on another VLAN", b_vlan_mismatch, IN_UPLINK, 0, 0, XDP_PASS, R(UNKNOWN), 0, false },
	{ "broadcast to switch", b_bcast, IN_UPLINK, 2, 0, XDP_REDIRECT, R(FLOOD), UPLINK_XSK_BASE + 2, false },
	{ "IPv4 multicast to switch", b_mcast4, IN_UPLINK, 0, 0, XDP_REDIRECT, R(FLOOD), UPLINK_XSK_BASE, false },
	{ "IPv6 multicast to switch", b_mcast6, IN_UPLINK, 0, 0, XDP_REDIRECT, R(FLOOD), UPLINK_XSK_BASE, false },
	{ "broadcast, flood-to-host", b_bcast, IN_UPLINK, 0, FLOOD_HOST, XDP_PASS, R(FLOOD_HOST), 0, false },
	{ "unknown unicast to host", b_udp4_unknown, IN_UPLINK, 0, 0, XDP_PASS, R(UNKNOWN), 0, false },
	{ "unknown unicast, unknown-to-switch", b_udp4_unknown, IN_UPLINK, 1, UNK_SW, XDP_REDIRECT, R(UNKNOWN_SWITCH), UPLINK_XSK_BASE + 1, false },
	{ "broadcast, flood-to-host, no uplink entry", b_bcast, IN_BARE, 0, FLOOD_HOST, XDP_PASS, R(FLOOD_HOST), 0, false },
	{ "unknown, unknown-to-switch, no uplink entry", b_udp4_unknown, IN_BARE, 3, UNK_SW, XDP_REDIRECT, R(UNKNOWN_SWITCH), 3, false },
	{ "to the host's MAC", b_udp4_host, IN_UPLINK, 0, 0, XDP_PASS, R(NOT_VM), 0, false },
	{ "to a MAC behind the uplink", b_udp4_remote, IN_UPLINK, 0, 0, XDP_PASS, R(NOT_VM), 0, false },
	{ "FDB entry on an unused port", b_udp4_idle, IN_UPLINK, 0, 0, XDP_PASS, R(NOT_VM), 0, false },
	/* MTU and jumbo frames (multi-buffer) */
	{ "frame at VM MTU", b_mtu_exact, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "frame over VM MTU", b_mtu_over, IN_UPLINK, 0, 0, XDP_DROP, R(MTU), 0, false },
	{ "jumbo at VM MTU 9000", b_jumbo_exact, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "jumbo over VM MTU 9000", b_jumbo_over, IN_UPLINK, 0, 0, XDP_DROP, R(MTU), 0, false },
	/* L2 parse failures */
	{ "bare Ethernet header", b_eth_only, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "VLAN tag truncated", b_vlan_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(VLAN_TRUNC), 0, false },
	{ "3 VLAN tags", b_vlan_depth, IN_UPLINK, 0, 0, XDP_DROP, R(VLAN_DEPTH), 0, false },
	/* IPv4 */
	{ "IPv4 ethertype, no header", b_ip4_eth_only, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_TRUNC), 0, false },
	{ "IPv4 header truncated", b_ip4_trunc_hdr, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_TRUNC), 0, false },
	{ "IPv4 total length past end", b_ip4_trunc_len, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_TRUNC), 0, false },
	{ "IPv4 IHL 4", b_ip4_bad_ihl, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_HDR), 0, false },
	{ "IPv4 version 6", b_ip4_bad_version, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_HDR), 0, false },
	{ "IPv4 total length < IHL", b_ip4_len_lt_ihl, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_HDR), 0, false },
	{ "IPv4 with 40 bytes of options", b_ip4_options, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "IPv4 options past total length", b_ip4_options_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(IP4_HDR), 0, false },
	{ "IPv4 later fragment, no L4", b_ip4_later_frag, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "IPv4 first fragment, TCP cut", b_ip4_first_frag_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(L4_TRUNC), 0, false },
	/* L4 */
	{ "UDP header truncated", b_udp_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(L4_TRUNC), 0, false },
	{ "TCP header truncated", b_tcp_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(L4_TRUNC), 0, false },
	{ "TCP data offset 4", b_tcp_bad_doff, IN_UPLINK, 0, 0, XDP_DROP, R(L4_TRUNC), 0, false },
	{ "ICMP header truncated", b_icmp_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(L4_TRUNC), 0, false },
	{ "ICMPv6 header truncated", b_icmp6_trunc, IN_UPLINK, 0, 0, XDP_DROP, R(L4_TRUNC), 0, false },
	/* IPv6 */
	{ "IPv6 header truncated", b_ip6_trunc_hdr, IN_UPLINK, 0, 0, XDP_DROP, R(IP6_TRUNC), 0, false },
	{ "IPv6 payload length past end", b_ip6_trunc_len, IN_UPLINK, 0, 0, XDP_DROP, R(IP6_TRUNC), 0, false },
	{ "IPv6 version 4", b_ip6_bad_version, IN_UPLINK, 0, 0, XDP_DROP, R(IP6_HDR), 0, false },
	{ "IPv6 5 extension headers + TCP", b_ip6_ext_chain, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "IPv6 8 extension headers", b_ip6_ext_max, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	{ "IPv6 9 extension headers", b_ip6_ext_depth, IN_UPLINK, 0, 0, XDP_DROP, R(IP6_EXT_DEPTH), 0, false },
	{ "IPv6 ext header length past end", b_ip6_ext_trunc_len, IN_UPLINK, 0, 0, XDP_DROP, R(IP6_EXT_TRUNC), 0, false },
	{ "IPv6 ext header cut", b_ip6_ext_trunc_hdr, IN_UPLINK, 0, 0, XDP_DROP, R(IP6_EXT_TRUNC), 0, false },
	{ "IPv6 later fragment, no L4", b_ip6_later_frag, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	/* queues dedicated to one VM (zero-copy): its frames, nothing else */
	{ "zc: udp4 to its VM", b_udp4_vm, IN_UPLINK, ZC_A_RXQ, 0, XDP_REDIRECT, R(ZC_TO_VM), ZC_A_SLOT, false },
	{ "zc: ARP to its VM", b_arp_vm, IN_UPLINK, ZC_A_RXQ, 0, XDP_REDIRECT, R(ZC_TO_VM), ZC_A_SLOT, false },
	{ "zc: frame at its VM's MTU", b_mtu_exact, IN_UPLINK, ZC_A_RXQ, 0, XDP_REDIRECT, R(ZC_TO_VM), ZC_A_SLOT, false },
	{ "zc: frame over its VM's MTU", b_mtu_over, IN_UPLINK, ZC_A_RXQ, 0, XDP_DROP, R(MTU), 0, false },
	{ "zc: tagged, to its VM, tag removed", b_vlan1_vm, IN_UPLINK, ZC_B_RXQ, 0, XDP_REDIRECT, R(ZC_TO_VM), ZC_B_SLOT, true },
	{ "zc: 2 tags, outer removed", b_vlan2_vm, IN_UPLINK, ZC_B_RXQ, 0, XDP_REDIRECT, R(ZC_TO_VM), ZC_B_SLOT, true },
	{ "zc: tagged at MTU (the tag not counted)", b_vlan1_vm_max, IN_UPLINK, ZC_B_RXQ, 0, XDP_REDIRECT, R(ZC_TO_VM), ZC_B_SLOT, true },
	{ "zc: tagged over MTU", b_vlan1_vm_over, IN_UPLINK, ZC_B_RXQ, 0, XDP_DROP, R(MTU), 0, false },
	{ "zc: another VM's unicast", b_vlan1_vm, IN_UPLINK, ZC_A_RXQ, 0, XDP_PASS, R(ZC_OTHER), 0, false },
	{ "zc: its VM's MAC, other VLAN", b_vlan_mismatch, IN_UPLINK, ZC_B_RXQ, 0, XDP_PASS, R(ZC_OTHER), 0, false },
	{ "zc: unknown unicast", b_udp4_unknown, IN_UPLINK, ZC_A_RXQ, UNK_SW, XDP_PASS, R(ZC_OTHER), 0, false },
	{ "zc: to the host", b_udp4_host, IN_UPLINK, ZC_A_RXQ, 0, XDP_PASS, R(ZC_OTHER), 0, false },
	{ "zc: behind the uplink", b_udp4_remote, IN_UPLINK, ZC_A_RXQ, 0, XDP_PASS, R(ZC_OTHER), 0, false },
	{ "zc: broadcast", b_bcast, IN_UPLINK, ZC_A_RXQ, 0, XDP_PASS, R(ZC_FLOOD), 0, false },
	{ "zc: multicast", b_mcast6, IN_UPLINK, ZC_B_RXQ, 0, XDP_PASS, R(ZC_FLOOD), 0, false },
	{ "zc: malformed still dropped", b_ip4_bad_ihl, IN_UPLINK, ZC_A_RXQ, 0, XDP_DROP, R(IP4_HDR), 0, false },
	{ "zc queue id on a bare interface: ordinary", b_udp4_vm, IN_BARE, ZC_A_RXQ, 0, XDP_REDIRECT, R(TO_VM), ZC_A_RXQ, false },
};

/* The firewall: rules bound to VM A's to-vm while the fixture runs. */
struct fw_fixture {
	struct fixture fx;
	__u32 port; /* whose firewall counters move */
	enum xvs_fw_reason fw_reason;
	__u64 judged; /* how many runs it decides (a redirect runs twice) */
};

static const struct fw_fixture fw_fixtures[] = {
	{ .fx = { "firewall drops UDP to VM A", b_udp4_vm, IN_UPLINK, 0, 0, XDP_DROP, R(FW_DROP), 0, false },
	  .port = 1, .fw_reason = XVS_FW_RULE_DROP, .judged = 1 },
	{ .fx = { "firewall rejects ICMP echo to VM A", b_icmp_echo, IN_UPLINK, 0, 0, XDP_DROP, R(FW_REJECT), 0, false },
	  .port = 1, .fw_reason = XVS_FW_RULE_REJECT, .judged = 1 },
	/* no ports in it: the UDP port rule cannot drop it, the default allows */
	{ .fx = { "firewall allows a later UDP fragment to VM A", b_ip4_later_frag, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	  .port = 1, .fw_reason = XVS_FW_DEFAULT_ALLOW, .judged = 2 },
	{ .fx = { "firewall of VM A does not judge VM B's UDP", b_vlan1_vm, IN_UPLINK, 0, 0, XDP_REDIRECT, R(TO_VM), UPLINK_XSK_BASE, false },
	  .port = 1, .fw_reason = XVS_FW_RULE_DROP, .judged = 0 },
	{ .fx = { "zc: firewall drops UDP to its VM", b_udp4_vm, IN_UPLINK, ZC_A_RXQ, 0, XDP_DROP, R(FW_DROP), 0, false },
	  .port = 1, .fw_reason = XVS_FW_RULE_DROP, .judged = 1 },
	{ .fx = { "zc: firewall rejects ICMP echo to its VM", b_icmp_echo, IN_UPLINK, ZC_A_RXQ, 0, XDP_DROP, R(FW_REJECT), 0, false },
	  .port = 1, .fw_reason = XVS_FW_RULE_REJECT, .judged = 1 },
};

/* ---- running ---------------------------------------------------------- */

static void read_stats(struct xvs_counter out[XVS_STAT_MAX])
{
	struct xvs_counter *pc = calloc((size_t)ncpu, sizeof(*pc));
	int fd = bpf_map__fd(skel->maps.xvs_stats);
	__u32 i;
	int c;

	assert_non_null(pc);
	for (i = 0; i < XVS_STAT_MAX; i++) {
		assert_int_equal(bpf_map_lookup_elem(fd, &i, pc), 0);
		out[i] = (struct xvs_counter){ 0 };
		for (c = 0; c < ncpu; c++) {
			out[i].packets += pc[c].packets;
			out[i].bytes += pc[c].bytes;
		}
	}
	free(pc);
}

/* The flags live in the uplink's own entry for IN_UPLINK and in the
 * switch-wide xvs_cfg for an interface without one (IN_BARE); each fixture
 * sets only the one its ingress uses, so a program reading the wrong one
 * fails. */
static void set_cfg(enum ingress in, __u32 flags)
{
	struct xvs_uplink up = { .xsk_base = UPLINK_XSK_BASE, .port = 6 };
	struct xvs_cfg c = { 0 };
	__u32 zero = 0, key = (__u32)ifindex[IN_UPLINK];

	if (in == IN_UPLINK)
		up.flags = flags;
	else
		c.flags = flags;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_cfg), &zero, &c, 0), 0);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_uplinks), &key, &up, 0), 0);
}

static void set_slot(__u32 slot, bool present)
{
	int fd = bpf_map__fd(skel->maps.xvs_xsks), xfd = xsk_socket__fd(xsk);

	if (present)
		assert_int_equal(bpf_map_update_elem(fd, &slot, &xfd, 0), 0);
	else
		bpf_map_delete_elem(fd, &slot);
}

static int fallback_action(enum xvs_reason hit, enum xvs_reason *miss)
{
	if (hit == XVS_REASON_ZC_TO_VM) {
		*miss = XVS_REASON_ZC_DOWN;
		return XDP_DROP;
	}
	*miss = hit == XVS_REASON_TO_VM ? XVS_REASON_NO_XSK : XVS_REASON_NO_XSK_PASS;
	return hit == XVS_REASON_TO_VM ? XDP_DROP : XDP_PASS;
}

/* The FDB's port for the frame's destination (and outer VLAN). */
static __u32 fdb_port_of(const struct frame *f)
{
	struct xvs_fdb_key k = { 0 };
	struct xvs_fdb_val v;
	__u16 type = (__u16)(f->buf[12] << 8 | f->buf[13]);

	if (type == 0x8100 || type == 0x88a8)
		k.vlan = (__u16)((f->buf[14] << 8 | f->buf[15]) & 0xfff);
	memcpy(k.mac, f->buf, 6);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvs_fdb), &k, &v))
		return XVS_META_NONE;
	return v.port;
}

/* One test run; checks action, that exactly one verdict and one reason
 * counter moved by one frame, and that the frame came out untouched (or,
 * `popped`, exactly without its outer VLAN tag). */
static void run_once(const struct fixture *fx, const struct frame *f, int action,
		     enum xvs_reason reason)
{
	static __u8 out[FRAME_MAX];
	struct xvs_counter before[XVS_STAT_MAX], after[XVS_STAT_MAX];
	struct xdp_md md = {
		.data_end = (__u32)f->len,
		.ingress_ifindex = (__u32)ifindex[fx->in],
		.rx_queue_index = fx->rxq,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->buf, .data_size_in = (__u32)f->len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &md,
		    .ctx_size_in = sizeof(md), .repeat = 1);
	__u32 vidx = XVS_STAT_VERDICT(xvs_reason_verdict(reason)), ridx = XVS_STAT_REASON(reason);
	__u32 i;

	read_stats(before);
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xvs_xdp), &o), 0);
	read_stats(after);

	if ((int)o.retval != action || after[ridx].packets != before[ridx].packets + 1)
		print_error("%s: got action %u, expected %d (%s)\n", fx->name, o.retval, action,
			    xvs_reason_names[reason]);
	assert_int_equal(o.retval, action);
	for (i = 0; i < XVS_STAT_MAX; i++) {
		__u64 want = (i == vidx || i == ridx) ? 1 : 0;

		if (after[i].packets - before[i].packets != want)
			print_error("%s: counter %u moved by %llu, expected %llu\n", fx->name, i,
				    (unsigned long long)(after[i].packets - before[i].packets),
				    (unsigned long long)want);
		assert_int_equal(after[i].packets - before[i].packets, want);
		assert_int_equal(after[i].bytes - before[i].bytes, want * f->len);
	}
	/* what went through the switch's socket (or would have) carries the
	 * metadata: whose firewall passed it */
	if (reason == XVS_REASON_TO_VM || reason == XVS_REASON_NO_XSK ||
	    reason == XVS_REASON_FLOOD || reason == XVS_REASON_UNKNOWN_SWITCH ||
	    reason == XVS_REASON_NO_XSK_PASS) {
		struct xvs_meta m;
		__u16 want = XVS_META_NONE;

		if (reason == XVS_REASON_TO_VM || reason == XVS_REASON_NO_XSK)
			want = (__u16)fdb_port_of(f);
		assert_int_equal(o.data_size_out, f->len + sizeof(m));
		memcpy(&m, out, sizeof(m));
		assert_int_equal(m.magic, XVS_META_MAGIC);
		assert_int_equal(m.judged, want);
		assert_int_equal(m.len, (__u16)f->len);
		assert_memory_equal(out + sizeof(m), f->buf, f->len);
		return;
	}
	if (fx->popped) {
		assert_int_equal(o.data_size_out, f->len - 4);
		assert_memory_equal(out, f->buf, 12);
		assert_memory_equal(out + 12, f->buf + 16, f->len - 16);
		return;
	}
	assert_int_equal(o.data_size_out, f->len);
	assert_memory_equal(out, f->buf, f->len);
}

static void run_fixture(void **state)
{
	const struct fixture *fx = *state;
	static struct frame f;
	enum xvs_reason miss;
	int fallback;

	frame_init(&f);
	fx->build(&f);
	assert_int_equal(f.err, 0);
	set_cfg(fx->in, fx->cfg);

	if (fx->action == XDP_REDIRECT) {
		set_slot(fx->slot, true);
		run_once(fx, &f, XDP_REDIRECT, fx->reason);
		set_slot(fx->slot, false);
		fallback = fallback_action(fx->reason, &miss);
		run_once(fx, &f, fallback, miss);
	} else {
		/* a socket in every slot the frame could hit must not matter */
		set_slot(UPLINK_XSK_BASE + fx->rxq, true);
		set_slot(fx->rxq, true);
		run_once(fx, &f, fx->action, fx->reason);
		set_slot(UPLINK_XSK_BASE + fx->rxq, false);
		set_slot(fx->rxq, false);
	}
}

/* VM A's to-vm in bank 0: UDP to port 2000 dropped, ICMP echo rejected,
 * the rest allowed (default); no state. on = false: all of it cleared. */
static void fw_arm(bool on)
{
	struct xvs_acl_rule r[3] = {
		{ .match = XVS_ACL_M_PROTO | XVS_ACL_M_DPORT, .action = XVS_ACL_DROP, .proto = 17,
		  .dport_lo = 2000, .dport_hi = 2000 },
		{ .match = XVS_ACL_M_FAMILY | XVS_ACL_M_PROTO | XVS_ACL_M_ICMP_TYPE,
		  .action = XVS_ACL_REJECT, .family = 4, .proto = 1, .icmp_type = 8, .pos = 1 },
		{ .action = XVS_ACL_ALLOW, .flags = XVS_ACL_F_DEFAULT, .pos = 2 },
	};
	struct xvs_acl_bind b = { .first = 0, .count = 3 };
	struct xvs_fw_cfg c = { .flags = XVS_FW_CFG_F_ON, .ct_mask = XVS_CT_SIZE - 1, .seed = 1 };
	__u32 i, idx;

	if (!on) {
		memset(r, 0, sizeof(r));
		b = (struct xvs_acl_bind){ 0 };
		c = (struct xvs_fw_cfg){ 0 };
	}
	for (i = 0; i < 3; i++) {
		idx = XVS_ACL_RULE_IDX(0, i);
		assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_acl), &idx, &r[i], 0), 0);
	}
	idx = XVS_ACL_BIND_IDX(0, 1, XVS_FW_TO_VM);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_acl_bind), &idx, &b, 0), 0);
	idx = 0;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_fw_cfg), &idx, &c, 0), 0);
}

static __u64 fw_count(__u32 port, enum xvs_fw_reason reason)
{
	struct xvs_counter *pc = calloc((size_t)ncpu, sizeof(*pc));
	__u32 idx = XVS_FW_STAT_IDX(port, XVS_FW_TO_VM, reason);
	__u64 n = 0;
	int c;

	assert_non_null(pc);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.xvs_fw_stats), &idx, pc), 0);
	for (c = 0; c < ncpu; c++)
		n += pc[c].packets;
	free(pc);
	return n;
}

/* A fixture with the firewall armed: the frame's reason as in the table,
 * and the firewall's own counter of the port moved once per judged run. */
static void run_fw_fixture(void **state)
{
	const struct fw_fixture *ff = *state;
	void *fx = (void *)&ff->fx;
	__u64 before[XVS_FW_REASON_MAX];
	int r;

	for (r = 0; r < XVS_FW_REASON_MAX; r++)
		before[r] = fw_count(ff->port, (enum xvs_fw_reason)r);
	fw_arm(true);
	run_fixture(&fx);
	fw_arm(false);
	for (r = 0; r < XVS_FW_REASON_MAX; r++)
		assert_int_equal(fw_count(ff->port, (enum xvs_fw_reason)r) - before[r],
				 r == (int)ff->fw_reason ? ff->judged : 0);
}

/* The kernel refuses test-run input shorter than an Ethernet header, so
 * the RUNT path is exercised by the parser's unit test (same code). */
static void runt_refused_by_kernel(void **state)
{
	__u8 buf[13] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = buf, .data_size_in = sizeof(buf));

	(void)state;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xvs_xdp), &o),
			 -EINVAL);
}

/* A frame put straight into a VM's memory still teaches the switch its
 * source: (vlan, source) → the uplink's port in xvs_learn, once; frames
 * that go elsewhere teach nothing there. */
static void zc_frames_teach_their_source(void **state)
{
	const struct fixture *to_b = NULL, *other = NULL;
	struct xvs_fdb_key k = { .vlan = 10 };
	struct xvs_fdb_val v;
	int fd = bpf_map__fd(skel->maps.xvs_learn);
	static struct frame f;
	size_t i;

	(void)state;
	for (i = 0; i < XVS_ARRAY_SIZE(fixtures); i++) {
		if (!strcmp(fixtures[i].name, "zc: tagged, to its VM, tag removed"))
			to_b = &fixtures[i];
		if (!strcmp(fixtures[i].name, "zc: another VM's unicast"))
			other = &fixtures[i];
	}
	assert_non_null(to_b);
	assert_non_null(other);
	memcpy(k.mac, MAC_SRC, 6);
	bpf_map_delete_elem(fd, &k);
	set_cfg(IN_UPLINK, 0);
	frame_init(&f);
	other->build(&f);
	run_once(other, &f, other->action, other->reason);
	assert_int_not_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	set_slot(to_b->slot, true);
	frame_init(&f);
	to_b->build(&f);
	run_once(to_b, &f, XDP_REDIRECT, to_b->reason);
	set_slot(to_b->slot, false);
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	assert_int_equal(v.port, 6); /* the uplink entry's port */
	bpf_map_delete_elem(fd, &k);
}

/* ---- fw-reject: reasons covered by tests/bpf/test_fw_reply.c ---------- */
/* FW_REJECT_SENT needs a rule set and checks the answer's bytes, which the
 * table (frame in, the same frame out) cannot express. */
static const enum xvs_reason covered_by_test_fw_reply[] = {
	XVS_REASON_FW_REJECT_SENT,
};
/* ---- end fw-reject ------------------------------------------------------ */

/* Every reason that a frame can cause appears in the table (RUNT: see
 * runt_refused_by_kernel; NO_XSK*: second run of redirect fixtures; the
 * answers to rejected frames: test_fw_reply). */
static void table_covers_every_reason(void **state)
{
	bool seen[XVS_REASON_MAX] = { 0 };
	enum xvs_reason miss;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < XVS_ARRAY_SIZE(fixtures) + XVS_ARRAY_SIZE(fw_fixtures); i++) {
		const struct fixture *fx = i < XVS_ARRAY_SIZE(fixtures) ?
						   &fixtures[i] :
						   &fw_fixtures[i - XVS_ARRAY_SIZE(fixtures)].fx;

		seen[fx->reason] = true;
		if (fx->action == XDP_REDIRECT) {
			fallback_action(fx->reason, &miss);
			seen[miss] = true;
		}
	}
	seen[XVS_REASON_RUNT] = true;
	for (i = 0; i < XVS_ARRAY_SIZE(covered_by_test_fw_reply); i++)
		seen[covered_by_test_fw_reply[i]] = true;
	for (r = 1; r < XVS_REASON_MAX; r++) {
		if (!seen[r])
			print_error("no fixture for reason %s\n", xvs_reason_names[r]);
		assert_true(seen[r]);
	}
}

/* ---- setup ------------------------------------------------------------ */

static int fdb_add(const uint8_t *mac, __u16 vlan, __u32 port)
{
	struct xvs_fdb_key k = { .vlan = vlan };
	struct xvs_fdb_val v = { .port = port, .flags = XVS_FDB_F_STATIC };

	memcpy(k.mac, mac, 6);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_fdb), &k, &v, 0);
}

static int port_set(__u32 idx, __u32 kind, __u32 mtu)
{
	struct xvs_port p = { .kind = kind, .mtu = mtu };

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_ports), &idx, &p, 0);
}

static int zcq_set(__u32 slot, __u32 port, __u32 max_len)
{
	struct xvs_zcq z = { .port = port, .flags = XVS_ZCQ_F_ON, .max_len = max_len };

	return bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_zcq), &slot, &z, 0);
}

static int make_xsk(void)
{
	const size_t frames = 64, fsz = XSK_UMEM__DEFAULT_FRAME_SIZE;
	struct xsk_socket_config cfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	int err;

	umem_area = mmap(NULL, frames * fsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (umem_area == MAP_FAILED)
		return -errno;
	err = xsk_umem__create(&umem, umem_area, frames * fsz, &fq, &cq, NULL);
	if (err)
		return err;
	return xsk_socket__create(&xsk, IF_BARE, 0, umem, &rxr, NULL, &cfg);
}

static int group_setup(void **state)
{
	struct xvs_uplink up = { .xsk_base = UPLINK_XSK_BASE, .port = 6 };
	struct bpf_map *map;
	__u32 key;
	int err;

	(void)state;
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s (need root)\n", strerror(errno));
		return -1;
	}
	if (system("ip link set lo up && ip link add " IF_UPLINK " numtxqueues 6 numrxqueues 6 "
		   "type veth peer name " IF_BARE " numtxqueues 6 numrxqueues 6 && "
		   "ip link set " IF_UPLINK " up && ip link set " IF_BARE " up")) {
		fprintf(stderr, "cannot create the test veth pair\n");
		return -1;
	}
	ifindex[IN_UPLINK] = (int)if_nametoindex(IF_UPLINK);
	ifindex[IN_BARE] = (int)if_nametoindex(IF_BARE);
	ncpu = libbpf_num_possible_cpus();

	skel = xvs_xdp__open();
	if (!skel)
		return -1;
	/* The test's maps are its own: no pinning into the host's bpffs. */
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = xvs_xdp__load(skel);
	if (err) {
		fprintf(stderr, "loading xvs_xdp: %s\n", strerror(-err));
		return -1;
	}
	err = make_xsk();
	if (err) {
		fprintf(stderr, "creating the AF_XDP socket: %s\n", strerror(-err));
		return -1;
	}
	key = (__u32)ifindex[IN_UPLINK];
	err = bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_uplinks), &key, &up, 0);
	err = err ?: port_set(1, XVS_PORT_VHOST, VM_A_MTU);
	err = err ?: port_set(2, XVS_PORT_VHOST, VM_B_MTU);
	err = err ?: port_set(3, XVS_PORT_HOST, 0);
	err = err ?: port_set(4, XVS_PORT_UPLINK, 0);
	err = err ?: fdb_add(MAC_VM_A, XVS_VLAN_NONE, 1);
	err = err ?: fdb_add(MAC_VM_B, 10, 2);
	err = err ?: fdb_add(MAC_HOST, XVS_VLAN_NONE, 3);
	err = err ?: fdb_add(MAC_REMOTE, XVS_VLAN_NONE, 4);
	err = err ?: fdb_add(MAC_IDLE, XVS_VLAN_NONE, 5);
	err = err ?: zcq_set(ZC_A_SLOT, 1, VM_A_MTU + 14);
	err = err ?: zcq_set(ZC_B_SLOT, 2, VM_B_MTU + 14);
	/* an entry without XVS_ZCQ_F_ON is no dedication */
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.xvs_zcq), &(__u32){ UPLINK_XSK_BASE },
					 &(struct xvs_zcq){ .port = 2, .max_len = 60 }, 0);
	if (err) {
		fprintf(stderr, "populating maps: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	xvs_xdp__destroy(skel);
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[XVS_ARRAY_SIZE(fixtures) + XVS_ARRAY_SIZE(fw_fixtures) + 3];
	size_t i, n = 0;

	for (i = 0; i < XVS_ARRAY_SIZE(fixtures); i++)
		tests[n++] = (struct CMUnitTest){ .name = fixtures[i].name,
						  .test_func = run_fixture,
						  .initial_state = (void *)&fixtures[i] };
	for (i = 0; i < XVS_ARRAY_SIZE(fw_fixtures); i++)
		tests[n++] = (struct CMUnitTest){ .name = fw_fixtures[i].fx.name,
						  .test_func = run_fw_fixture,
						  .initial_state = (void *)&fw_fixtures[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(runt_refused_by_kernel);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(table_covers_every_reason);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(zc_frames_teach_their_source);
	return _cmocka_run_group_tests("xvs_xdp", tests, n, group_setup, group_teardown);
}
