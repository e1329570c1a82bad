/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * spoof: anti-spoofing of the frames a VM sends. A port may send only from
 * its own MAC and addresses, and may not pretend to be the network's
 * infrastructure (a DHCP server, a router).
 *
 * The forwarder copies the first bytes of a frame out of guest memory (at
 * most 256, or the whole frame), parses the copy with xvs_parse() and, if
 * that succeeded, calls spoof_check() on the copy: never on guest memory,
 * which the guest could rewrite between the check and the send. A field
 * the check must read that is not in the copy counts as truncated: the
 * frame is refused.
 *
 * What is allowed, with the policy on (the model is OpenStack port
 * security as OVN implements it and libvirt's clean-traffic filter, with
 * the RFCs for the details):
 *
 *  - Ethernet: source = the port's MAC (configured, or learned); never a
 *    group address. Other ethertypes than ARP, IPv4 and IPv6: nothing else
 *    is checked. Tagged frames are refused (the forwarder drops them
 *    before; refusing them here keeps the check from reading the wrong
 *    header).
 *  - ARP (IPv4 over Ethernet only): request or reply, sender hardware
 *    address = the port's MAC, sender IP = an address of the port. That
 *    covers replies and gratuitous announcements (sender = target IP),
 *    whose only claim is the sender. Sender 0.0.0.0 only in a probe (RFC
 *    5227: a request), and a probe's target must be an address of the
 *    port: probing for another host's address makes that host, if it is
 *    probing too, give the address up (RFC 5227 2.1.1).
 *  - IPv4: source = an address of the port. 0.0.0.0 only for a DHCP client
 *    message: unfragmented UDP 68 -> 67 to 255.255.255.255 (what a client
 *    sends before it has a lease: DISCOVER, REQUEST in SELECTING or
 *    INIT-REBOOT, DECLINE). Sources no host can own (0/8, 127/8, 224/4
 *    and above) are refused even when a configured prefix covers them.
 *  - IPv6: source = an address of the port. :: only for what Linux sends
 *    while its addresses are tentative: duplicate address detection, a
 *    neighbor solicitation to the target's solicited-node group with no
 *    source link-layer address option (RFC 4861 7.2.2; the nonce of RFC
 *    7527, on by default, is fine) and a target that is an address of the
 *    port (the same DoS as an ARP probe: a DAD NS for another host's
 *    tentative address makes it give that address up); and MLD listener
 *    messages (131 and 143 reports, 132 done) to a multicast group, which
 *    the kernel sends from :: while it has no valid link-local address
 *    (RFC 3810 5.2.13: it joins the solicited-node groups of the tentative
 *    addresses). Everything else from ::, router solicitations included
 *    (Linux sends those from its link-local address only, after DAD), is
 *    refused. Sources no host can own (::1, ff00::/8, ::ffff:0:0/96) are
 *    refused even when a configured prefix covers them.
 *  - Link-local: a VM always needs one. The EUI-64 address derived from
 *    the port's MAC (fe80::/64, the MAC's universal/local bit inverted,
 *    ff:fe in the middle: what the kernel makes with addr_gen_mode eui64,
 *    its default) is always an address of the port, as OVN does. Guests
 *    that generate another one (NetworkManager's stable-privacy default)
 *    need it configured, or learn on with no IPv6 address configured: then
 *    the first link-local the VM sends from is kept too. A family with
 *    addresses listed learns nothing, link-local included (else a VM could
 *    take its router's fe80::1).
 *  - Neighbor discovery: every source/target link-layer address option of
 *    a router solicitation, neighbor solicitation or advertisement must
 *    be the port's MAC; an advertisement's target must be an address of
 *    the port (its claim, like an ARP reply's sender); the target of an
 *    ordinary solicitation is the neighbor asked for and is not checked.
 *    Options must be well formed (no zero length, none past the message)
 *    and all in the copy; such messages must not be fragmented (RFC 6980,
 *    and a later fragment could carry options nobody looked at).
 *  - Routers: router advertisements (134) and redirects (137) are refused
 *    unless router_adv; then they are not looked into (a router's RA may
 *    be longer than the copy).
 *  - DHCP servers, unless dhcp_server: IPv4 UDP from port 67 or to port
 *    68 (clients filter on their destination port only, so a server
 *    message need not come from 67), and to port 67 anything but a
 *    BOOTREQUEST (a reply to a relay); IPv6 UDP from 547 or to 546, and to
 *    547 anything but a client message of RFC 8415 (SOLICIT, REQUEST,
 *    CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFORMATION-REQUEST): relay
 *    and server messages are refused.
 *
 * "An address of the port": in the configured list of its family, or the
 * learned one, or (link-local) the EUI-64 one or the learned link-local.
 * With no address configured for a family and learn off, the family is
 * closed: nothing but the :: / 0.0.0.0 cases above passes. The same for
 * the MAC: have_mac off and learn off refuses every frame.
 *
 * Learning (learn on): a family with nothing configured, and the MAC if
 * none is configured, take the first valid-looking source the VM uses: a
 * unicast, non-zero MAC from the Ethernet header; an IPv4 address from an
 * IPv4 source or an ARP sender (never 0.0.0.0 or another address no host
 * can own); an IPv6 address from a source other than :: (link-local ones
 * into their own slot). A source is kept as soon as its own check passes,
 * even if a later check refuses the frame. Until a family has learned its
 * address, an ARP probe or a DAD solicitation may target any valid
 * address: the VM probes an address before it first sends from it, and
 * the probe may fail, so the target is not learned. A neighbor
 * advertisement's target must already be an address of the port.
 *
 * Concurrency: the policy is written by the control thread and only read
 * by the workers; it is changed, and the state reset, while no worker
 * checks frames of the port (after the port or its policy is unpublished
 * and dp_sync() returned), as any change of a port. The state is shared
 * by all the port's workers (several TX queues): spoof_check() reads it
 * with no lock; learning takes a spin lock in the state, only while the
 * slot is empty, with a bounded wait: a frame that cannot get it soon
 * enough is judged as if nothing were learned (refused). A slot's bytes
 * are written once, before its bit in `have` (release); readers load
 * `have` (acquire) and read only the slots it has.
 *
 * Hot path: no allocation, no system call, no log; loops are bounded by
 * SPOOF_MAX_ADDRS and SPOOF_ND_MAX_OPTS.
 */
#ifndef XVS_FW_SPOOF_H
#define XVS_FW_SPOOF_H

#include <stdbool.h>
#include <stdint.h>

#include <xvs/parse.h>

/* An address or prefix: network order, host bits zero. family 4 or 6. */
struct spoof_cidr {
	uint8_t family;
	uint8_t plen;
	uint8_t addr[16];
};

#define SPOOF_MAX_ADDRS 16
/* Options of one ND message looked at; a message with more is refused. */
#define SPOOF_ND_MAX_OPTS 32

/* Set by the control thread; read-only for workers. */
struct spoof_policy {
	bool on;
	bool have_mac;
	uint8_t mac[6];
	/* a family (or the MAC) with nothing configured takes the first one
	 * the VM uses */
	bool learn;
	int n_ip4;
	struct spoof_cidr ip4[SPOOF_MAX_ADDRS];
	int n_ip6;
	struct spoof_cidr ip6[SPOOF_MAX_ADDRS];
	bool dhcp_server; /* allow DHCP/DHCPv6 server messages from the VM */
	bool router_adv; /* allow router advertisements and ICMPv6 redirects from the VM */
};

/* Why a frame was refused. X(name, description). */
#define SPOOF_REASONS(X)                                                                           \
	X(SRC_MAC, "Ethernet source is not the port's MAC")                                       \
	X(IP4_SRC, "IPv4 source is not an address of the port")                                   \
	X(IP6_SRC, "IPv6 source is not an address of the port")                                   \
	X(ARP, "ARP sender not the port's, a probe for another address, or ARP malformed")       \
	X(ND, "neighbor discovery claiming an address or MAC not the port's, or malformed")       \
	X(DHCP_SERVER, "DHCP or DHCPv6 server or relay message from the VM")                      \
	X(RA, "router advertisement or redirect from the VM")                                     \
	X(VLAN, "VLAN-tagged frame from the VM")                                                  \
	X(TRUNC, "a header the check reads is not in the copied bytes")

enum spoof_reason {
	SPOOF_OK = 0,
#define SPOOF_X(name, desc) SPOOF_##name,
	SPOOF_REASONS(SPOOF_X)
#undef SPOOF_X
	SPOOF_REASON_MAX
};

/* "ok", then the names as in the table ("SRC_MAC", ...), and descriptions. */
extern const char *const spoof_reason_names[SPOOF_REASON_MAX];
extern const char *const spoof_reason_descs[SPOOF_REASON_MAX];

/* What a state has learned: bits of spoof_state.have and of spoof_learned(). */
enum spoof_learned_flags {
	SPOOF_LEARNED_MAC = 1u << 0,
	SPOOF_LEARNED_IP4 = 1u << 1,
	SPOOF_LEARNED_IP6 = 1u << 2, /* not link-local */
	SPOOF_LEARNED_LL6 = 1u << 3, /* link-local */
};

/*
 * Per port: what was learned; shared by the port's workers. All zero is
 * the empty state. One cache line; it is written a handful of times in
 * the port's life and read for every frame.
 */
struct spoof_state {
	uint32_t lock; /* learners and spoof_state_reset() */
	uint32_t have; /* enum spoof_learned_flags; set under lock (release), read with acquire */
	uint8_t mac[6]; /* each slot written once under lock, before its bit */
	uint8_t ip4[4];
	uint8_t ip6[16];
	uint8_t ll6[16];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct spoof_state) == 64, "spoof_state: one cache line");

/*
 * Judge one frame a VM sends: 0 (allowed) or an enum spoof_reason. pkt is
 * the result of a successful xvs_parse() of frame, the caplen bytes copied
 * out of guest memory. Learns into s (see above).
 */
int spoof_check(const struct spoof_policy *p, struct spoof_state *s, const struct xvs_pkt *pkt,
		const uint8_t *frame, uint32_t caplen);

/* Forget what was learned (control thread; see Concurrency above). */
void spoof_state_reset(struct spoof_state *s);

/*
 * What s has learned, for the control thread to show: returns the
 * enum spoof_learned_flags set, and fills the arguments of those set (any
 * may be NULL). ip6 is the learned address other than link-local, ll6 the
 * learned link-local; both with plen 128, ip4 with 32.
 */
int spoof_learned(const struct spoof_state *s, uint8_t mac[6], struct spoof_cidr *ip4,
		  struct spoof_cidr *ip6, struct spoof_cidr *ll6);

/* A policy as the control thread builds it: 0, or -EINVAL if a list is
 * too long, a CIDR's family, prefix length or host bits are wrong, or the
 * MAC is a group or zero address. spoof_check() stays bounded and safe on
 * any policy, but judges a wrong one by rules nobody meant. */
int spoof_policy_validate(const struct spoof_policy *p);

#endif /* XVS_FW_SPOOF_H */
