// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the link monitor (src/ctl/linkmon.c), against the kernel
 * in a private network namespace, changes made with ip(8): a link that
 * appears, changes, goes and comes back with a new ifindex (also between
 * two reads), renames, links nobody watches, bridge port notifications,
 * alternative names, notifications older than a watch, resyncs and a real
 * overrun, callbacks that watch and unwatch. Malformed input is fed to the
 * parser directly (this file includes linkmon.c for that) and sent from a
 * user socket.
 *
 * "Nothing else happened" is checked without sleeping: settle() changes a
 * watched marker link and waits for that event; netlink delivers in order,
 * so whatever came before it has been processed.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl/linkmon.c"

#define MARK "lmmark"
#define WAIT_MS 5000

struct event {
	enum linkmon_event ev;
	struct linkmon_link now, before;
};

static bool have_netns;
static struct linkmon *lm;
static struct event evs[64];
static int nev;
static uint32_t mark_mtu = 1400;
/* test_cb_reentry: on GONE of this name, unwatch it and watch reenter_to */
static const char *reenter_from, *reenter_to;

static void record(void *ctx, enum linkmon_event ev, const struct linkmon_link *now,
		   const struct linkmon_link *before)
{
	(void)ctx;
	if (nev < (int)(sizeof(evs) / sizeof(evs[0]))) {
		evs[nev].ev = ev;
		evs[nev].now = *now;
		evs[nev].before = *before;
	}
	nev++;
	if (reenter_from && ev == LINKMON_GONE && !strcmp(now->name, reenter_from)) {
		assert_int_equal(linkmon_unwatch(lm, reenter_from), 0);
		assert_null(linkmon_get(lm, reenter_from));
		assert_int_equal(linkmon_watch(lm, reenter_to), 0);
	}
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		fail_msg("'%s' exited with status %d", cmd, rc);
}

/* Wait for the monitor socket, then process what is there. */
static void wait_more(void)
{
	struct pollfd p = { .fd = linkmon_fd(lm), .events = POLLIN };
	int r = poll(&p, 1, WAIT_MS);

	if (r <= 0)
		fail_msg("no netlink notification within %d ms (have %d events)", WAIT_MS, nev);
	assert_int_equal(linkmon_process(lm), 0);
}

static void wait_events(int n)
{
	while (nev < n)
		wait_more();
}

/* Everything that happened before now has been processed; the marker's
 * own event is removed. */
static void settle(void)
{
	int i, from = nev;

	mark_mtu = mark_mtu == 1400 ? 1401 : 1400;
	sh("ip link set " MARK " mtu %u", mark_mtu);
	for (;;) {
		for (i = from; i < nev; i++) {
			if (strcmp(evs[i].now.name, MARK) || evs[i].ev != LINKMON_CHANGED ||
			    evs[i].now.mtu != mark_mtu)
				continue;
			memmove(&evs[i], &evs[i + 1], (size_t)(nev - i - 1) * sizeof(evs[0]));
			nev--;
			return;
		}
		wait_more();
	}
}

static void assert_event(int i, enum linkmon_event ev, const char *name)
{
	assert_true(i < nev);
	assert_int_equal(evs[i].ev, ev);
	assert_string_equal(evs[i].now.name, name);
	assert_string_equal(evs[i].before.name, name);
}

