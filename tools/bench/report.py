#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turn a `make bench` results directory into the table, CSV, JSON and PNG.

    report.py RESULTS_DIR

Reads meta.json and trials.jsonl (one object per trial, written by
tools/bench/lib/scenarios.sh); writes table.md, results.csv, results.json and
results.png (when matplotlib is there). Medians over runs; the "limited by"
verdict is computed from the medians of measured CPU use, with the rules in
tools/bench/README.md (and `limiter()` below).
"""
import csv
import json
import os
import statistics
import sys

SWITCHES = ["xvs", "ovs", "testpmd"]  # the main table
ALL_SWITCHES = ["xvs", "xvs-zc", "xvs-fw", "xvs-cap", "ovs", "ovs-ct", "testpmd"]
NAMES = {"xvs": "xvs", "xvs-zc": "xvs zero-copy", "xvs-fw": "xvs + firewall",
         "xvs-cap": "xvs + capture elsewhere", "ovs": "OVS-DPDK", "ovs-ct": "OVS-DPDK + ct",
         "testpmd": "testpmd"}
SAT = 0.90  # a CPU busy at least this share of the window is saturated

# (scenario, size) in table order, with a label and the kind of figure
ROWS = [
    ("vm2vm", 64, "VM→VM 64 B", "rate"),
    ("vm2vm", 512, "VM→VM 512 B", "rate"),
    ("vm2vm", 1518, "VM→VM 1518 B", "rate"),
    ("vm2vm-tso", 65000, "VM→VM TCP in 64 KiB TSO frames (offloads on; Gb/s of the stream)", "rate"),
    ("vm2vm-zl", 64, "VM→VM 64 B, zero-loss rate", "zl"),
    ("vm2vm-zl", 1518, "VM→VM 1518 B, zero-loss rate", "zl"),
    ("loop", 64, "VM→VM 64 B, DPDK virtio-user loop", "rate"),
    ("loop", 1518, "VM→VM 1518 B, DPDK virtio-user loop", "rate"),
    ("loop-mf", 64, "VM→VM 64 B, multi-flow loop", "rate"),
    ("loop-packed", 64, "VM→VM 64 B, loop on packed rings (packed_vq=1)", "rate"),
    ("loop-packed", 1518, "VM→VM 1518 B, loop on packed rings (packed_vq=1)", "rate"),
    ("loop-inorder", 64, "VM→VM 64 B, loop with in_order=1", "rate"),
    ("loop-inorder", 1518, "VM→VM 1518 B, loop with in_order=1", "rate"),
    ("loop-mq1", 64, "VM→VM 64 B, loop, switch on 2 CPUs, 1 queue pair", "rate"),
    ("loop-mq2", 64, "VM→VM 64 B, loop, switch on 2 CPUs, 2 queue pairs", "rate"),
    ("loop-mq1", 1518, "VM→VM 1518 B, loop, switch on 2 CPUs, 1 queue pair", "rate"),
    ("loop-mq2", 1518, "VM→VM 1518 B, loop, switch on 2 CPUs, 2 queue pairs", "rate"),
    ("nic2vm", 64, "NIC→VM 64 B", "rate"),
    ("nic2vm", 1518, "NIC→VM 1518 B", "rate"),
    ("vm2nic", 64, "VM→NIC 64 B", "rate"),
    ("vm2nic", 1518, "VM→NIC 1518 B", "rate"),
    ("nic2vm-dpdk", 64, "NIC→VM 64 B, DPDK virtio-user", "rate"),
    ("nic2vm-dpdk", 1518, "NIC→VM 1518 B, DPDK virtio-user", "rate"),
    ("vm2nic-dpdk", 64, "VM→NIC 64 B, DPDK virtio-user", "rate"),
    ("vm2nic-dpdk", 1518, "VM→NIC 1518 B, DPDK virtio-user", "rate"),
    ("pvp", 64, "PVP 64 B (round trips)", "rate"),
    ("pvp", 1518, "PVP 1518 B (round trips)", "rate"),
    ("vm2vm-ps", 64, "VM→VM 64 B, idle-saving option on", "rate"),
    ("vm2vm-ps", 1518, "VM→VM 1518 B, idle-saving option on", "rate"),
    ("eff", 64, "efficiency: CPU-s per Mframe at {rate} kpps, 64 B", "eff"),
    ("eff-ps", 64, "efficiency, idle-saving option on", "eff"),
    ("idle", None, "idle: switch CPU, guests connected", "idle"),
    ("idle-ps", None, "idle, idle-saving option on", "idle"),
]
# the zero-copy table: NIC⇄VM, xvs zero-copy against xvs's copy path and
# the peers; (scenario, size, label, direction of the zero-copy counters)
ZC_ROWS = [
    ("nic2vm", 64, "NIC→VM 64 B, xvs-vufront", "to_vm"),
    ("nic2vm", 1518, "NIC→VM 1518 B, xvs-vufront", "to_vm"),
    ("nic2vm-dpdk", 64, "NIC→VM 64 B, DPDK virtio-user", "to_vm"),
    ("nic2vm-dpdk", 1518, "NIC→VM 1518 B, DPDK virtio-user", "to_vm"),
    ("vm2nic", 64, "VM→NIC 64 B, xvs-vufront", "from_vm"),
    ("vm2nic", 1518, "VM→NIC 1518 B, xvs-vufront", "from_vm"),
    ("vm2nic-dpdk", 64, "VM→NIC 64 B, DPDK virtio-user", "from_vm"),
    ("vm2nic-dpdk", 1518, "VM→NIC 1518 B, DPDK virtio-user", "from_vm"),
]
ZC_PEERS = ["xvs", "ovs", "testpmd"]  # zc ÷ each
# the firewall table: xvs with its firewall (100 rules, conntrack) against
# xvs without and OVS-DPDK with conntrack flows (and without)
FW_ROWS = [
    ("loop", 64, "VM→VM 64 B, DPDK virtio-user loop"),
    ("loop", 1518, "VM→VM 1518 B, DPDK virtio-user loop"),
    ("loop-mf", 64, "VM→VM 64 B, multi-flow loop"),
    ("nic2vm", 64, "NIC→VM 64 B, xvs-vufront"),
    ("nic2vm", 1518, "NIC→VM 1518 B, xvs-vufront"),
    ("nic2vm-dpdk", 64, "NIC→VM 64 B, DPDK virtio-user"),
    ("nic2vm-dpdk", 1518, "NIC→VM 1518 B, DPDK virtio-user"),
]
FW_SWITCHES = ["xvs-fw", "xvs", "ovs-ct", "ovs"]
# the capture table: xvs with a capture running on a port no frontend uses
# against xvs, the same rows
CAP_ROWS = [
    ("loop", 64, "VM→VM 64 B, DPDK virtio-user loop"),
    ("loop", 1518, "VM→VM 1518 B, DPDK virtio-user loop"),
    ("vm2vm", 64, "VM→VM 64 B, xvs-vufront"),
    ("vm2vm", 512, "VM→VM 512 B, xvs-vufront"),
    ("vm2vm", 1518, "VM→VM 1518 B, xvs-vufront"),
]
CAP_SWITCHES = ["xvs-cap", "xvs"]


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load(resdir):
    with open(os.path.join(resdir, "meta.json")) as f:
        meta = json.load(f)
    trials = []
    with open(os.path.join(resdir, "trials.jsonl")) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                trials.append(json.loads(line))
            except json.JSONDecodeError as e:
                print(f"report: trials.jsonl:{n}: {e}", file=sys.stderr)
    return meta, trials


def limiter(scen, m):
    """What limited a figure, from measured CPU use (medians); the labels are
    explained in tools/bench/README.md."""
    if scen in ("eff", "eff-ps", "idle", "idle-ps", "vm2vm-zl"):
        return ""
    if scen in ("loop", "loop-mf", "loop-packed", "loop-inorder", "loop-mq1", "loop-mq2",
                "vm2nic-dpdk"):
        # the frontend testpmd polls: the share of its polls (loop: RX;
        # vm2nic-dpdk: TX bursts the full ring refused) that moved nothing
        # says how much it waited for the switch
        e = m.get("fe_empty_polls")
        if e is None:
            return "?"
        if e >= 0.5:
            return "switch"
        if e <= 0.1:
            return "frontend"
        return "both"
    fe = m.get("cpu_fe")
    busy = m.get("sw_busy")
    if fe is None:
        return "?"
    if fe < SAT:
        # the frontends waited: for the switch's CPU, or (neither side
        # saturated) for its notifications and batching
        if busy is not None and busy < SAT:
            return "switch wakeups"
        return "switch"
    if busy is None:
        return "frontend?"
    return "both" if busy >= SAT else "frontend"


def aggregate(trials):
    """(scen, size, switch) -> medians and the list of runs"""
    groups = {}
    na = {}
    for t in trials:
        sw, scen = t.get("switch"), t.get("scenario")
        if "na" in t:
            na.setdefault((sw, scen), t["na"])
            continue
        if scen in ("vm2vm-zl-probe",):
            continue
        groups.setdefault((scen, t.get("size"), sw), []).append(t)
    out = {}
    for key, ts in groups.items():
        scen, size, sw = key
        m = {"runs": len(ts)}
        for f in ("pps", "cpu_fe", "cpu_sw_core", "sw_busy", "fe_empty_polls", "window_s"):
            m[f] = median([t.get(f) for t in ts])
        m["pps_min"] = min((t.get("pps") or 0) for t in ts)
        m["pps_max"] = max((t.get("pps") or 0) for t in ts)
        # of the time the switch CPU was not stolen by the hypervisor
        m["sw_cpu"] = median([t["sw_cpu_s"] / (t["window_s"] * (1 - (t.get("steal_sw") or 0)))
                              for t in ts if t.get("sw_cpu_s") is not None and t.get("window_s")])
        m["steal"] = median([max(t.get("steal_fe") or 0, t.get("steal_sw") or 0) for t in ts
                             if "steal_fe" in t])
        m["loss"] = median([t["lost"] / t["sent"] for t in ts if t.get("sent")])
        # vm2vm-tso: frames whose TCP checksum (or seed) the receiver found
        # wrong, and the TSO frames that arrived whole
        m["csum_bad"] = median([t["rx_csum_bad"] / t["received"] for t in ts
                                if t.get("rx_csum_bad") is not None and t.get("received")])
        m["gso_whole"] = median([t["rx_gso"] / t["received"] for t in ts
                                 if t.get("rx_gso") is not None and t.get("received")])
        m["ns_per_frame"] = median([t["sw_cpu_s"] * 1e9 / t["frames_switched"] for t in ts
                                    if t.get("frames_switched") and t.get("sw_cpu_s") is not None])
        m["cpu_s_per_mframe"] = median([t["sw_cpu_s"] / (t["frames_switched"] / 1e6) for t in ts
                                        if t.get("frames_switched") and t.get("sw_cpu_s") is not None])
        # the share of it the switch spent working (its own busy figure):
        # what a frame costs where a polling switch is not saturated
        m["busy_cpu_s_per_mframe"] = median([
            t["sw_cpu_s"] * t["sw_busy"] / (t["frames_switched"] / 1e6) for t in ts
            if t.get("frames_switched") and t.get("sw_cpu_s") is not None
            and t.get("sw_busy") is not None])
        # xvs-zc: the share of frames that went zero-copy (to or from the VM)
        for d in ("to_vm", "from_vm"):
            m[f"zc_share_{d}"] = median([
                t[f"zc_{d}_zc"] / (t[f"zc_{d}_zc"] + t[f"zc_{d}_copied"]) for t in ts
                if t.get(f"zc_{d}_zc") is not None and t[f"zc_{d}_zc"] + t[f"zc_{d}_copied"] > 0])
        m["zc_memory"] = next((t["zc_memory"] for t in ts if t.get("zc_memory")), None)
        if size and m["pps"] is not None:
            m["gbps"] = m["pps"] * size * 8 / 1e9
        m["limited_by"] = limiter(scen, m)
        out[key] = m
    return out, na


def na_reason(na, sw, scen, size):
    for k in (f"{scen}-{size}" if size else scen, scen, "all",
              "up-topology" if scen in ("nic2vm", "vm2nic") else "vm-topology"):
        if (sw, k) in na:
            return na[(sw, k)]
    return None


def value(kind, m):
    if kind == "rate":
        return m.get("pps")
    if kind == "zl":
        return m.get("pps")
    if kind == "eff":
        return m.get("cpu_s_per_mframe")
    if kind == "idle":
        return m.get("sw_cpu")
    return None


def fmt(kind, m, size):
    v = value(kind, m)
    if v is None:
        return "–"
    if kind in ("rate", "zl"):
        s = f"{v / 1e6:.2f} Mpps"
        if size:
            s += f", {v * size * 8 / 1e9:.2f} Gb/s"
        return s
    if kind == "eff":
        return f"{v:.2f} CPU-s/Mf"
    return f"{v * 100:.1f} % of a core"


def variant_rows(agg, na, spec, switches, needs, ratios):
    """The rows of a variant table (xvs-fw, xvs-cap...): each of spec's
    scenarios with its switches' medians (or n/a reasons), kept when one of
    `needs` ran it; ratios: column -> (switch a, switch b, key), a/b."""
    out = []
    for scen, size, label in spec:
        row = {"scenario": scen, "size": size, "label": label, "kind": "rate", "switches": {}}
        for sw in switches:
            m = agg.get((scen, size, sw))
            if m:
                row["switches"][sw] = m
            else:
                r = na_reason(na, sw, scen, size)
                if r:
                    row["switches"][sw] = {"na": r}
        if not any(s in row["switches"] for s in needs):
            continue
        for col, (a, b, key) in ratios.items():
            ma, mb = row["switches"].get(a), row["switches"].get(b)
            va = ma.get(key) if ma and "na" not in ma else None
            vb = mb.get(key) if mb and "na" not in mb else None
            row[col] = va / vb if va is not None and vb else None
        out.append(row)
    return out


def build(resdir):
    meta, trials = load(resdir)
    agg, na = aggregate(trials)
    present = [s for s in ALL_SWITCHES if any(k[2] == s for k in agg) or any(k[0] == s for k in na)]
    eff_rate = next((t.get("offered") for t in trials if t.get("scenario") == "eff"), 200000)
    rows = []
    for scen, size, label, kind in ROWS:
        label = label.format(rate=int((eff_rate or 0) / 1000))
        row = {"scenario": scen, "size": size, "label": label, "kind": kind, "switches": {}}
        seen = False
        for sw in ALL_SWITCHES:
            m = agg.get((scen, size, sw))
            if m:
                seen = True
                row["switches"][sw] = m
            else:
                r = na_reason(na, sw, scen, size)
                if r:
                    row["switches"][sw] = {"na": r}
        if not seen:
            continue
        xv = value(kind, row["switches"].get("xvs", {})) if "na" not in row["switches"].get("xvs", {"na": 1}) else None
        for peer in ("ovs", "testpmd"):
            pm = row["switches"].get(peer)
            pv = value(kind, pm) if pm and "na" not in pm else None
            row[f"xvs/{peer}"] = xv / pv if xv is not None and pv else None
        rows.append(row)
    zc_rows = []
    for scen, size, label, d in ZC_ROWS:
        row = {"scenario": scen, "size": size, "label": label, "kind": "rate", "dir": d,
               "switches": {}}
        for sw in ALL_SWITCHES:
            m = agg.get((scen, size, sw))
            if m:
                row["switches"][sw] = m
            else:
                r = na_reason(na, sw, scen, size)
                if r:
                    row["switches"][sw] = {"na": r}
        zm = row["switches"].get("xvs-zc")
        if not zm or "na" in zm:
            continue
        for peer in ZC_PEERS:
            pm = row["switches"].get(peer)
            ok = pm and "na" not in pm
            pv = pm.get("pps") if ok else None
            row[f"zc/{peer}"] = zm["pps"] / pv if zm.get("pps") is not None and pv else None
            pc = pm.get("busy_cpu_s_per_mframe") if ok else None
            zc_cpu = zm.get("busy_cpu_s_per_mframe")
            row[f"zc/{peer} cpu"] = zc_cpu / pc if zc_cpu is not None and pc else None
        zc_rows.append(row)
    fw_rows = variant_rows(agg, na, FW_ROWS, FW_SWITCHES, ("xvs-fw", "ovs-ct"), {
        "fw/xvs": ("xvs-fw", "xvs", "pps"), "fw/ovs-ct": ("xvs-fw", "ovs-ct", "pps"),
        "ovs-ct/ovs": ("ovs-ct", "ovs", "pps"),
        "fw/xvs cpu": ("xvs-fw", "xvs", "busy_cpu_s_per_mframe")})
    cap_rows = variant_rows(agg, na, CAP_ROWS, CAP_SWITCHES, ("xvs-cap",), {
        "cap/xvs": ("xvs-cap", "xvs", "pps"),
        "cap/xvs cpu": ("xvs-cap", "xvs", "busy_cpu_s_per_mframe")})
    return meta, rows, zc_rows, fw_rows, cap_rows, present


def write_variant_table(L, rows, switches, intro, ratio_cols, cpu_ratio, tags):
    """A variant table: the switches' rates, ratio_cols, every switch's CPU
    per frame, cpu_ratio, what limited each (tags: their short names)."""
    L.append("")
    L.append(intro)
    L.append("")
    t = "; ".join(tags)
    hdr = (["scenario"] + [NAMES[s] for s in switches] + list(ratio_cols.values()) +
           [f"CPU-s/Mframe ({t})", cpu_ratio[1], f"limited by ({t})"])
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for r in rows:
        cells = [r["label"]]
        cpu, lim = [], []
        for sw in switches:
            m = r["switches"].get(sw)
            if m is None or "na" in m:
                cells.append("n/a: " + m["na"] if m else "not run")
                cpu.append("–")
                lim.append("–")
                continue
            c = fmt("rate", m, r["size"])
            if m.get("loss"):
                c += f" (loss {m['loss'] * 100:.2g} %)"
            cells.append(c)
            v = m.get("busy_cpu_s_per_mframe")
            cpu.append(f"{v:.3f}" if v is not None else "–")
            lim.append(m.get("limited_by") or "–")
        for k in ratio_cols:
            x = r.get(k)
            cells.append(f"{x:.2f}" if x is not None else "–")
        cells.append("; ".join(cpu))
        x = r.get(cpu_ratio[0])
        cells.append(f"{x:.2f}" if x is not None else "–")
        cells.append("; ".join(lim))
        L.append("| " + " | ".join(cells) + " |")


def write_fw_table(L, fw_rows):
    write_variant_table(
        L, fw_rows, FW_SWITCHES,
        "Firewall: xvs with a stateful 100-rule rule set (the flow allowed by the last rule, "
        "then ESTABLISHED; VM→VM: from-vm and to-vm, NIC→VM: to-vm) against xvs without, "
        "and OVS-DPDK with the equivalent ct() flows against OVS without; same frontends, "
        "same run. fw/xvs: the rate xvs keeps with the firewall (1 − fw/xvs is the "
        "firewall's cost); fw/OVS-ct: xvs with the firewall ÷ OVS with conntrack. "
        "Targets (issue 12): cost ≤ 25 % at 64 B (fw/xvs ≥ 0.75), fw/OVS-ct ≥ 2. "
        "CPU-s/Mframe as in the zero-copy table.",
        {"fw/xvs": "fw/xvs", "fw/ovs-ct": "fw/OVS-ct", "ovs-ct/ovs": "OVS-ct/OVS"},
        ("fw/xvs cpu", "CPU fw/xvs"), ("fw", "xvs", "OVS-ct", "OVS"))


def write_cap_table(L, cap_rows):
    write_variant_table(
        L, cap_rows, CAP_SWITCHES,
        "Capture elsewhere: xvs with `xvsctl capture` running on a third vhost-user port that "
        "no frontend uses, against xvs (the same configuration without that port); same "
        "frontends, same run. cap/xvs: the rate xvs keeps on the ports without a capture "
        "(below 1: the capture costs them). CPU-s/Mframe as in the zero-copy table.",
        {"cap/xvs": "cap/xvs"}, ("cap/xvs cpu", "CPU cap/xvs"), ("cap", "xvs"))


def write_zc_table(L, zc_rows):
    L.append("")
    L.append("Zero-copy NIC⇄VM: xvs with the VM owning a queue of the uplink (its memory is the "
             "AF_XDP UMEM) against xvs's copy path and the peers, same wire and frontend per row. "
             "Rates, ratios zc ÷ peer (above 1: zero-copy faster); switch CPU-s per Mframe = the "
             "switch's CPU time × its own busy share ÷ frames (what the frames cost it, not its "
             "idle polling), and the zc ÷ copy ratio of that (below 1: zero-copy cheaper); "
             "zero-copied = share of the VM's frames that went zero-copy.")
    L.append("")
    sws = ["xvs-zc", "xvs", "ovs", "testpmd"]
    hdr = (["scenario"] + [NAMES[s] for s in sws] + ["zc/copy", "zc/OVS", "zc/testpmd",
           "CPU-s/Mframe (zc; copy; OVS; testpmd)", "CPU zc/copy", "zero-copied",
           "limited by (zc; copy; OVS; testpmd)"])
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for r in zc_rows:
        cells = [r["label"]]
        cpu, lim = [], []
        for sw in sws:
            m = r["switches"].get(sw)
            if m is None or "na" in m:
                cells.append("n/a: " + m["na"] if m else "not run")
                cpu.append("–")
                lim.append("–")
                continue
            c = fmt("rate", m, r["size"])
            if m.get("loss"):
                c += f" (loss {m['loss'] * 100:.2g} %)"
            cells.append(c)
            v = m.get("busy_cpu_s_per_mframe")
            cpu.append(f"{v:.3f}" if v is not None else "–")
            lim.append(m.get("limited_by") or "–")
        for peer in ZC_PEERS:
            x = r.get(f"zc/{peer}")
            cells.append(f"{x:.2f}" if x is not None else "–")
        cells.append("; ".join(cpu))
        x = r.get("zc/xvs cpu")
        cells.append(f"{x:.2f}" if x is not None else "–")
        zm = r["switches"]["xvs-zc"]
        share = zm.get(f"zc_share_{r['dir']}")
        z = f"{share * 100:.0f} %" if share is not None else "–"
        if zm.get("zc_memory") not in (None, "guest"):
            z += f" (memory: {zm['zc_memory']})"
        cells.append(z)
        cells.append("; ".join(lim))
        L.append("| " + " | ".join(cells) + " |")


def write_mq_table(L, rows):
    """Multiqueue scaling: each switch's loop-mq2 rate ÷ its loop-mq1 rate."""
    by = {(r["scenario"], r["size"]): r for r in rows}
    sizes = [sz for (sc, sz) in by if sc == "loop-mq2" and ("loop-mq1", sz) in by]
    if not sizes:
        return
    L.append("")
    L.append("Multiqueue: the loop with each switch on both CPUs (xvs: 2 workers; OVS: 2 PMD "
             "threads; testpmd: 2 forwarding cores), the frontends using 1 or 2 queue pairs "
             "per port; 2 qp ÷ 1 qp per switch (above 1: the second queue pair helped). On a "
             "2-CPU machine the frontend shares a CPU with the switch's second thread.")
    L.append("")
    hdr = ["frame"] + [f"{NAMES[s]} 2 qp ÷ 1 qp" for s in SWITCHES]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for sz in sorted(sizes):
        cells = [f"{sz} B"]
        for sw in SWITCHES:
            a = by[("loop-mq2", sz)]["switches"].get(sw) or {}
            b = by[("loop-mq1", sz)]["switches"].get(sw) or {}
            va = a.get("pps") if "na" not in a else None
            vb = b.get("pps") if "na" not in b else None
            cells.append(f"{va / vb:.2f}" if va is not None and vb else "–")
        L.append("| " + " | ".join(cells) + " |")


