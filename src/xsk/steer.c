// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/steer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int ethtool(const char *ifname, void *cmd)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	/* "not supported" comes in several spellings */
	return err == -EINVAL || err == -ENOTSUP ? -EOPNOTSUPP : err;
}

int steer_add(const char *ifname, const uint8_t mac[6], uint16_t vlan, uint16_t qid,
	      uint32_t *loc)
{
	struct ethtool_rxnfc nfc;
	struct ethtool_rx_flow_spec *fs = &nfc.fs;
	int err;

	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLINS;
	fs->flow_type = ETHER_FLOW | (vlan ? FLOW_EXT : 0);
	/* in a flow spec a set mask bit means "compare this bit" */
	memcpy(fs->h_u.ether_spec.h_dest, mac, 6);
	memset(fs->m_u.ether_spec.h_dest, 0xff, 6);
	if (vlan) {
		fs->h_ext.vlan_tci = htons(vlan);
		fs->m_ext.vlan_tci = htons(0x0fff);
	}
	fs->ring_cookie = qid;
	fs->location = RX_CLS_LOC_ANY;
	err = ethtool(ifname, &nfc);
	if (!err)
		*loc = fs->location;
	return err;
}

int steer_del(const char *ifname, uint32_t loc)
{
	struct ethtool_rxnfc nfc;

	memset(&nfc, 0, sizeof(nfc));
	nfc.cmd = ETHTOOL_SRXCLSRLDEL;
	nfc.fs.location = loc;
	return ethtool(ifname, &nfc);
}

/* The table in one allocation: header and ring_index[n]. */
static struct ethtool_rxfh_indir *indir_alloc(uint32_t cmd, uint32_t n)
{
	struct ethtool_rxfh_indir *t = calloc(1, sizeof(*t) + (size_t)n * sizeof(t->ring_index[0]));

	if (t) {
		t->cmd = cmd;
		t->size = n;
	}
	return t;
}

int steer_rss_exclude(const char *ifname, uint64_t lent, uint32_t nqueues, uint32_t **saved,
		      uint32_t *n)
{
	struct ethtool_rxfh_indir probe = { .cmd = ETHTOOL_GRXFHINDIR }, *t = NULL;
	uint32_t own[64], nown = 0, q, i, j = 0;
	bool touched = false;
	int err;

	*saved = NULL;
	*n = 0;
	for (q = 0; q < nqueues && q < 64; q++)
		if (!(lent >> q & 1))
			own[nown++] = q;
	if (!nown)
		return -EINVAL;
	err = ethtool(ifname, &probe); /* size 0: the kernel says how large */
	if (err)
		return err;
	if (!probe.size || probe.size > 65536)
		return -EOPNOTSUPP;
	t = indir_alloc(ETHTOOL_GRXFHINDIR, probe.size);
	*saved = calloc(probe.size, sizeof(**saved));
	if (!t || !*saved) {
		err = -ENOMEM;
		goto fail;
	}
	err = ethtool(ifname, t);
	if (err)
		goto fail;
	memcpy(*saved, t->ring_index, probe.size * sizeof(**saved));
	for (i = 0; i < probe.size; i++)
		if (t->ring_index[i] < 64 && (lent >> t->ring_index[i] & 1)) {
			t->ring_index[i] = own[j++ % nown];
			touched = true;
		}
	if (!touched) {
		free(*saved);
		*saved = NULL;
		free(t);
		return 0;
	}
	t->cmd = ETHTOOL_SRXFHINDIR;
	err = ethtool(ifname, t);
	if (err)
		goto fail;
	*n = probe.size;
	free(t);
	return 0;
fail:
	free(t);
	free(*saved);
	*saved = NULL;
	return err;
}

int steer_rss_restore(const char *ifname, const uint32_t *saved, uint32_t n)
{
	struct ethtool_rxfh_indir *t;
	int err;

	if (!saved || !n)
		return 0;
	t = indir_alloc(ETHTOOL_SRXFHINDIR, n);
	if (!t)
		return -ENOMEM;
	memcpy(t->ring_index, saved, n * sizeof(*saved));
	err = ethtool(ifname, t);
	free(t);
	return err;
}