static int setup(void **state)
{
	(void)state;
	if (!have_netns)
		return 0;
	nev = 0;
	reenter_from = reenter_to = NULL;
	assert_int_equal(linkmon_open(&lm, record, NULL), 0);
	assert_int_equal(linkmon_watch(lm, MARK), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	linkmon_close(lm);
	lm = NULL;
	if (have_netns)
		system("for l in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 |"
		       " grep '^lm' | grep -v '^" MARK "'); do ip link del $l 2>/dev/null; done");
	return 0;
}

#define NEED_NETNS()                                                     \
	do {                                                             \
		if (!have_netns) {                                       \
			print_message("no network namespace (not root?)\n"); \
			skip();                                          \
		}                                                        \
	} while (0)

static void test_watch_args(void **state)
{
	const struct linkmon_link *l;

	(void)state;
	NEED_NETNS();
	assert_int_equal(linkmon_watch(lm, "lmnone"), 0);
	l = linkmon_get(lm, "lmnone");
	assert_non_null(l);
	assert_string_equal(l->name, "lmnone");
	assert_int_equal(l->ifindex, 0);
	assert_int_equal(linkmon_watch(lm, "lmnone"), -EEXIST);
	assert_int_equal(linkmon_watch(lm, ""), -EINVAL);
	assert_int_equal(linkmon_watch(lm, "0123456789abcdef"), -EINVAL);
	assert_int_equal(linkmon_unwatch(lm, "lmnone"), 0);
	assert_int_equal(linkmon_unwatch(lm, "lmnone"), -ENOENT);
	assert_null(linkmon_get(lm, "lmnone"));
	assert_int_equal(linkmon_get(lm, MARK)->mtu, mark_mtu);
}

static void test_lifecycle(void **state)
{
	const struct linkmon_link *l;
	int ifindex;

	(void)state;
	NEED_NETNS();
	assert_int_equal(linkmon_watch(lm, "lm0"), 0);
	assert_int_equal(linkmon_get(lm, "lm0")->ifindex, 0);

	sh("ip link add lm0 numrxqueues 4 numtxqueues 2 type veth peer name lm0p");
	wait_events(1);
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_NEW, "lm0");
	assert_int_equal(evs[0].before.ifindex, 0);
	assert_true(evs[0].now.ifindex > 0);
	assert_false(evs[0].now.up);
	assert_false(evs[0].now.running);
	assert_int_equal(evs[0].now.mtu, 1500);
	assert_int_equal(evs[0].now.num_rx_queues, 4);
	assert_int_equal(evs[0].now.num_tx_queues, 2);
	ifindex = evs[0].now.ifindex;
	l = linkmon_get(lm, "lm0");
	assert_int_equal(l->ifindex, ifindex);
	assert_int_equal(l->num_rx_queues, 4);

	/* the peer stays down: no carrier, so up but not running */
	nev = 0;
	sh("ip link set lm0 up");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_CHANGED, "lm0");
	assert_true(evs[0].now.up);
	assert_false(evs[0].before.up);
	assert_false(evs[0].now.running);
	assert_int_equal(evs[0].now.ifindex, ifindex);

	/* peer up: carrier, running (linkwatch may report it later) */
	nev = 0;
	sh("ip link set lm0p up");
	wait_events(1);
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_CHANGED, "lm0");
	assert_true(evs[0].now.running);
	assert_false(evs[0].before.running);

	nev = 0;
	sh("ip link set lm0 mtu 9000");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_CHANGED, "lm0");
	assert_int_equal(evs[0].now.mtu, 9000);
	assert_int_equal(evs[0].before.mtu, 1500);
	assert_int_equal(linkmon_get(lm, "lm0")->mtu, 9000);

	nev = 0;
	sh("ip link set lm0 down");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_CHANGED, "lm0");
	assert_false(evs[0].now.up);
	assert_false(evs[0].now.running);
	assert_true(evs[0].before.up);

	nev = 0;
	sh("ip link del lm0");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_GONE, "lm0");
	assert_int_equal(evs[0].now.ifindex, 0);
	assert_int_equal(evs[0].now.mtu, 0);
	assert_int_equal(evs[0].before.ifindex, ifindex);
	assert_int_equal(linkmon_get(lm, "lm0")->ifindex, 0);

	nev = 0;
	sh("ip link add lm0 type veth peer name lm0p");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_NEW, "lm0");
	assert_true(evs[0].now.ifindex > 0);
	assert_int_not_equal(evs[0].now.ifindex, ifindex);
	assert_int_equal(evs[0].now.num_rx_queues, linkmon_get(lm, "lm0")->num_rx_queues);
}

static void test_recreate_between_reads(void **state)
{
	int ifindex;

	(void)state;
	NEED_NETNS();
	sh("ip link add lm1 type veth peer name lm1p");
	assert_int_equal(linkmon_watch(lm, "lm1"), 0);
	ifindex = linkmon_get(lm, "lm1")->ifindex;
	assert_true(ifindex > 0);

	sh("ip link del lm1 && ip link add lm1 mtu 1280 type veth peer name lm1p");
	settle();
	assert_int_equal(nev, 2);
	assert_event(0, LINKMON_GONE, "lm1");
	assert_int_equal(evs[0].before.ifindex, ifindex);
	assert_event(1, LINKMON_NEW, "lm1");
	assert_int_equal(evs[1].before.ifindex, 0);
	assert_true(evs[1].now.ifindex > 0);
	assert_int_not_equal(evs[1].now.ifindex, ifindex);
	assert_int_equal(evs[1].now.mtu, 1280);
}

