// SPDX-License-Identifier: GPL-2.0-only
#include "xsk/steer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int ethtool(const char *ifname, struct ethtool_rxnfc *nfc)
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
	ifr.ifr_data = (void *)nfc;
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
