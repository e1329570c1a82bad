// SPDX-License-Identifier: GPL-2.0-only
/*
 * xvs-vufront: a vhost-user front-end for testing and benchmarking
 * vhost-user net back-ends without a guest. See README.md.
 *
 *	xvs-vufront --connect /tmp/b.sock --expect 100000 --timeout 20 &
 *	xvs-vufront --connect /tmp/a.sock --send 100000 --rate 200000
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "args.h"
#include "frame.h"
#include "vufront.h"

#define VF_DEF_RING 256
#define VF_DEF_MEM_MIB 64
#define VF_DEF_SIZE 60
#define VF_DEF_BURST 32
#define VF_DEF_TIMEOUT 10.0
#define VF_DEF_TX_WAIT_MS 1000
#define VF_DEF_EVIL_WAIT_MS 1000
#define VF_DEF_SPIN_US 50
#define VF_DEF_CYCLE_EVERY_MS 500
#define VF_DEF_CYCLE_HOLD_MS 300
#define VF_DEF_MAC "02:00:00:00:00:01"
#define VF_DEF_DST "ff:ff:ff:ff:ff:ff"
#define VF_EXIT_USAGE 2

enum {
	OPT_MEM = 256,
	OPT_REGIONS,
	OPT_NO_EVENT_IDX,
	OPT_NO_INDIRECT,
	OPT_NO_MRG_RXBUF,
	OPT_MAC,
	OPT_DST,
	OPT_RATE,
	OPT_TX_LAYOUT,
	OPT_BURST,
	OPT_DELAY,
	OPT_TX_WAIT,
	OPT_RX_BUF,
	OPT_ECHO,
	OPT_BUSY,
	OPT_SPIN,
	OPT_EVIL,
	OPT_EVIL_WAIT,
	OPT_EVIL_REPEAT,
	OPT_EVIL_FD,
	OPT_EXPECT_DISCONNECT,
	OPT_TX_VLAN,
	OPT_TX_TPID,
	OPT_SRC_VARY,
	OPT_MEM_SEAL,
	OPT_CANARY,
	OPT_ZC_CYCLE,
	OPT_ZC_CYCLES,
	OPT_ZC_EVERY,
	OPT_ZC_HOLD,
	OPT_PROTO,
	OPT_IPV6,
	OPT_OFFLOADS,
	OPT_GSO,
	OPT_TX_CSUM,
	OPT_TX_FRAG,
	OPT_TX_ECN,
	OPT_EXPECT_BYTES,
	OPT_ALLOW_LOSS,
	OPT_INFLIGHT,
	OPT_PACKED,
	OPT_IN_ORDER,
};

static const struct option vf_lopts[] = {
	{ "connect", required_argument, NULL, 'c' },
	{ "listen", required_argument, NULL, 'l' },
	{ "queues", required_argument, NULL, 'q' },
	{ "ring-size", required_argument, NULL, 'r' },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "regions", required_argument, NULL, OPT_REGIONS },
	{ "no-event-idx", no_argument, NULL, OPT_NO_EVENT_IDX },
	{ "no-indirect", no_argument, NULL, OPT_NO_INDIRECT },
	{ "no-mrg-rxbuf", no_argument, NULL, OPT_NO_MRG_RXBUF },
	{ "packed", no_argument, NULL, OPT_PACKED },
	{ "in-order", no_argument, NULL, OPT_IN_ORDER },
	{ "send", required_argument, NULL, 'n' },
	{ "size", required_argument, NULL, 's' },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "tx-layout", required_argument, NULL, OPT_TX_LAYOUT },
	{ "burst", required_argument, NULL, OPT_BURST },
	{ "delay", required_argument, NULL, OPT_DELAY },
	{ "tx-wait", required_argument, NULL, OPT_TX_WAIT },
	{ "rx-buf", required_argument, NULL, OPT_RX_BUF },
	{ "expect", required_argument, NULL, 'e' },
	{ "timeout", required_argument, NULL, 't' },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "busy", no_argument, NULL, OPT_BUSY },
	{ "spin-us", required_argument, NULL, OPT_SPIN },
	{ "evil", required_argument, NULL, OPT_EVIL },
	{ "evil-wait", required_argument, NULL, OPT_EVIL_WAIT },
	{ "evil-repeat", required_argument, NULL, OPT_EVIL_REPEAT },
	{ "evil-fd", required_argument, NULL, OPT_EVIL_FD },
	{ "mem-seal", required_argument, NULL, OPT_MEM_SEAL },
	{ "expect-disconnect", optional_argument, NULL, OPT_EXPECT_DISCONNECT },
	{ "tx-vlan", required_argument, NULL, OPT_TX_VLAN },
	{ "tx-tpid", required_argument, NULL, OPT_TX_TPID },
	{ "src-vary", required_argument, NULL, OPT_SRC_VARY },
	{ "canary", no_argument, NULL, OPT_CANARY },
	{ "zc-cycle", required_argument, NULL, OPT_ZC_CYCLE },
	{ "zc-cycles", required_argument, NULL, OPT_ZC_CYCLES },
	{ "zc-every", required_argument, NULL, OPT_ZC_EVERY },
	{ "zc-hold", required_argument, NULL, OPT_ZC_HOLD },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "ipv6", no_argument, NULL, OPT_IPV6 },
	{ "offloads", required_argument, NULL, OPT_OFFLOADS },
	{ "gso", required_argument, NULL, OPT_GSO },
	{ "tx-csum", required_argument, NULL, OPT_TX_CSUM },
	{ "tx-frag", required_argument, NULL, OPT_TX_FRAG },
	{ "tx-ecn", no_argument, NULL, OPT_TX_ECN },
	{ "expect-bytes", required_argument, NULL, OPT_EXPECT_BYTES },
	{ "allow-loss", no_argument, NULL, OPT_ALLOW_LOSS },
	{ "inflight", no_argument, NULL, OPT_INFLIGHT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: " VF_NAME " (--connect PATH | --listen PATH) [OPTIONS]\n"
		"\n"
		"A vhost-user front-end (QEMU + the guest's virtio-net driver) for testing and\n"
		"benchmarking vhost-user net back-ends. Split or packed virtqueues, one thread.\n"
		"\n"
		"Connection and device:\n"
		"  -c, --connect PATH     connect to a back-end listening on PATH (retried 5 s)\n"
		"  -l, --listen PATH      listen on PATH, wait for one back-end (QEMU server=on);\n"
		"                         waits up to --timeout (forever with --timeout 0)\n"
		"  -q, --queues N         queue pairs, 1..%d (default 1); pair q is RX vring 2q,\n"
		"                         TX vring 2q+1\n"
		"  -r, --ring-size N      entries per vring, a power of two 2..32768 (default %d)\n"
		"      --mem MIB          guest memory in MiB, a shared memfd (default %d)\n"
		"      --mem-seal yes|no  seal the memfd against shrinking and growing, as QEMU's\n"
		"                         memory-backend-memfd does (default yes)\n"
		"      --regions N        split guest memory into N regions, 1..%d (default 1);\n"
		"                         N > 1 places them at non-contiguous guest addresses in\n"
		"                         reverse order\n"
		"      --no-event-idx     do not negotiate VIRTIO_RING_F_EVENT_IDX\n"
		"      --no-indirect      do not negotiate VIRTIO_RING_F_INDIRECT_DESC\n"
		"      --no-mrg-rxbuf     do not negotiate VIRTIO_NET_F_MRG_RXBUF (then every\n"
		"                         frame must fit one --rx-buf)\n"
		"      --packed           packed virtqueues: offer VIRTIO_F_RING_PACKED (bit 34)\n"
		"      --in-order         offer VIRTIO_F_IN_ORDER (bit 35); if negotiated, every\n"
		"                         used entry must come back in the order its buffer was\n"
		"                         made available (used_order_err counts those that do not)\n"
		"                         and require it (exit 2 if the back-end does not offer\n"
		"                         it); everything else works as on split rings\n"
		"      --inflight         negotiate VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD (exit 2\n"
		"                         if not offered), GET_INFLIGHT_FD once and keep the\n"
		"                         region; when the back-end goes away, connect again\n"
		"                         (until --timeout), SET_INFLIGHT_FD and restart each\n"
		"                         ring at its used index, as QEMU after a back-end crash\n"
		"\n"
		"Traffic (UDP/IPv4 10.0.0.1:1000+queue -> 10.0.0.2:2000, payload seq+pattern;\n"
		"TCP, IPv6: below):\n"
		"  -n, --send N           send N frames, spread over the queues (default 0)\n"
		"  -s, --size BYTES       Ethernet frame size without virtio header or FCS,\n"
		"                         %d..%d (default %d, or the least that fits: 66 for\n"
		"                         UDP/IPv6, 75 for TCP/IPv6); with --gso up to %d\n"
		"                         (IPv4) or %d (IPv6)\n"
		"      --mac MAC          own (source) MAC (default " VF_DEF_MAC ")\n"
		"      --dst MAC          destination MAC (default " VF_DEF_DST ")\n"
		"      --rate PPS         total send rate over all queues (default 0: unpaced)\n"
		"      --tx-layout L      single: header and frame in one descriptor (default);\n"
		"                         split: header descriptor -> frame descriptor;\n"
		"                         indirect: one descriptor -> a 2-entry indirect table\n"
		"      --burst N          frames per burst, 1..%d (default %d)\n"
		"      --delay MS         wait before sending the first frame (default 0)\n"
		"      --tx-wait MS       a queue whose TX ring stays full this long stops; its\n"
		"                         unsent frames count as tx_ring_full (default %d)\n"
		"      --rx-buf BYTES     bytes per RX buffer, virtio-net header included,\n"
		"                         64..%d (default %d; with guest_tso4/6 negotiated\n"
		"                         %d, or a whole TSO frame without MRG_RXBUF); one\n"
		"                         descriptor per buffer\n"
		"  -e, --expect N         run until N frames were received (and all sent)\n"
		"  -t, --timeout S        end the run after S seconds, fractions allowed\n"
		"                         (default %g; 0: no limit)\n"
		"      --echo             reflect every received frame, MACs swapped (PVP)\n"
		"      --busy             poll the rings, never sleep on the call eventfds\n"
		"      --spin-us US       otherwise, poll this long after the last work before\n"
		"                         arming notifications and sleeping (default %d)\n"
		"      --tx-vlan VID      put a VLAN tag (1..4094) in every frame sent, as a\n"
		"                         guest hopping VLANs would; --tx-tpid 8100 (default),\n"
		"                         88a8 or 9100\n"
		"      --src-vary N       a new source MAC with every frame, N distinct ones\n"
		"                         (02:5a:...; a MAC flood), instead of --mac\n"
		"\n"
		"TCP and offloads (what a Linux guest asks of its virtio-net device):\n"
		"      --proto udp|tcp    udp (default); tcp: one TCP stream per queue, ACK|PSH,\n"
		"                         seq from %#x on, each payload byte a function of\n"
		"                         its place in the stream; received ones all verified,\n"
		"                         per flow (source MAC + port) in order\n"
		"      --ipv6             fd00::1 -> fd00::2 instead of IPv4 (udp and tcp)\n"
		"      --offloads LIST    virtio-net offloads to accept where offered, comma-\n"
		"                         separated: csum, guest_csum, host_tso4, host_tso6,\n"
		"                         guest_tso4, guest_tso6, host_ecn, guest_ecn; or all\n"
		"                         (default: none). Received frames may then be GSO,\n"
		"                         NEEDS_CSUM (checked) as negotiated\n"
		"      --gso MSS          send every frame as one TSO frame of --size bytes for\n"
		"                         MSS-byte segments, checksum seeded (--proto tcp;\n"
		"                         host_tso4, or host_tso6 with --ipv6, negotiated)\n"
		"      --tx-csum full|partial\n"
		"                         full (default): L4 checksums computed; partial: seeded\n"
		"                         with the pseudo-header sum, NEEDS_CSUM (csum\n"
		"                         negotiated)\n"
		"      --tx-ecn           --gso frames with CWR set and GSO_ECN (host_ecn): only\n"
		"                         the first segment may keep CWR, which the receiver\n"
		"                         checks (CWR right after PSH, i.e. at each frame start)\n"
		"      --tx-frag BYTES    TCP frames in pieces of BYTES, one descriptor each and\n"
		"                         %d bytes apart, as a Linux skb's fragments (--tx-layout\n"
		"                         single: piece 0 in the header's descriptor)\n"
		"      --expect-bytes N   run until N TCP stream bytes arrived in order and\n"
		"                         verified, over all flows (segments outnumber frames)\n"
		"      --allow-loss       gaps in a TCP stream (and segments behind it) do not\n"
		"                         fail the run\n"
		"\n"
		"Robustness (one bad input, then report how the back-end took it):\n"
		"      --evil MODE[,MODE...]\n"
		"                         one of the modes below (a list: see --evil-repeat)\n"
		"      --evil-wait MS     watch the back-end this long afterwards; live modes\n"
		"                         misbehave and receive this long (default %d)\n"
		"      --evil-repeat N    N connections one after the other, each with the next\n"
		"                         mode of the list; a summary line at the end\n"
		"      --evil-fd KIND     pipe (a pipe's write end, default), file (a regular\n"
		"                         file) or socket: what the *-not-eventfd modes send\n"
		"      --expect-disconnect[=yes|no]\n"
		"                         exit 0 only if the back-end closed the socket (yes) or\n"
		"                         kept it open and answered a probe (no); without it\n"
		"                         the evil run only reports\n",
		VF_MAX_QP, VF_DEF_RING, VF_DEF_MEM_MIB, VU_MAX_MEM_REGIONS, VF_FRAME_MIN,
		VF_FRAME_MAX, VF_DEF_SIZE, VF_TSO_FRAME_MAX - 40, VF_TSO_FRAME_MAX, VF_BURST_MAX,
		VF_DEF_BURST, VF_DEF_TX_WAIT_MS, VF_RX_SCRATCH, VF_DEF_RX_BUF, VF_RX_BUF_TSO,
		VF_DEF_TIMEOUT, VF_DEF_SPIN_US, VF_TCP_ISN, VF_FRAG_GAP, VF_DEF_EVIL_WAIT_MS);
	vf_evil_help(out);
	fprintf(out,
		"\n"
		"Memory safety (a zero-copy back-end; not with --evil):\n"
		"      --canary           a pattern in the %d bytes before every RX buffer, after\n"
		"                         every frame and in all memory not handed out, checked\n"
		"                         on every used entry and at the end; frames checked to\n"
		"                         their checksums; frames for neither --mac nor\n"
		"                         broadcast counted as rx_foreign\n"
		"      --zc-cycle MODE[,MODE...]\n"
		"                         while receiving, take the back-end's buffers away and\n"
		"                         give them back, the modes in turn (implies --canary;\n"
		"                         one queue pair, --connect); the run ends --zc-every ms\n"
		"                         after the last cycle:\n",
		VF_CANARY_GUARD);
	vf_cycle_help(out);
	fprintf(out,
		"      --zc-cycles N      cycles in all (default: one per mode listed)\n"
		"      --zc-every MS      receive this long before each cycle and after the last\n"
		"                         (default %d)\n"
		"      --zc-hold MS       the back-end holds no buffer this long, frames arriving;\n"
		"                         canary checked before and after (default %d)\n"
		"\n"
		"  -v, --verbose          -v: negotiation details, -vv: every vhost-user message\n"
		"  -h, --help\n"
		"\n"
		"Output: one line on stdout,\n"
		"  tx_frames= tx_bytes= tx_ring_full= rx_frames= rx_bytes= rx_bad= rx_lost=\n"
		"  rx_reordered= rx_dup= elapsed_s= tx_pps= rx_pps= kicks= wakeups= used_err=\n"
		"  rx_empty= (RX buffers given back unused) used_order_err= (IN_ORDER\n"
		"  negotiated: used entries out of order) tx_span_s= rx_span_s= (first to\n"
		"  last burst sent / received)\n"
		"or, with --evil,\n"
		"  evil= backend=alive|disconnected probe= ack= tx_used= rx_used= setup_nacks=\n"
		"  [rx_frames= rx_after= rx_bad=] [per mode: key=value ...]\n"
		"(--expect N with a live mode: N frames must arrive after the misbehaviour),\n"
		"and with --evil-repeat a last line evil_repeat= ok= failed= elapsed_s=\n"
		"--canary adds canary_bad= (areas found changed) canary_bytes= rx_foreign=\n"
		"rx_bcast=, --zc-cycle cycles= cycle_err= rx_after_restart= (fewest frames\n"
		"received after a cycle's restart); --proto tcp, --ipv6 or --offloads\n"
		"  rx_gso= (GSO frames received whole) rx_csum_partial= (NEEDS_CSUM, not GSO)\n"
		"  rx_csum_valid= (DATA_VALID) rx_csum_bad= (IPv4 header, TCP or vouched-for\n"
		"  UDP checksums wrong) rx_stream_bytes= (TCP bytes verified in order)\n"
		"  rx_stream_gap= (gaps in a stream) tx_gso= (TSO frames sent) rx_gbps=\n"
		"  tx_gbps= (rx_bytes, tx_bytes over the span) rx_stream_lost= (bytes the gaps\n"
		"  skipped) rx_stream_late= (segments behind their stream).\n"
		"Bytes count Ethernet frames without the virtio-net header (a TSO frame whole);\n"
		"rates are measured from the first to the last burst.\n"
		"\n"
		"Exit status: 0 expectations met (all frames sent and completed and --expect\n"
		"frames and --expect-bytes received before --timeout; no rx_bad, rx_csum_bad,\n"
		"used_err, used_order_err or tx_ring_full, no rx_stream_gap or rx_stream_late without\n"
		"--allow-loss; the back-end still connected; for --evil: the\n"
		"--expect-disconnect expectation; --canary: canary_bad and rx_foreign 0;\n"
		"--zc-cycle: every cycle done, no cycle_err, frames after every restart), 1\n"
		"not met or runtime error, 2 bad usage (also --gso, --tx-csum partial or\n"
		"--tx-ecn when the back-end does not offer what they need).\n",
		VF_DEF_CYCLE_EVERY_MS, VF_DEF_CYCLE_HOLD_MS);
}

static int bad(const char *opt, const char *what, const char *arg)
{
	fprintf(stderr, VF_NAME ": --%s: %s: '%s'\n", opt, what, arg);
	return -EINVAL;
}

/* An unsigned decimal number in [min, max]. */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int err = args_u64(s, 10, min, max, out);

	if (err == -EINVAL)
		return bad(opt, "not a number", s);
	if (err)
		fprintf(stderr, VF_NAME ": --%s: %s is outside %llu..%llu\n", opt, s,
			(unsigned long long)min, (unsigned long long)max);
	return err;
}

