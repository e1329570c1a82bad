// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdpgen: the wire of `make bench`'s uplink scenarios, because Debian's
 * xdp-trafficgen and xdp-bench (xdp-tools 1.3.1) do not load on kernels
 * without the xdp_redirect_map tracepoints (6.x).
 *
 *   xdpgen gen  -i IFACE --dst MAC [--size N] [--rate PPS] [--count N | --duration S]
 *               [--hold IFACE2 [--gap-us US]]
 *   xdpgen sink -i IFACE
 *
 * gen: live-frame XDP generator. The frame (UDP/IPv4 10.0.0.1:1000 ->
 * 10.0.0.2:2000, built like xvs-vufront's, payload seq 0, so its receiver
 * verifies every frame and counts repeats as rx_dup) is handed to
 * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES; the program returns
 * XDP_TX, so the kernel transmits it out of IFACE `repeat` times without a
 * copy to or from userspace. All the work happens in this process's
 * syscalls and the softirqs they raise, on this process's CPU. --rate
 * paces with one call per 200 µs, which costs the per-call overhead below:
 * it suits low rates only. The kernel picks the queue: a veth hands such a
 * frame to its peer's RX queue (sending CPU) mod (its RX queues), so from
 * CPU 0 always queue 0. Prints
 *   gen_frames=N elapsed_s=S gen_pps=R
 *
 * The per-call wait is the kernel's XDP dispatcher: a test run adds the
 * program to it and removes it again, each a synchronize_rcu(). --hold
 * attaches the program (native XDP) to IFACE2, an interface with no traffic,
 * for the whole run: it stays in the dispatcher and a call costs only its
 * frames. --gap-us then sends in calls of about GEN_GAP_CALL_NS and sleeps
 * US µs after each (timer slack 1 µs; a 100 µs scheduler slice, so that the
 * generator's wakeup preempts a busy-polling task on its CPU): a frontend
 * that polls on the same CPU gets to drain its ring every ~100 µs instead of
 * once per scheduler tick (4 ms at HZ=250; more frames than any ring holds).
 *
 * sink: attaches a counting XDP_DROP program to IFACE (native mode), prints
 * "ready" on stderr, and on SIGINT/SIGTERM detaches and prints
 *   sink_frames=N sink_bytes=N
 * (bytes: Ethernet frames without FCS).
 *
 * The BPF object is xdpgen.bpf.o next to this binary (or --obj PATH).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_link.h>
#include <sched.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "args.h"
#include "frame.h"

#define GEN_MAX_SIZE 3800 /* one page with XDP headroom and skb_shared_info */
/* Unpaced: frames per syscall. Each BPF_PROG_TEST_RUN call costs tens of
 * milliseconds of waiting besides the work (measured here: about 22 ms per
 * call whatever its size; 64K-frame calls
 * gave 1.3 Mpps with the CPU half idle, 1M-frame calls 5.4 Mpps), so calls
 * are sized to take about GEN_CALL_NS at the rate seen so far. */
#define GEN_CHUNK_MIN 65536ull
#define GEN_CHUNK_MAX (1ull << 24)
#define GEN_CALL_NS 400000000ull
#define GEN_TICK_NS 200000ull /* paced: one syscall per 200 us */
#define GEN_GAP_CALL_NS 100000ull /* --gap-us: frames per call for about this */
#define GEN_GAP_CHUNK_MIN 64ull
#define GEN_SLICE_NS 100000ull /* --gap-us: the scheduler slice asked for */
#define NS 1000000000ull

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xdpgen gen -i IFACE [--dst MAC] [--src MAC] [--size N] [--rate PPS]\n"
		"                  [--count N] [--duration S] [--hold IFACE2 [--gap-us US]]\n"
		"                  [--obj PATH]\n"
		"       xdpgen sink -i IFACE [--obj PATH]\n"
		"  --size: Ethernet bytes without FCS, 60..%d (60)\n"
		"  --rate: frames per second, 0 = as fast as the kernel takes them (0)\n"
		"  --count / --duration: stop after N frames / S seconds (10 s)\n"
		"  --hold IFACE2: keep the program attached to IFACE2 (no per-call wait)\n"
		"  --gap-us US: with --hold, calls of ~100 us, US us of sleep after each\n",
		GEN_MAX_SIZE);
}

static int open_obj(const char *path, const char *argv0, struct bpf_object **obj)
{
	char buf[PATH_MAX], self[PATH_MAX];
	ssize_t n;
	int err;

	if (!path) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			snprintf(self, sizeof(self), "%s", argv0);
		else
			self[n] = 0;
		snprintf(buf, sizeof(buf), "%s/xdpgen.bpf.o", dirname(self));
		path = buf;
	}
	*obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(*obj);
	if (err) {
		fprintf(stderr, "xdpgen: cannot open %s: %s\n", path, strerror(-err));
		return err;
	}
	err = bpf_object__load(*obj);
	if (err) {
		fprintf(stderr, "xdpgen: cannot load %s: %s\n", path, strerror(-err));
		bpf_object__close(*obj);
	}
	return err;
}

