// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/xprog.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <xdp/libxdp.h>

#include "base/log.h"
#include "xvs_xdp.skel.h"
#include <xvs/fw.h>

#define BPF_FS_MAGIC 0xcafe4a11

int xprog_prepare_pins(const char *switch_name)
{
	char dir[PATH_MAX];
	struct statfs sf;
	int err;

	if (statfs("/sys/fs/bpf", &sf) || (unsigned long)sf.f_type != BPF_FS_MAGIC) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			err = -errno;
			log_err("bpffs is not mounted on /sys/fs/bpf and mounting it failed: %s",
				strerror(errno));
			return err;
		}
		log_info("mounted bpffs on /sys/fs/bpf");
	}
	err = xdpmaps_pin_dir(switch_name, dir, sizeof(dir));
	if (err)
		return err;
	if ((mkdir(XVS_BPFFS_ROOT, 0700) && errno != EEXIST) || (mkdir(dir, 0700) && errno != EEXIST)) {
		err = -errno;
		log_err("cannot create %s: %s", dir, strerror(errno));
		return err;
	}
	return 0;
}

/* The map ids a program uses. */
static int prog_map_ids(int prog_fd, __u32 *ids, __u32 *n)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	info.nr_map_ids = *n;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	*n = info.nr_map_ids;
	return 0;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Is the attached program ours and using this switch's pinned maps? Its
 * socket map, and its zero-copy queue map too: a program of an older build
 * would ignore the queues lent to VMs and put anything into their memory. */
static bool uses_maps(struct xdp_program *p, const struct xdpmaps *m)
{
	__u32 ids[64], n = XVS_ARRAY_SIZE(ids); /* the program uses 17 maps */
	__u32 want = map_id(m->xsks), want_zcq = map_id(m->zcq), i;
	bool xsks = false, zcq = false;

	if (!want || !want_zcq || prog_map_ids(xdp_program__fd(p), ids, &n))
		return false;
	for (i = 0; i < n && i < XVS_ARRAY_SIZE(ids); i++) {
		xsks |= ids[i] == want;
		zcq |= ids[i] == want_zcq;
	}
	return xsks && zcq;
}

/* Look at what is attached. 1: adopted; 0: nothing attached; <0: error. */
static int try_adopt(struct xprog *x, const char *switch_name, struct xdpmaps *maps)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(x->ifindex);
	struct xdp_program *p = NULL;
	const char *other = NULL;
	int ret = 0;

	if (!mp || libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
	} else {
		while ((p = xdp_multiprog__next_prog(p, mp)))
			if (!strcmp(xdp_program__name(p), XVS_XDP_PROG_NAME))
				break;
	}
	if (!p) {
		struct xdp_program *first = xdp_multiprog__main_prog(mp);

		other = first ? xdp_program__name(first) : "?";
		ret = -EBUSY;
		goto out;
	}
	if (strcmp(xdp_program__name(p), XVS_XDP_PROG_NAME)) {
		other = xdp_program__name(p);
		ret = -EBUSY;
		goto out;
	}
	if (maps->fdb < 0 && xdpmaps__open(maps, switch_name)) {
		log_err("%s: an %s program is attached, but switch %s has no pinned maps: "
			"load it with xdp-loader -p %s/%s, or unload it",
			x->ifname, XVS_XDP_PROG_NAME, switch_name, XVS_BPFFS_ROOT, switch_name);
		ret = -ENOENT;
		goto out;
	}
	if (!uses_maps(p, maps)) {
		log_err("%s: the attached %s program uses other maps than switch %s "
			"(another switch's?); nothing changed",
			x->ifname, XVS_XDP_PROG_NAME, switch_name);
		ret = -EBUSY;
		goto out;
	}
	x->adopted = true;
	x->native = xdp_multiprog__attach_mode(mp) != XDP_MODE_SKB;
	ret = 1;