def write_table(resdir, meta, rows, zc_rows, fw_rows, cap_rows, present):
    L = []
    L.append(f"Benchmark {meta.get('date', '')} — {meta.get('machine', '')}")
    L.append(f"xvs {meta.get('xvs_commit', '')}, xvs polling {meta.get('xvs_poll', '')}, "
             f"{meta.get('runs')} run(s) × {meta.get('duration_s')} s per trial, medians; "
             f"switch on CPU {meta.get('switch_cpu')}, frontends/generator on CPU {meta.get('frontend_cpu')}.")
    L.append("Ratios are xvs ÷ peer: above 1 xvs is faster for rates; for CPU rows (efficiency, idle) "
             "below 1 xvs uses less.")
    L.append("")
    hdr = ["scenario"] + [NAMES[s] for s in SWITCHES] + ["xvs/OVS", "xvs/testpmd", "limited by (xvs; OVS; testpmd)"]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for r in rows:
        if not any(sw in r["switches"] for sw in SWITCHES):
            continue  # a row of the firewall variants only: in their table
        cells = [r["label"]]
        lim = []
        for sw in SWITCHES:
            m = r["switches"].get(sw)
            if m is None:
                cells.append("not run")
                lim.append("–")
            elif "na" in m:
                cells.append("n/a: " + m["na"])
                lim.append("–")
            else:
                c = fmt(r["kind"], m, r["size"])
                if m.get("loss"):
                    c += f" (loss {m['loss'] * 100:.2g} %)"
                if m.get("gso_whole") is not None:
                    c += f"; {m['gso_whole'] * 100:.0f} % arrived whole"
                if m.get("csum_bad"):
                    c += f"; {m['csum_bad'] * 100:.0f} % with a TCP seed the receiver rejects"
                cells.append(c)
                lim.append(m.get("limited_by") or "–")
        for peer in ("ovs", "testpmd"):
            x = r.get(f"xvs/{peer}")
            cells.append(f"{x:.2f}" if x is not None else "–")
        cells.append("; ".join(lim) if any(x != "–" for x in lim) else "–")
        L.append("| " + " | ".join(cells) + " |")
    write_mq_table(L, rows)
    if zc_rows:
        write_zc_table(L, zc_rows)
    if fw_rows:
        write_fw_table(L, fw_rows)
    if cap_rows:
        write_cap_table(L, cap_rows)
    L.append("")
    L.append("Details (medians): switch CPU = CPU time of the switch's processes ÷ window; "
             "switch core = everything on the switch's CPU (incl. softirq); own busy = cycles "
             "doing work as the switch reports them (OVS pmd-stats, testpmd busy cycles); "
             "ns/frame = switch CPU time ÷ frames switched; CPU shares are of the time the "
             "hypervisor did not steal (stolen: the larger of the two vCPUs' stolen share).")
    L.append("")
    h2 = ["scenario", "switch", "runs", "Mpps (min–max)", "loss", "frontend CPU", "switch CPU",
          "switch core", "own busy", "ns/frame", "ns/frame busy", "stolen"]
    L.append("| " + " | ".join(h2) + " |")
    L.append("|" + "---|" * len(h2))
    for r in rows:
        for sw in ALL_SWITCHES:
            m = r["switches"].get(sw)
            if not m or "na" in m:
                continue

            def pct(v):
                return f"{v * 100:.0f} %" if v is not None else "–"
            mp = (f"{m['pps'] / 1e6:.3f} ({m['pps_min'] / 1e6:.3f}–{m['pps_max'] / 1e6:.3f})"
                  if m.get("pps") is not None else "–")
            L.append("| " + " | ".join([
                r["label"], NAMES[sw], str(m["runs"]), mp,
                f"{m['loss'] * 100:.3g} %" if m.get("loss") is not None else "–",
                pct(m.get("cpu_fe")), pct(m.get("sw_cpu")), pct(m.get("cpu_sw_core")),
                pct(m.get("sw_busy")),
                f"{m['ns_per_frame']:.0f}" if m.get("ns_per_frame") else "–",
                f"{m['busy_cpu_s_per_mframe'] * 1e3:.0f}" if m.get("busy_cpu_s_per_mframe") else "–",
                pct(m.get("steal")),
            ]) + " |")
    text = "\n".join(L) + "\n"
    with open(os.path.join(resdir, "table.md"), "w") as f:
        f.write(text)