static void test_rename(void **state)
{
	int ifindex;

	(void)state;
	NEED_NETNS();
	sh("ip link add lm2 type veth peer name lm2p");
	assert_int_equal(linkmon_watch(lm, "lm2"), 0);
	assert_int_equal(linkmon_watch(lm, "lm2new"), 0);
	ifindex = linkmon_get(lm, "lm2")->ifindex;

	sh("ip link set lm2 name lm2new");
	settle();
	assert_int_equal(nev, 2);
	assert_event(0, LINKMON_GONE, "lm2");
	assert_int_equal(evs[0].before.ifindex, ifindex);
	assert_event(1, LINKMON_NEW, "lm2new");
	assert_int_equal(evs[1].now.ifindex, ifindex);

	/* back again: only the old name is watched now */
	assert_int_equal(linkmon_unwatch(lm, "lm2new"), 0);
	nev = 0;
	sh("ip link set lm2new name lm2");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_NEW, "lm2");
	assert_int_equal(evs[0].now.ifindex, ifindex);
}

static void test_unwatched(void **state)
{
	(void)state;
	NEED_NETNS();
	assert_int_equal(linkmon_watch(lm, "lm3"), 0);
	sh("ip link add lmother type veth peer name lmotherp && ip link set lmother up &&"
	   " ip link set lmotherp up && ip link set lmother mtu 2000 && ip link del lmother");
	settle();
	assert_int_equal(nev, 0);
	assert_int_equal(linkmon_get(lm, "lm3")->ifindex, 0);
}

/* A bridge sends AF_BRIDGE RTM_NEWLINK/RTM_DELLINK for its ports to the
 * same group; a port leaving the bridge must not look like a deletion. */
static void test_bridge_port(void **state)
{
	int ifindex;

	(void)state;
	NEED_NETNS();
	sh("ip link add lm4 type veth peer name lm4p && ip link add lmbr type bridge");
	assert_int_equal(linkmon_watch(lm, "lm4"), 0);
	ifindex = linkmon_get(lm, "lm4")->ifindex;
	sh("ip link set lm4 master lmbr && ip link set lm4 nomaster");
	settle();
	assert_int_equal(nev, 0);
	assert_int_equal(linkmon_get(lm, "lm4")->ifindex, ifindex);
}

/* The kernel finds a link by an alternative name too; those are not
 * tracked (notifications carry the primary name). */
static void test_altname(void **state)
{
	(void)state;
	NEED_NETNS();
	sh("ip link add lm5 type veth peer name lm5p && ip link property add dev lm5 altname lm5alt");
	assert_int_equal(linkmon_watch(lm, "lm5alt"), 0);
	assert_int_equal(linkmon_get(lm, "lm5alt")->ifindex, 0);
	assert_int_equal(linkmon_watch(lm, "lm5"), 0);
	assert_true(linkmon_get(lm, "lm5")->ifindex > 0);
}

/* Notifications queued before the watch (the creation, at mtu 1500 and
 * down) are older than its query: they must not be replayed. */
static void test_watch_after_changes(void **state)
{
	(void)state;
	NEED_NETNS();
	sh("ip link add lm11 type veth peer name lm11p && ip link set lm11 mtu 2000 && "
	   "ip link set lm11 up");
	assert_int_equal(linkmon_watch(lm, "lm11"), 0);
	assert_int_equal(linkmon_get(lm, "lm11")->mtu, 2000);
	assert_true(linkmon_get(lm, "lm11")->up);
	settle();
	assert_int_equal(nev, 0);
}

/* The re-query path: the changes are reported at once, and the
 * notifications still queued for them add nothing. */
static void test_resync(void **state)
{
	int ifindex;

	(void)state;
	NEED_NETNS();
	sh("ip link add lm6 type veth peer name lm6p");
	assert_int_equal(linkmon_watch(lm, "lm6"), 0);
	assert_int_equal(linkmon_watch(lm, "lm6x"), 0);
	ifindex = linkmon_get(lm, "lm6")->ifindex;

	sh("ip link set lm6 mtu 2000");
	assert_int_equal(linkmon_resync(lm), 0);
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_CHANGED, "lm6");
	assert_int_equal(evs[0].now.mtu, 2000);
	settle();
	assert_int_equal(nev, 1);

	nev = 0;
	sh("ip link del lm6 && ip link add lm6 type veth peer name lm6p && "
	   "ip link add lm6x type veth peer name lm6xp");
	assert_int_equal(linkmon_resync(lm), 0);
	assert_int_equal(nev, 3);
	assert_event(0, LINKMON_GONE, "lm6");
	assert_int_equal(evs[0].before.ifindex, ifindex);
	assert_event(1, LINKMON_NEW, "lm6");
	assert_int_not_equal(evs[1].now.ifindex, ifindex);
	assert_event(2, LINKMON_NEW, "lm6x");
	settle();
	assert_int_equal(nev, 3);
}