/* --gap-us: timer slack 1 µs, a short scheduler slice (Linux 6.12+: a
 * SCHED_OTHER sched_runtime is the slice it asks for); best effort */
static void gen_short_slices(void)
{
	/* struct sched_attr (VER0); glibc has no wrapper, and the UAPI header
	 * clashes with <sched.h> */
	struct {
		uint32_t size, policy;
		uint64_t flags;
		int32_t nice;
		uint32_t priority;
		uint64_t runtime, deadline, period;
	} a = { .size = sizeof(a), .policy = SCHED_OTHER, .runtime = GEN_SLICE_NS };

	prctl(PR_SET_TIMERSLACK, 1000UL);
	if (syscall(SYS_sched_setattr, 0, &a, 0))
		fprintf(stderr, "xdpgen: no short scheduler slice (%s): gaps may be longer\n",
			strerror(errno));
}

static int run_gen(struct bpf_object *obj, int ifindex, const struct frame *f, uint64_t rate,
		   uint64_t count, double duration, uint64_t gap_us)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "xdpgen_tx");
	struct xdp_md ctx = { .data_end = (__u32)f->len, .ingress_ifindex = (__u32)ifindex };
	uint64_t t0, t, end, sent = 0, due, n, busy = 0;
	int fd, err;

	if (!prog) {
		fprintf(stderr, "xdpgen: program xdpgen_tx missing from the object\n");
		return -ENOENT;
	}
	fd = bpf_program__fd(prog);
	t0 = now_ns();
	end = duration > 0 ? t0 + (uint64_t)(duration * (double)NS) : UINT64_MAX;
	for (t = t0; !stop && t < end && sent < count; t = now_ns()) {
		if (rate) {
			due = (uint64_t)((double)rate * (double)(t - t0) / (double)NS) + 1;
			if (due <= sent) {
				struct timespec ts = { 0, (long)GEN_TICK_NS };

				nanosleep(&ts, NULL);
				continue;
			}
			n = due - sent;
		} else if (gap_us) {
			/* sized by the time spent in calls, not asleep */
			n = busy ? (uint64_t)((double)sent * (double)GEN_GAP_CALL_NS / (double)busy) : 0;
			n = n < GEN_GAP_CHUNK_MIN ? GEN_GAP_CHUNK_MIN : n > GEN_CHUNK_MAX ? GEN_CHUNK_MAX : n;
		} else {
			n = t > t0 ? (uint64_t)((double)sent * (double)GEN_CALL_NS / (double)(t - t0)) : 0;
			n = n < GEN_CHUNK_MIN ? GEN_CHUNK_MIN : n > GEN_CHUNK_MAX ? GEN_CHUNK_MAX : n;
			if (end != UINT64_MAX && sent && t + GEN_CALL_NS > end)
				n = n * (end - t) / GEN_CALL_NS + 1;
		}
		if (n > count - sent)
			n = count - sent;
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->buf, .data_size_in = (__u32)f->len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = (__u32)n,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
		err = bpf_prog_test_run_opts(fd, &opts);
		if (err) {
			fprintf(stderr, "xdpgen: BPF_PROG_TEST_RUN (live frames) on ifindex %d: %s\n",
				ifindex, strerror(errno));
			return -errno;
		}
		sent += n;
		if (gap_us) {
			struct timespec ts = { 0, (long)(gap_us * 1000) };

			busy += now_ns() - t;
			nanosleep(&ts, NULL);
		}
	}
	t = now_ns();
	printf("gen_frames=%llu elapsed_s=%.3f gen_pps=%.0f\n", (unsigned long long)sent,
	       (double)(t - t0) / (double)NS, t > t0 ? (double)sent * (double)NS / (double)(t - t0) : 0);
	fflush(stdout);
	return 0;
}

/* --hold: the program attached to an idle interface keeps its place in the
 * XDP dispatcher (see the top) */
static int gen_hold(struct bpf_object *obj, int ifindex, bool on)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "xdpgen_tx");
	int err;

	if (!on)
		return bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	err = prog ? bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL)
		   : -ENOENT;
	if (err)
		fprintf(stderr, "xdpgen: --hold: attaching to ifindex %d: %s\n", ifindex,
			strerror(-err));
	return err;
}