static int parse_uint(const char *opt, const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	uint64_t v;
	int err = parse_u64(opt, s, min, max, &v);

	if (!err)
		*out = (unsigned int)v;
	return err;
}

/* MODE[,MODE...]: up to VF_EVIL_MAX_LIST modes, each by parse(), into
 * list[]; returns how many, or -EINVAL. */
static int parse_modes(const char *name, const char *arg, int (*parse)(const char *),
		       int *list)
{
	char buf[512], *tok, *save = NULL;
	int e, n = 0;

	if (strlen(arg) >= sizeof(buf))
		return bad(name, "list too long", arg);
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		e = parse(tok);
		if (e < 0)
			return bad(name, "unknown mode (see --help)", tok);
		if (n == VF_EVIL_MAX_LIST)
			return bad(name, "more than 16 modes", arg);
		list[n++] = e;
	}
	if (!n)
		return bad(name, "no mode", arg);
	return n;
}

static int parse_opt(struct vf_opts *o, int c, const char *arg)
{
	const char *name = NULL;
	unsigned int i;
	uint64_t v;
	char *end;
	int err = 0, n;

	for (i = 0; vf_lopts[i].name; i++)
		if (vf_lopts[i].val == c)
			name = vf_lopts[i].name;
	switch (c) {
	case 'c':
	case 'l':
		if (o->path)
			return bad(name, "only one of --connect and --listen", arg);
		o->path = arg;
		o->listen = c == 'l';
		break;
	case 'q':
		return parse_uint(name, arg, 1, VF_MAX_QP, &o->queues);
	case 'r':
		err = parse_uint(name, arg, 2, VU_MAX_RING_SIZE, &o->ring_size);
		if (!err && (o->ring_size & (o->ring_size - 1)))
			return bad(name, "not a power of two", arg);
		break;
	case OPT_MEM:
		err = parse_u64(name, arg, 1, 1 << 20, &v);
		o->mem_size = (size_t)v << 20;
		break;
	case OPT_REGIONS:
		return parse_uint(name, arg, 1, VU_MAX_MEM_REGIONS, &o->regions);
	case OPT_NO_EVENT_IDX:
		o->no_event_idx = true;
		break;
	case OPT_NO_INDIRECT:
		o->no_indirect = true;
		break;
	case OPT_NO_MRG_RXBUF:
		o->no_mrg_rxbuf = true;
		break;
	case OPT_IN_ORDER:
		o->in_order = true;
		break;
	case OPT_PACKED:
		o->packed = true;
		break;
	case 'n':
		return parse_u64(name, arg, 0, UINT32_MAX * (uint64_t)VF_MAX_QP, &o->send);
	case 's':
		/* up to VF_FRAME_MAX without --gso: parse_args() */
		err = parse_u64(name, arg, VF_FRAME_MIN, VF_TSO_FRAME_MAX, &v);
		o->size = (uint32_t)v;
		break;
	case OPT_MAC:
	case OPT_DST:
		if (frame_parse_mac(arg, c == OPT_MAC ? o->mac : o->dst))
			return bad(name, "not a MAC address (xx:xx:xx:xx:xx:xx)", arg);
		break;
	case OPT_RATE:
		return parse_u64(name, arg, 0, 1000000000, &o->rate);
	case OPT_TX_LAYOUT:
		if (!strcmp(arg, "single"))
			o->layout = VF_TX_SINGLE;
		else if (!strcmp(arg, "split"))
			o->layout = VF_TX_SPLIT;
		else if (!strcmp(arg, "indirect"))
			o->layout = VF_TX_INDIRECT;
		else
			return bad(name, "not single, split or indirect", arg);
		break;
	case OPT_BURST:
		return parse_uint(name, arg, 1, VF_BURST_MAX, &o->burst);
	case OPT_DELAY:
		return parse_uint(name, arg, 0, 3600000, &o->delay_ms);
	case OPT_TX_WAIT:
		return parse_uint(name, arg, 1, 3600000, &o->tx_wait_ms);
	case OPT_RX_BUF:
		err = parse_u64(name, arg, 64, VF_RX_SCRATCH, &v);
		o->rx_buf = (uint32_t)v;
		break;
	case 'e':
		return parse_u64(name, arg, 0, UINT64_MAX, &o->expect);
	case 't':
		errno = 0;
		o->timeout = strtod(arg, &end);
		if (errno || *end || !*arg || !(o->timeout >= 0 && o->timeout <= 1e7))
			return bad(name, "not a number of seconds (0..1e7)", arg);
		break;
	case OPT_ECHO:
		o->echo = true;
		break;
	case OPT_BUSY:
		o->busy = true;
		break;
	case OPT_SPIN:
		return parse_uint(name, arg, 0, 1000000, &o->spin_us);
	case OPT_EVIL:
		n = parse_modes(name, arg, vf_evil_parse, o->evil_list);
		if (n < 0)
			return n;
		o->n_evil = (unsigned int)n;
		o->evil = (enum vf_evil)o->evil_list[0];
		break;
	case OPT_EVIL_WAIT:
		return parse_uint(name, arg, 0, 600000, &o->evil_wait_ms);
	case OPT_TX_VLAN:
		err = parse_uint(name, arg, 1, 4094, &i);
		o->tx_vlan = (uint16_t)i;
		break;
	case OPT_TX_TPID:
		if (!strcmp(arg, "8100"))
			o->tx_tpid = 0x8100;
		else if (!strcmp(arg, "88a8"))
			o->tx_tpid = 0x88a8;
		else if (!strcmp(arg, "9100"))
			o->tx_tpid = 0x9100;
		else
			return bad(name, "not 8100, 88a8 or 9100", arg);
		break;
	case OPT_SRC_VARY:
		return parse_uint(name, arg, 1, 1u << 24, &o->src_vary);
	case OPT_CANARY:
		o->canary = true;
		break;
	case OPT_ZC_CYCLE:
		n = parse_modes(name, arg, vf_cycle_parse, o->cycle_list);
		if (n < 0)
			return n;
		o->n_cycle = (unsigned int)n;
		o->canary = true;
		break;
	case OPT_ZC_CYCLES:
		return parse_uint(name, arg, 1, 100000, &o->cycles);
	case OPT_ZC_EVERY:
		return parse_uint(name, arg, 1, 600000, &o->cycle_every_ms);
	case OPT_ZC_HOLD:
		return parse_uint(name, arg, 0, 600000, &o->cycle_hold_ms);
	case OPT_EVIL_REPEAT:
		return parse_uint(name, arg, 1, 1000000, &o->evil_repeat);
	case OPT_EVIL_FD:
		if (!strcmp(arg, "pipe"))
			o->evil_fd = VF_EVIL_FD_PIPE;
		else if (!strcmp(arg, "file"))
			o->evil_fd = VF_EVIL_FD_FILE;
		else if (!strcmp(arg, "socket"))
			o->evil_fd = VF_EVIL_FD_SOCKET;
		else
			return bad(name, "not pipe, file or socket", arg);
		break;
	case OPT_MEM_SEAL:
		if (strcmp(arg, "yes") && strcmp(arg, "no"))
			return bad(name, "not yes or no", arg);
		o->mem_seal = !strcmp(arg, "yes");
		break;
	case OPT_PROTO:
		if (!strcmp(arg, "udp"))
			o->proto = VF_PROTO_UDP;
		else if (!strcmp(arg, "tcp"))
			o->proto = VF_PROTO_TCP;
		else
			return bad(name, "not udp or tcp", arg);
		break;
	case OPT_IPV6:
		o->ipv6 = true;
		break;
	case OPT_OFFLOADS:
		return vf_ofl_parse(arg, &o->offloads);
	case OPT_GSO:
		err = parse_uint(name, arg, 1, 65535, &i);
		o->gso = (uint16_t)i;
		break;
	case OPT_TX_CSUM:
		if (strcmp(arg, "full") && strcmp(arg, "partial"))
			return bad(name, "not full or partial", arg);
		o->tx_csum_partial = !strcmp(arg, "partial");
		break;
	case OPT_TX_FRAG:
		return parse_uint(name, arg, 1, VF_TSO_FRAME_MAX, &o->tx_frag);
	case OPT_TX_ECN:
		o->tx_ecn = true;
		break;
	case OPT_EXPECT_BYTES:
		return parse_u64(name, arg, 0, UINT64_MAX, &o->expect_bytes);
	case OPT_ALLOW_LOSS:
		o->allow_loss = true;
		break;
	case OPT_INFLIGHT:
		o->inflight = true;
		break;
	case OPT_EXPECT_DISCONNECT:
		if (!arg || !strcmp(arg, "yes"))
			o->expect_disconnect = 1;
		else if (!strcmp(arg, "no"))
			o->expect_disconnect = 0;
		else
			return bad(name, "not yes or no", arg);
		break;
	default:
		return -EINVAL;
	}
	return err;
}

