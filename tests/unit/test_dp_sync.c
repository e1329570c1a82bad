// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane's quiescence (src/dp/dp.c): dp_sync() must not return
 * while a worker can still touch a port the control thread unpublished —
 * in particular not while a worker that was asleep wakes up on its
 * timeout and looks at its rings.
 *
 * The test plays the control thread against one real worker (adaptive
 * polling, no guest): it holds the lock of the worker's TX vring across
 * the worker's one-second sleep, so the waking worker is caught inside
 * that port; dp_sync() started then must wait until the lock is given
 * back.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/log.h"
#include "dp/dp.h"

static struct dp dp;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	struct dp_opts o;

	(void)state;
	log_set_level(LOG_LVL_ERR);
	memset(&o, 0, sizeof(o));
	o.poll = DP_POLL_ADAPTIVE;
	o.idle_us = 100;
	o.max_nap_us = 0;
	o.n_workers = 0; /* one worker, not pinned */
	o.fdb_max = 1024;
	assert_int_equal(dp_init(&dp, &o), 0);
	assert_int_equal(dp_start(&dp), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dp_stop(&dp);
	dp_destroy(&dp);
	return 0;
}

struct sync_thread {
	pthread_t t;
	int done;
};

static void *do_sync(void *arg)
{
	struct sync_thread *s = arg;

	dp_sync(&dp);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool worker_asleep(int ms)
{
	for (; ms > 0; ms -= 10) {
		if (__atomic_load_n(&dp.workers[0].sleeping, __ATOMIC_ACQUIRE))
			return true;
		sleep_ms(10);
	}
	return false;
}

/*
 * Regression (issue 10): on its epoll timeout the worker re-armed kicks on
 * its rings while still marked asleep, so dp_sync() could return — and the
 * port be freed — while the worker was inside it.
 */
static void sync_waits_for_a_waking_worker(void **state)
{
	struct dp_port_opts po = { .type = DP_PORT_VHOST, .queues = 1, .mtu = 1500 };
	struct sync_thread s = { .done = 0 };
	struct dp_port *p;
	struct vq *vq;
	int i, early;

	(void)state;
	snprintf(po.name, sizeof(po.name), "vm1");
	p = dp_port_add(&dp, &po);
	assert_non_null(p);
	assert_int_equal(p->owner[0], 0);
	vq = &p->dev.vr[1].vq; /* the guest's TX vring: the worker's to poll */
	dp_wake(&dp);
	assert_true(worker_asleep(2000));
	vq_lock(vq); /* the worker, waking on its timeout, will wait for this */
	sleep_ms(1500); /* past the worker's 1 s timeout: it is in the port now */
	assert_int_equal(pthread_create(&s.t, NULL, do_sync, &s), 0);
	for (i = 0; i < 30 && !__atomic_load_n(&s.done, __ATOMIC_ACQUIRE); i++)
		sleep_ms(10);
	early = __atomic_load_n(&s.done, __ATOMIC_ACQUIRE);
	vq_unlock(vq);
	/* the old code: dp_sync returned at once, the worker still in the port */
	assert_false(early);
	for (i = 0; i < 300 && !__atomic_load_n(&s.done, __ATOMIC_ACQUIRE); i++)
		sleep_ms(10);
	assert_true(__atomic_load_n(&s.done, __ATOMIC_ACQUIRE));
	pthread_join(s.t, NULL);
	dp_port_del(&dp, p);
}

/* A port removed while the worker sleeps is gone when it wakes. */
static void port_removed_while_asleep(void **state)
{
	struct dp_port_opts po = { .type = DP_PORT_VHOST, .queues = 1, .mtu = 1500 };
	struct dp_port *p;

	(void)state;
	snprintf(po.name, sizeof(po.name), "vm1");
	p = dp_port_add(&dp, &po);
	assert_non_null(p);
	dp_wake(&dp);
	assert_true(worker_asleep(2000));
	dp_port_del(&dp, p); /* must not wait for the sleeper */
	assert_null(dp.ports[0]);
	dp_wake(&dp);
	sleep_ms(50);
	assert_true(worker_asleep(2000));
}

/*
 * Queue pairs and ports spread over the workers. Regression: the owner was
 * (port * 8 + queue) % workers, so with 2 workers queue 0 of every port was
 * worker 0's: single-queue VMs never reached the second worker.
 */
static void rings_spread_over_workers(void **state)
{
	struct dp_port_opts po = { .type = DP_PORT_VHOST, .queues = 2, .mtu = 1500 };
	struct dp_port *a, *b, *c;
	struct dp d2;
	struct dp_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.poll = DP_POLL_ADAPTIVE;
	o.idle_us = 100;
	o.n_workers = 2;
	o.cpus[0] = o.cpus[1] = -1;
	o.fdb_max = 1024;
	assert_int_equal(dp_init(&d2, &o), 0);
	assert_int_equal(d2.nworkers, 2);
	snprintf(po.name, sizeof(po.name), "a");
	a = dp_port_add(&d2, &po);
	po.queues = 1;
	snprintf(po.name, sizeof(po.name), "b");
	b = dp_port_add(&d2, &po);
	snprintf(po.name, sizeof(po.name), "c");
	c = dp_port_add(&d2, &po);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	/* one VM's two queue pairs: one on each worker */
	assert_int_not_equal(a->owner[0], a->owner[1]);
	/* two single-queue VMs on consecutive ports: one on each worker */
	assert_int_not_equal(b->owner[0], c->owner[0]);
	assert_true(dp_owner(&d2, b, 1) != dp_owner(&d2, c, 1));
	dp_port_del(&d2, a);
	dp_port_del(&d2, b);
	dp_port_del(&d2, c);
	dp_destroy(&d2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sync_waits_for_a_waking_worker, setup, teardown),
		cmocka_unit_test_setup_teardown(port_removed_while_asleep, setup, teardown),
		cmocka_unit_test(rings_spread_over_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