static int run_sink(struct bpf_object *obj, int ifindex)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(obj, "xdpgen_sink");
	struct bpf_map *map = bpf_object__find_map_by_name(obj, "xdpgen_count");
	int ncpu = libbpf_num_possible_cpus(), err, i;
	unsigned long long tot[2] = { 0, 0 };
	__u64 *v;
	__u32 k;

	if (!prog || !map || ncpu <= 0) {
		fprintf(stderr, "xdpgen: program xdpgen_sink or map xdpgen_count missing\n");
		return -ENOENT;
	}
	err = bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "xdpgen: attaching the sink (native XDP) to ifindex %d: %s\n",
			ifindex, strerror(-err));
		return err;
	}
	fprintf(stderr, "ready\n");
	while (!stop)
		pause();
	bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (k = 0; k < 2; k++) {
		if (bpf_map__lookup_elem(map, &k, sizeof(k), v, sizeof(*v) * (size_t)ncpu, 0))
			continue;
		for (i = 0; i < ncpu; i++)
			tot[k] += v[i];
	}
	free(v);
	printf("sink_frames=%llu sink_bytes=%llu\n", tot[0], tot[1]);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iface", required_argument, NULL, 'i' },  { "dst", required_argument, NULL, 'd' },
		{ "src", required_argument, NULL, 's' },    { "size", required_argument, NULL, 'S' },
		{ "rate", required_argument, NULL, 'r' },   { "count", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 't' }, { "obj", required_argument, NULL, 'o' },
		{ "hold", required_argument, NULL, 'H' },   { "gap-us", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
	};
	const char *mode, *ifname = NULL, *objpath = NULL, *hold = NULL;
	uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };
	uint64_t size = 60, rate = 0, count = UINT64_MAX, gap_us = 0;
	double duration = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_object *obj;
	static struct frame f;
	int c, ifindex, hold_ifindex = 0, err;
	char *end;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	mode = argv[1];
	if (strcmp(mode, "gen") && strcmp(mode, "sink")) {
		fprintf(stderr, "xdpgen: unknown mode '%s' (gen or sink)\n", mode);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'd':
		case 's':
			if (frame_parse_mac(optarg, c == 'd' ? dst : src)) {
				fprintf(stderr, "xdpgen: --%s: not a MAC address: '%s'\n",
					c == 'd' ? "dst" : "src", optarg);
				return 2;
			}
			break;
		case 'S':
			if (args_u64(optarg, 10, 60, GEN_MAX_SIZE, &size)) {
				fprintf(stderr, "xdpgen: --size: want 60..%d, got '%s'\n",
					GEN_MAX_SIZE, optarg);
				return 2;
			}
			break;
		case 'r':
		case 'n':
			if (args_u64(optarg, 10, c == 'n', UINT32_MAX * 64ull,
				     c == 'r' ? &rate : &count)) {
				fprintf(stderr, "xdpgen: --%s: not a count: '%s'\n",
					c == 'r' ? "rate" : "count", optarg);
				return 2;
			}
			break;
		case 't':
			duration = strtod(optarg, &end);
			if (*end || !(duration > 0)) {
				fprintf(stderr, "xdpgen: --duration: want seconds > 0, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'o':
			objpath = optarg;
			break;
		case 'H':
			hold = optarg;
			break;
		case 'g':
			if (args_u64(optarg, 10, 1, 100000, &gap_us)) {
				fprintf(stderr, "xdpgen: --gap-us: want 1..100000, got '%s'\n", optarg);
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
	if (!ifname || optind != argc) {
		usage(stderr);
		return 2;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		fprintf(stderr, "xdpgen: no interface '%s'\n", ifname);
		return 1;
	}
	if (count == UINT64_MAX && duration == 0)
		duration = 10;
	if (gap_us && (!hold || rate)) {
		fprintf(stderr, "xdpgen: --gap-us needs --hold and no --rate\n");
		return 2;
	}
	if (hold) {
		hold_ifindex = (int)if_nametoindex(hold);
		if (!hold_ifindex) {
			fprintf(stderr, "xdpgen: --hold: no interface '%s'\n", hold);
			return 1;
		}
	}

	frame_init(&f);
	frame_eth(&f, dst, src);
	frame_ip4(&f, "10.0.0.1", "10.0.0.2", 0);
	frame_udp(&f, 1000, 2000);
	frame_payload(&f, size - 42, 0);
	if (frame_finish(&f) < 0) {
		fprintf(stderr, "xdpgen: cannot build a %llu-byte frame\n", (unsigned long long)size);
		return 1;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	libbpf_set_print(NULL);
	if (open_obj(objpath, argv[0], &obj))
		return 1;
	if (!strcmp(mode, "gen")) {
		err = hold_ifindex ? gen_hold(obj, hold_ifindex, true) : 0;
		if (!err) {
			if (gap_us)
				gen_short_slices();
			err = run_gen(obj, ifindex, &f, rate, count, duration, gap_us);
		}
		if (hold_ifindex)
			gen_hold(obj, hold_ifindex, false);
	} else
		err = run_sink(obj, ifindex);
	bpf_object__close(obj);
	return err ? 1 : 0;
}