/* --proto, --ipv6, --gso, --tx-csum against each other, and --size (its
 * default: 60 bytes, or the smallest frame that fits). */
static int check_offload_opts(struct vf_opts *o)
{
	uint64_t tso = 1ull << (o->ipv6 ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_HOST_TSO4);
	uint32_t hdrs = VF_ETH_HLEN + (o->ipv6 ? 40 : 20) + (o->proto == VF_PROTO_TCP ? 20 : 8);
	uint32_t max = o->gso ? VF_ETH_HLEN + (o->ipv6 ? 40 : 0) + 65535 : VF_FRAME_MAX;
	/* a TCP segment carries a byte at least, a UDP payload its seq */
	uint32_t min = hdrs + (o->proto == VF_PROTO_TCP ? 1 : 4);

	if (o->gso && o->proto != VF_PROTO_TCP) {
		fprintf(stderr, VF_NAME ": --gso: only with --proto tcp\n");
		return -EINVAL;
	}
	if (o->gso && !(o->offloads & tso)) {
		fprintf(stderr, VF_NAME ": --gso: needs --offloads with %s\n",
			o->ipv6 ? "host_tso6 (--ipv6)" : "host_tso4");
		return -EINVAL;
	}
	if (o->tx_csum_partial && !(o->offloads & 1ull << VIRTIO_NET_F_CSUM)) {
		fprintf(stderr, VF_NAME ": --tx-csum partial: needs --offloads with csum\n");
		return -EINVAL;
	}
	if ((o->gso || o->tx_csum_partial) && o->evil) {
		fprintf(stderr, VF_NAME ": --gso, --tx-csum partial: not with --evil\n");
		return -EINVAL;
	}
	if (o->tx_ecn && (!o->gso || !(o->offloads & 1ull << VIRTIO_NET_F_HOST_ECN))) {
		fprintf(stderr,
			VF_NAME ": --tx-ecn: only with --gso and --offloads with host_ecn\n");
		return -EINVAL;
	}
	if (o->tx_frag && (o->proto != VF_PROTO_TCP || o->echo || o->evil)) {
		fprintf(stderr,
			VF_NAME ": --tx-frag: only with --proto tcp, not with --echo or --evil\n");
		return -EINVAL;
	}
	if (o->proto == VF_PROTO_TCP && (o->tx_vlan || o->src_vary)) {
		fprintf(stderr, VF_NAME ": --tx-vlan, --src-vary: only with --proto udp\n");
		return -EINVAL;
	}
	if (!o->size)
		o->size = min > VF_DEF_SIZE ? min : VF_DEF_SIZE;
	if (o->size < min || o->size > max) {
		fprintf(stderr, VF_NAME ": --size %u: outside %u..%u for %s/%s%s\n", o->size, min,
			max, o->proto == VF_PROTO_TCP ? "TCP" : "UDP", o->ipv6 ? "IPv6" : "IPv4",
			o->gso ? " with --gso" : "");
		return -EINVAL;
	}
	return 0;
}