/* A receive buffer too small for the burst: the kernel drops
 * notifications, linkmon_process() sees ENOBUFS and re-queries. */
static void test_overrun(void **state)
{
	struct linkmon_stats st;
	int ifindex, small = 0, big = 1 << 20;

	(void)state;
	NEED_NETNS();
	sh("ip link add lm7 type veth peer name lm7p");
	assert_int_equal(linkmon_watch(lm, "lm7"), 0);
	ifindex = linkmon_get(lm, "lm7")->ifindex;
	assert_int_equal(setsockopt(linkmon_fd(lm), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)),
			 0);

	sh("ip link del lm7 && ip link add lm7 type veth peer name lm7p && "
	   "ip link set lm7 mtu 4000 && ip link set lm7 up && "
	   "for i in 1 2 3 4 5 6 7 8; do ip link set lm7p mtu $((1400 + i)); done");
	wait_events(2);
	linkmon_stats(lm, &st);
	assert_true(st.overruns >= 1);
	assert_int_equal(nev, 2);
	assert_event(0, LINKMON_GONE, "lm7");
	assert_int_equal(evs[0].before.ifindex, ifindex);
	assert_event(1, LINKMON_NEW, "lm7");
	assert_int_not_equal(evs[1].now.ifindex, ifindex);
	assert_int_equal(evs[1].now.mtu, 4000);
	assert_true(evs[1].now.up);

	assert_int_equal(setsockopt(linkmon_fd(lm), SOL_SOCKET, SO_RCVBUF, &big, sizeof(big)), 0);
	settle();
	assert_int_equal(nev, 2);
	linkmon_stats(lm, &st);
	assert_int_equal(st.malformed, 0);
}

/* A callback that unwatches its own name and watches another one. */
static void test_cb_reentry(void **state)
{
	int ifindex;

	(void)state;
	NEED_NETNS();
	sh("ip link add lm8 type veth peer name lm8p");
	assert_int_equal(linkmon_watch(lm, "lm8"), 0);
	ifindex = linkmon_get(lm, "lm8")->ifindex;
	reenter_from = "lm8";
	reenter_to = "lm8b";
	/* Both done before the rename is read: the query in the callback
	 * already sees mtu 3000, and the mtu notification adds nothing. */
	sh("ip link set lm8 name lm8b && ip link set lm8b mtu 3000");
	settle();
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_GONE, "lm8");
	assert_null(linkmon_get(lm, "lm8"));
	assert_int_equal(linkmon_get(lm, "lm8b")->ifindex, ifindex);
	assert_int_equal(linkmon_get(lm, "lm8b")->mtu, 3000);
}

/* Crafted messages for the parser. */
static union {
	struct nlmsghdr nh;
	uint8_t b[512];
} pkt;

static size_t put(size_t off, uint16_t type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)(pkt.b + off);

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	return off + RTA_ALIGN(rta->rta_len);
}

/* An RTM_NEWLINK for name (NULL: none) with an mtu (0: none). */
static size_t craft(uint16_t type, uint8_t family, int ifindex, const char *name, uint32_t mtu)
{
	struct ifinfomsg *ifi = NLMSG_DATA(&pkt.nh);
	size_t len = NLMSG_LENGTH(sizeof(*ifi));

	memset(&pkt, 0, sizeof(pkt));
	pkt.nh.nlmsg_type = type;
	ifi->ifi_family = family;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	if (name)
		len = put(len, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu)
		len = put(len, IFLA_MTU, &mtu, sizeof(mtu));
	pkt.nh.nlmsg_len = (uint32_t)len;
	return len;
}

static uint64_t malformed(void)
{
	struct linkmon_stats st;

	linkmon_stats(lm, &st);
	return st.malformed;
}

