/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sdnotify: the service manager's readiness protocol (sd_notify(3)) without
 * libsystemd. When xvsd runs under a unit of Type=notify, systemd sets
 * NOTIFY_SOCKET to a unix datagram socket, a path or, with a leading '@',
 * a name in the abstract namespace; each state change is one datagram of
 * newline-separated VAR=VALUE assignments. Without NOTIFY_SOCKET every call
 * does nothing and returns 0.
 *
 * xvsd sends READY=1 once the control socket listens and the ports and
 * workers run (xvsd_init succeeded), RELOADING=1 ... READY=1 around a
 * SIGHUP reload, and STOPPING=1 when it begins to shut down.
 *
 * Control thread only. A send blocks while the receiver's queue is full,
 * at most SDNOTIFY_TIMEOUT_MS; a failure is logged and returned, and the
 * daemon carries on (the manager then decides, by its own timeouts).
 */
#ifndef XVS_SDNOTIFY_H
#define XVS_SDNOTIFY_H

#define SDNOTIFY_TIMEOUT_MS 5000

/* Send `state` ("READY=1", "STOPPING=1", ...) as one datagram: 0 if sent
 * or NOTIFY_SOCKET is unset, a negative errno otherwise. */
int sdnotify_send(const char *state);

/* "RELOADING=1" with MONOTONIC_USEC= (CLOCK_MONOTONIC now, which systemd
 * 253 and later require with Type=notify-reload; 252 ignores it). */
int sdnotify_reloading(void);

#endif /* XVS_SDNOTIFY_H */
