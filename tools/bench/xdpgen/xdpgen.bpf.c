// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdpgen: the two XDP programs of the benchmark's "wire".
 *
 * xdpgen_tx  runs under BPF_PROG_TEST_RUN in live-frames mode
 *            (BPF_F_TEST_XDP_LIVE_FRAMES): the kernel feeds it the same
 *            frame again and again and transmits every XDP_TX out of the
 *            interface given as ingress_ifindex. A veth hands such frames
 *            to its peer's XDP program, as a NIC's wire would.
 * xdpgen_sink is attached to the far end of the uplink: counts and drops.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: frames, 1: bytes */
	__type(key, __u32);
	__type(value, __u64);
} xdpgen_count SEC(".maps");

SEC("xdp")
int xdpgen_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

SEC("xdp.frags")
int xdpgen_sink(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	__u64 *n = bpf_map_lookup_elem(&xdpgen_count, &k0);
	__u64 *b = bpf_map_lookup_elem(&xdpgen_count, &k1);

	if (n)
		*n += 1;
	if (b)
		*b += bpf_xdp_get_buff_len(ctx);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