out:
	if (other)
		log_err("%s: XDP program '%s' is attached and it is not xvs's; detach it "
			"(xdp-loader unload %s --all) or use another interface; nothing changed",
			x->ifname, other, x->ifname);
	xdp_multiprog__close(mp);
	return ret;
}

int xprog_attach(struct xprog *x, const char *switch_name, const char *ifname,
		 enum xsk_xdp_mode want, struct xdpmaps *maps)
{
	char pin[PATH_MAX];
	struct xvs_xdp *skel;
	struct xdp_program *p;
	int err;

	memset(x, 0, sizeof(*x));
	snprintf(x->ifname, sizeof(x->ifname), "%s", ifname);
	x->ifindex = (int)if_nametoindex(ifname);
	if (!x->ifindex) {
		log_err("%s: no such interface", ifname);
		return -ENODEV;
	}
	err = try_adopt(x, switch_name, maps);
	if (err)
		return err < 0 ? err : 0;

	err = xdpmaps_pin_dir(switch_name, pin, sizeof(pin));
	if (err)
		return err;
	{
		LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin);

		skel = xvs_xdp__open_opts(&opts);
	}
	if (!skel) {
		err = -errno;
		log_err("%s: cannot open the embedded XDP program: %s", ifname, strerror(errno));
		return err;
	}
	/* a conntrack table xvsd made with another size than the default
	 * (conntrack.max-entries): the program takes it as it is */
	{
		struct bpf_map_info info = {};
		__u32 ilen = sizeof(info);
		char path[PATH_MAX + 16];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", pin, XVS_MAP_CT);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) && info.max_entries)
				bpf_map__set_max_entries(skel->maps.xvs_ct, info.max_entries);
			close(fd);
		}
	}
	p = xdp_program__from_bpf_obj(skel->obj, "xdp.frags");
	err = libxdp_get_error(p);
	if (err) {
		log_err("%s: libxdp cannot use the XDP program: %s", ifname, strerror(-err));
		goto destroy_skel;
	}
	x->skel = skel;
	/* libxdp tries its multi-program dispatcher first and falls back to
	 * attaching the program alone; the failed attempt's warnings are noise
	 * (xprog reports what finally happened) */
	log_libs_quiet(true);
	err = -EOPNOTSUPP;
	if (want != XSK_XDP_SKB) {
		err = xdp_program__attach(p, x->ifindex, XDP_MODE_NATIVE, 0);
		x->native = !err;
	}
	if (err && (want == XSK_XDP_AUTO || want == XSK_XDP_SKB))
		err = xdp_program__attach(p, x->ifindex, XDP_MODE_SKB, 0);
	log_libs_quiet(false);
	if (err) {
		log_err("%s: cannot attach XDP (%s mode): %s", ifname,
			want == XSK_XDP_SKB ? "skb" : want == XSK_XDP_AUTO ? "native or skb" : "native",
			strerror(-err));
		xdp_program__close(p);
		goto destroy_skel;
	}
	x->prog = p;
	if (maps->fdb < 0) {
		err = xdpmaps__open(maps, switch_name);
		if (err) {
			xprog_detach(x);
			return err;
		}
	}
	return 0;

destroy_skel:
	xvs_xdp__destroy(skel);
	x->skel = NULL;
	return err;
}

void xprog_detach(struct xprog *x)
{
	int err;

	if (!x->prog)
		return;
	err = xdp_program__detach(x->prog, x->ifindex, x->native ? XDP_MODE_NATIVE : XDP_MODE_SKB,
				  0);
	if (err && err != -ENODEV)
		log_warn("%s: detaching XDP: %s", x->ifname, strerror(-err));
	xdp_program__close(x->prog);
	x->prog = NULL;
	xvs_xdp__destroy(x->skel);
	x->skel = NULL;
}

const char *xprog_mode_name(const struct xprog *x)
{
	return x->native ? "native" : "skb";
}