static void feed_bad(size_t len)
{
	uint64_t before = malformed();

	on_datagram(lm, pkt.b, len);
	assert_int_equal(malformed(), before + 1);
	assert_int_equal(nev, 0);
}

static void test_malformed(void **state)
{
	struct rtattr *rta;
	size_t len;

	(void)state;
	NEED_NETNS();
	assert_int_equal(linkmon_watch(lm, "lm9"), 0);
	assert_int_equal(linkmon_get(lm, "lm9")->ifindex, 0);
	settle(); /* the watch's marker: notifications count from now */

	/* well-formed: accepted */
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9", 1234);
	on_datagram(lm, pkt.b, len);
	assert_int_equal(nev, 1);
	assert_event(0, LINKMON_NEW, "lm9");
	assert_int_equal(evs[0].now.mtu, 1234);
	assert_true(evs[0].now.up);
	nev = 0;

	/* another family (a bridge port leaving its bridge): ignored */
	len = craft(RTM_DELLINK, AF_BRIDGE, 4242, "lm9", 0);
	on_datagram(lm, pkt.b, len);
	assert_int_equal(nev, 0);
	assert_int_equal(malformed(), 0);

	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9", 1000);
	pkt.nh.nlmsg_len = 8;
	feed_bad(len);
	pkt.nh.nlmsg_len = (uint32_t)len + 4;
	feed_bad(len);
	pkt.nh.nlmsg_len = NLMSG_LENGTH(8);
	feed_bad(NLMSG_LENGTH(8));

	/* attribute longer than the message */
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9", 1000);
	rta = (struct rtattr *)(pkt.b + NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	rta->rta_len = 200;
	feed_bad(len);
	rta->rta_len = 2;
	feed_bad(len);

	/* name without a NUL in IF_NAMESIZE bytes; empty name */
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9abcdefghijklmnop", 1000);
	feed_bad(len);
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "", 1000);
	feed_bad(len);
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9", 0);
	rta = (struct rtattr *)(pkt.b + NLMSG_LENGTH(sizeof(struct ifinfomsg)));
	memset(RTA_DATA(rta), 'x', 4); /* "xxxx" with no NUL in rta_len */
	feed_bad(len);

	/* short u32, no name, no ifindex */
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9", 0);
	len = put(len, IFLA_MTU, "\1\2", 2);
	pkt.nh.nlmsg_len = (uint32_t)len;
	feed_bad(len);
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, NULL, 1000);
	feed_bad(len);
	len = craft(RTM_DELLINK, AF_UNSPEC, 0, "lm9", 1000);
	feed_bad(len);

	/* a type that has no business on this socket; trailing bytes */
	len = craft(RTM_NEWADDR, AF_UNSPEC, 4242, "lm9", 1000);
	feed_bad(len);
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4242, "lm9", 1234);
	feed_bad(len + 4);

	/* none of that touched the state */
	assert_int_equal(linkmon_get(lm, "lm9")->mtu, 1234);
	assert_int_equal(linkmon_get(lm, "lm9")->ifindex, 4242);
}

/* Only the kernel is listened to: root can unicast to the socket too. */
static void test_foreign_sender(void **state)
{
	struct sockaddr_nl dst = { .nl_family = AF_NETLINK };
	socklen_t alen = sizeof(dst);
	size_t len;
	int fd;

	(void)state;
	NEED_NETNS();
	assert_int_equal(linkmon_watch(lm, "lm10"), 0);
	assert_int_equal(getsockname(linkmon_fd(lm), (struct sockaddr *)&dst, &alen), 0);
	dst.nl_groups = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	assert_true(fd >= 0);
	len = craft(RTM_NEWLINK, AF_UNSPEC, 4343, "lm10", 1500);
	assert_int_equal(sendto(fd, pkt.b, len, 0, (struct sockaddr *)&dst, sizeof(dst)),
			 (ssize_t)len);
	close(fd);
	wait_more();
	assert_int_equal(malformed(), 1);
	settle();
	assert_int_equal(nev, 0);
	assert_int_equal(linkmon_get(lm, "lm10")->ifindex, 0);
}

static int group_setup(void **state)
{
	(void)state;
	if (have_netns && system("ip link add " MARK " mtu 1400 type veth peer name " MARK "p"))
		return -1;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watch_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recreate_between_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwatched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_altname, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_after_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cb_reentry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_sender, setup, teardown),
	};

	/* not root: every test skips */
	have_netns = !unshare(CLONE_NEWNET);
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
