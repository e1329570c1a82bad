// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz_config: the YAML configuration loader (src/ctl/config.c).
 *
 * Input: a configuration file, written into a memfd that cfg_load() opens
 * by its /proc/self/fd path (the loader reads files only).
 *
 * Invariants, beyond "no crash, no undefined behaviour, no leak" (libFuzzer
 * checks leaks after each input):
 *  - on error: a negative errno, a NUL-terminated message that starts with
 *    the file name, and *out untouched;
 *  - on success: counts within their limits, names NUL-terminated and
 *    found again by cfg_find_port(), static FDB entries naming a port.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctl/config.h"
#include "fuzz.h"
#include "vhost/vu_proto.h"

static int memfd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_log_init();
	memfd = memfd_create("xvs-fuzz-config", MFD_CLOEXEC);
	fuzz_check(memfd >= 0, "memfd_create: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	return 0;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_cfg(const struct cfg *c)
{
	int i, j;

	fuzz_check(terminated(c->name, sizeof(c->name)) && c->name[0], "switch name");
	fuzz_check(terminated(c->control_socket, sizeof(c->control_socket)), "control socket");
	fuzz_check(terminated(c->socket_dir, sizeof(c->socket_dir)), "socket dir");
	fuzz_check(c->log_level <= LOG_LVL_DEBUG, "log level %d", c->log_level);
	fuzz_check(c->n_cpus >= 1 && c->n_cpus <= CFG_MAX_CPUS, "n_cpus %d", c->n_cpus);
	fuzz_check(c->n_ports >= 0 && c->n_ports <= CFG_MAX_PORTS, "n_ports %d", c->n_ports);
	fuzz_check(c->n_static >= 0, "n_static %d", c->n_static);
	fuzz_check(c->n_ports == 0 || c->ports, "ports NULL");
	for (i = 0; i < c->n_ports; i++) {
		const struct cfg_port *p = &c->ports[i];

		fuzz_check(terminated(p->name, sizeof(p->name)) && p->name[0], "port %d name", i);
		fuzz_check(terminated(p->socket, sizeof(p->socket)), "port %s socket", p->name);
		fuzz_check(terminated(p->ifname, sizeof(p->ifname)), "port %s ifname", p->name);
		fuzz_check(cfg_find_port(c, p->name) == p, "port %s found elsewhere", p->name);
		fuzz_check(p->n_queue_ids >= 0 && p->n_queue_ids <= CFG_MAX_QUEUE_IDS,
			   "port %s n_queue_ids %d", p->name, p->n_queue_ids);
		for (j = 0; j < p->n_queue_ids; j++)
			fuzz_check(p->queue_ids[j] < CFG_MAX_QUEUE_IDS, "port %s queue id %u",
				   p->name, p->queue_ids[j]);
		if (p->type == CFG_PORT_VHOST_USER)
			fuzz_check(p->queues >= 1 && p->queues <= VU_MAX_QUEUE_PAIRS,
				   "port %s queues %u", p->name, p->queues);
		else
			fuzz_check(p->type == CFG_PORT_UPLINK && p->vlan == 0,
				   "port %s type %d vlan %u", p->name, p->type, p->vlan);
		fuzz_check(p->vlan < 4095, "port %s vlan %u", p->name, p->vlan);
	}
	fuzz_check(c->n_protected >= 0 && c->n_protected <= CFG_MAX_PROTECTED, "n_protected %d",
		   c->n_protected);
	for (i = 0; i < c->n_protected; i++) {
		static const uint8_t zero[6];

		fuzz_check(!(c->protected_macs[i][0] & 1) && memcmp(c->protected_macs[i], zero, 6),
			   "protected MAC %d multicast or zero", i);
		for (j = 0; j < i; j++)
			fuzz_check(memcmp(c->protected_macs[i], c->protected_macs[j], 6),
				   "protected MAC %d listed twice", i);
	}
	for (i = 0; i < 2; i++) {
		uint32_t mode = i ? c->socket_mode : c->control_socket_mode;

		fuzz_check(!(mode & ~0777u) && (mode & 0600) == 0600, "socket mode %o", mode);
	}
	for (i = 0; i < c->n_static; i++) {
		const struct cfg_fdb_static *s = &c->statics[i];

		fuzz_check(terminated(s->port, sizeof(s->port)), "static %d port", i);
		fuzz_check(cfg_find_port(c, s->port), "static %d names unknown port %s", i,
			   s->port);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t canary[8] = "untouch";
	struct cfg c;
	char err[512];
	int r;

	fuzz_check(ftruncate(memfd, 0) == 0, "ftruncate: %s", strerror(errno));
	fuzz_check(pwrite(memfd, data, size, 0) == (ssize_t)size, "pwrite: %s", strerror(errno));

	memset(&c, 0, sizeof(c));
	memcpy(c.name, canary, sizeof(canary));
	memset(err, 'x', sizeof(err));
	r = cfg_load(path, &c, err, sizeof(err));
	fuzz_dbg("cfg_load: %d%s%s\n", r, r ? ": " : "", r ? err : "");
	if (r) {
		fuzz_check(r < 0 && r > -4096, "cfg_load returned %d", r);
		fuzz_check(terminated(err, sizeof(err)), "error message not terminated");
		fuzz_check(!strncmp(err, path, strlen(path)), "error does not name the file: %s",
			   err);
		fuzz_check(!memcmp(c.name, canary, sizeof(canary)) && c.n_ports == 0 &&
				   !c.ports && !c.statics,
			   "*out changed on error");
		return 0;
	}
	check_cfg(&c);
	cfg_free(&c);
	return 0;
}