static int parse_args(struct vf_opts *o, int argc, char **argv, int *verbose)
{
	int c;

	*o = (struct vf_opts){
		.queues = 1,
		.ring_size = VF_DEF_RING,
		.mem_size = (size_t)VF_DEF_MEM_MIB << 20,
		.regions = 1,
		.burst = VF_DEF_BURST,
		.tx_tpid = 0x8100,
		.timeout = VF_DEF_TIMEOUT,
		.tx_wait_ms = VF_DEF_TX_WAIT_MS,
		.evil_wait_ms = VF_DEF_EVIL_WAIT_MS,
		.spin_us = VF_DEF_SPIN_US,
		.expect_disconnect = -1,
		.mem_seal = true,
		.cycle_every_ms = VF_DEF_CYCLE_EVERY_MS,
		.cycle_hold_ms = VF_DEF_CYCLE_HOLD_MS,
	};
	frame_parse_mac(VF_DEF_MAC, o->mac);
	frame_parse_mac(VF_DEF_DST, o->dst);
	while ((c = getopt_long(argc, argv, "c:l:q:r:n:s:e:t:vh", vf_lopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == 'v') {
			(*verbose)++;
			continue;
		}
		if (c == '?' || parse_opt(o, c, optarg))
			return -EINVAL;
	}
	if (optind < argc) {
		fprintf(stderr, VF_NAME ": unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->path) {
		fprintf(stderr, VF_NAME ": --connect PATH or --listen PATH is required\n");
		return -EINVAL;
	}
	if ((o->expect_disconnect >= 0 || o->evil_repeat) && !o->evil) {
		fprintf(stderr, VF_NAME ": --expect-disconnect, --evil-repeat: only with --evil\n");
		return -EINVAL;
	}
	if (!o->evil_repeat)
		o->evil_repeat = o->n_evil > 1 ? o->n_evil : 1;
	if (vf_evil_check(o))
		return -EINVAL;
	if (o->canary && o->evil) {
		fprintf(stderr, VF_NAME ": --canary, --zc-cycle: not with --evil\n");
		return -EINVAL;
	}
	if (o->cycles && !o->n_cycle) {
		fprintf(stderr, VF_NAME ": --zc-cycles: only with --zc-cycle\n");
		return -EINVAL;
	}
	if (o->n_cycle && (o->queues != 1 || o->listen)) {
		fprintf(stderr, VF_NAME ": --zc-cycle: one queue pair, and --connect\n");
		return -EINVAL;
	}
	if (o->n_cycle && !o->cycles)
		o->cycles = o->n_cycle;
	if (check_offload_opts(o))
		return -EINVAL;
	if (o->regions > 1 && o->mem_size / o->regions < (1u << 20)) {
		fprintf(stderr, VF_NAME ": --regions %u: less than 1 MiB of --mem each\n",
			o->regions);
		return -EINVAL;
	}
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	vf_stop = 1;
}

/* One connection: negotiate, set up, then traffic or misbehaviour. */
static int run_once(const struct vf_opts *o)
{
	struct vf_dev d = {
		.sock = -1, .mem.fd = -1, .evil_keep = { -1, -1 }, .ifl_fd = -1, .recv_fd = -1
	};
	int err, rc = 1;

	d.o = o;
	d.nqp = o->queues;
	d.sock = vf_sock_open(o);
	if (d.sock < 0)
		return 1;

	err = vf_negotiate(&d);
	if (!err)
		err = vf_traffic_init(&d);
	if (err && (!o->evil || err == -ENOMEM || err == -EINVAL || d.unsupported))
		goto out;
	if (!err)
		err = vf_setup(&d);
	if (o->evil) {
		rc = vf_evil_run(&d, err);
		goto out;
	}
	if (err)
		goto out;
	log_info("device up: %u queue pair(s), %s ring %u, header %u bytes", d.nqp,
		 d.packed ? "packed" : "split", o->ring_size, d.hdr_len);

	vf_traffic_run(&d);
	vf_traffic_report(&d);
	rc = vf_traffic_ok(&d) ? 0 : 1;
out:
	if (d.unsupported)
		rc = VF_EXIT_USAGE; /* an option the back-end cannot serve */
	vf_traffic_free(&d);
	vf_inflight_close(&d);
	if (d.sock >= 0)
		close(d.sock);
	return rc;
}

/* --evil-repeat: connections one after the other, cycling the modes. */
static int run_repeat(struct vf_opts *o)
{
	uint64_t t0 = vf_now_ns();
	unsigned int i, ok = 0, failed = 0;

	for (i = 0; i < o->evil_repeat && !vf_stop; i++) {
		o->evil = (enum vf_evil)o->evil_list[i % o->n_evil];
		if (run_once(o))
			failed++;
		else
			ok++;
	}
	printf("evil_repeat=%u ok=%u failed=%u elapsed_s=%.3f\n", i, ok, failed,
	       (double)(vf_now_ns() - t0) / 1e9);
	fflush(stdout);
	return failed || i < o->evil_repeat ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vf_opts o;
	int verbose = 0;

	if (parse_args(&o, argc, argv, &verbose)) {
		fprintf(stderr, "Try '" VF_NAME " --help'.\n");
		return VF_EXIT_USAGE;
	}
	log_set_level(verbose >= 2 ? LOG_LVL_DEBUG : verbose ? LOG_LVL_INFO : LOG_LVL_WARN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o.evil && o.evil_repeat > 1)
		return run_repeat(&o);
	return run_once(&o);
}