def write_csv_json(resdir, meta, rows, zc_rows, fw_rows, cap_rows):
    zc = {(r["scenario"], r["size"]): r for r in zc_rows}
    fw = {(r["scenario"], r["size"]): r for r in fw_rows}
    cap = {(r["scenario"], r["size"]): r for r in cap_rows}
    fields = ["scenario", "size", "switch", "runs", "pps", "pps_min", "pps_max", "gbps", "loss",
              "cpu_fe", "sw_cpu", "cpu_sw_core", "sw_busy", "fe_empty_polls", "steal", "ns_per_frame",
              "cpu_s_per_mframe", "busy_cpu_s_per_mframe", "zc_share_to_vm", "zc_share_from_vm",
              "zc_memory", "limited_by", "na", "xvs_ratio", "zc_ratio", "fw_ratio", "cap_ratio"]
    with open(os.path.join(resdir, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            for sw, m in r["switches"].items():
                d = dict(m)
                d.update(scenario=r["scenario"], size=r["size"] or "", switch=sw)
                if sw in ("ovs", "testpmd"):
                    d["xvs_ratio"] = r.get(f"xvs/{sw}")
                if sw != "xvs-zc":
                    d["zc_ratio"] = zc.get((r["scenario"], r["size"]), {}).get(f"zc/{sw}")
                # xvs-fw ÷ this switch (xvs: the firewall's cost; ovs-ct)
                if sw in ("xvs", "ovs-ct"):
                    d["fw_ratio"] = fw.get((r["scenario"], r["size"]), {}).get(
                        "fw/xvs" if sw == "xvs" else "fw/ovs-ct")
                # xvs-cap ÷ xvs (what a capture on another port costs)
                if sw == "xvs":
                    d["cap_ratio"] = cap.get((r["scenario"], r["size"]), {}).get("cap/xvs")
                w.writerow(d)
    with open(os.path.join(resdir, "results.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows, "zero_copy_rows": zc_rows, "firewall_rows": fw_rows,
                   "capture_rows": cap_rows}, f, indent=1, default=str)


def write_png(resdir, meta, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: matplotlib missing (python3-matplotlib): no results.png", file=sys.stderr)
        return
    rate_rows = [r for r in rows if r["kind"] in ("rate", "zl")]
    cpu_rows = [r for r in rows if r["kind"] in ("idle", "eff")]
    colors = {"xvs": "#2a7ab9", "xvs-zc": "#7cc3ee", "xvs-fw": "#1b4f78", "xvs-cap": "#5a8fb0",
              "ovs": "#e08a2c", "ovs-ct": "#9c5a14", "testpmd": "#6a9f3a"}
    fig, axes = plt.subplots(2, 1, figsize=(12, 9), gridspec_kw={"height_ratios": [3, 1.4]})
    for ax, rs, unit in ((axes[0], rate_rows, "Mpps"), (axes[1], cpu_rows, "")):
        width = 0.8 / len(ALL_SWITCHES)
        for i, sw in enumerate(ALL_SWITCHES):
            xs, ys = [], []
            for j, r in enumerate(rs):
                m = r["switches"].get(sw)
                v = value(r["kind"], m) if m and "na" not in m else None
                if v is None:
                    continue
                if r["kind"] in ("rate", "zl"):
                    v = v / 1e6
                elif r["kind"] == "idle":
                    v = v * 100
                xs.append(j + (i - (len(ALL_SWITCHES) - 1) / 2) * width)
                ys.append(v)
            if xs:
                ax.bar(xs, ys, width, label=NAMES[sw], color=colors[sw])
        ax.set_xticks(range(len(rs)))
        ax.set_xticklabels([f"{r['scenario']} {r['size'] or ''}".strip() for r in rs], fontsize=8,
                           rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("Mpps (higher is better)")
    axes[1].set_ylabel("idle: % of a core\neff: CPU-s per Mframe\n(lower is better)")
    fig.text(0.01, 0.005, "scenarios: see table.md; -zl zero-loss rate, loop DPDK virtio-user frontend, "
             "-ps idle-saving option on", fontsize=7)
    axes[0].legend()
    axes[0].set_title(f"xvs vs OVS-DPDK vs testpmd — {meta.get('date', '')[:10]} — {meta.get('machine', '')}",
                      fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(resdir, "results.png"), dpi=110)


def main():
    if len(sys.argv) != 2:
        print("usage: report.py RESULTS_DIR", file=sys.stderr)
        return 2
    resdir = sys.argv[1]
    meta, rows, zc_rows, fw_rows, cap_rows, present = build(resdir)
    write_table(resdir, meta, rows, zc_rows, fw_rows, cap_rows, present)
    write_csv_json(resdir, meta, rows, zc_rows, fw_rows, cap_rows)
    write_png(resdir, meta, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
