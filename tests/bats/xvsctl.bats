#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-only
#
# xvsctl through the real daemon, every command in text and JSON (jq), its
# errors, run-time changes (fdb, ports, log level) and the metrics
# endpoint, with QEMU guests:
#
#   guest a 10.99.25.11 ─ port a ┐
#   guest b 10.99.25.12 ─ port b ┼─ xvsd ─ (port up0, added at run time) ─ veth ─ ns 10.99.25.2
#   guest c 10.99.25.13 ─ port c ┘  (added at run time)

load lib/common
load lib/guest
load lib/xvsd
load lib/net

METRICS_PORT=29525

write_config() {
	cat >"$XVSD_DIR/xvs.yaml" <<YAML
switch:
  name: bats-ctl
  control-socket: $XVSD_DIR/xvs.ctl
  control-socket-mode: "0666"
  socket-dir: $XVSD_DIR
  metrics: 127.0.0.1:$METRICS_PORT
ports:
  a: { type: vhost-user, socket: a.sock }
  b: { type: vhost-user, socket: b.sock }
YAML
}

start_guest() { # NAME, last octet
	guest_start "$1" --vhost-user "$XVSD_DIR/$1.sock" --client --ip "10.99.25.$2/24" \
		--mac "52:54:00:25:00:$2"
}

setup_file() {
	vm_setup_file || return 0
	net_setup_pair xvctl 25
	# the host end is the uplink's: no address of its own there
	ip addr flush dev "$NET_HOST_IF"
	write_config
	xvsd_start "$XVSD_DIR/xvs.yaml"
	cp "$XVS_BIN/xvsctl" "$XVSD_DIR/xvsctl"
	chmod 755 "$XVSD_DIR" "$XVSD_DIR/xvsctl"
	NOBODY=$(id -u nobody)
	export NOBODY
	start_guest a 11
	start_guest b 12
	guest_wait_ready a 120
	guest_wait_ready b 120
}

teardown_file() {
	guest_stop_all
	xvsd_uplink_teardown
}

setup() {
	require_setup_file
}

ctl() {
	xvsd_ctl "$@"
}

# jctl ARGS... JQ: the JSON answer of `xvsctl -j ARGS`, through jq -e JQ
jctl() {
	local args=("${@:1:$#-1}") q=${!#} out
	out=$(xvsd_ctl -j "${args[@]}") || { echo "xvsctl -j ${args[*]}: $out" >&2; return 1; }
	jq -e "$q" <<<"$out"
}

ping_from() { # GUEST IP
	guest_run "$1" "ping -c 1 -W 2 $2" >/dev/null
}

as_nobody() {
	timeout 5 setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
		"$XVSD_DIR/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" "$@"
}

@test "show: text and JSON agree; negotiated features by name, zero-copy state" {
	wait_until 30 ping_from a 10.99.25.12
	run jctl show '.switch[0].name'
	[ "$output" = '"bats-ctl"' ]
	run jctl show '[.port[].name] | join(",")'
	[ "$output" = '"a,b"' ]
	# the same counter both ways
	# (JSON read first: the text, read after, may have counted more since)
	[ "$(jctl show a '.port[0].queue[0].rx_packets')" -le "$(queue_field a 0 rx_packets)" ]
	[ "$(jctl show a '.port[0].connects')" = "$(port_field a connects)" ]
	[ "$(jctl show a '.port[0].state')" = '"up"' ]
	# Linux's virtio_net accepts these of what xvs offers
	run jctl show a '.port[0].feature_names'
	echo "$output"
	[[ $output == *version_1* && $output == *mrg_rxbuf* ]]
	[ "$(port_field a zero_copy)" = off ]
	# every key of the text is in the JSON, with '-' as '_'
	local k
	for k in $(ctl show a | head -1 | tr ' ' '\n' | grep = | cut -d= -f1); do
		jctl show a ".port[0] | has(\"${k//-/_}\")" >/dev/null || { echo "no $k in JSON"; false; }
	done
	# an unknown port is an error, not an empty answer
	run ctl show nope
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: no port 'nope'" ]
	run xvsd_ctl -j show nope
	[ "$status" -eq 1 ]
	[ "$(jq -r .error <<<"$output")" = "no port 'nope'" ]
}

@test "stats: per port and queue, port totals the sum of the queues; -w reports rates" {
	# one answer: the total and its queues from the same read
	jctl stats a '.port[0].rx_packets == ([.port[0].queue[].rx_packets] | add)'
	jctl stats a '.port[0].rx_packets > 0'
	run ctl stats b
	[[ ${lines[0]} == "port b type=vhost-user state=up rx_packets="* ]]
	[[ ${lines[1]} == "  queue 0 rx_packets="* ]]
	# traffic a -> b while watching: b's transmit rate shows it
	guest_run a "ping -c 40 -i 0.1 10.99.25.12 >/dev/null 2>&1 &"
	run xvsd_ctl -j stats -w 1 -c 3
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(wc -l <<<"$output")" = 3 ]
	jq -se '[.[].port[] | select(.name == "b") | .tx_pps] | max >= 3' <<<"$output"
	jq -se 'all(.[]; .interval[0].seconds > 0.9 and .interval[0].seconds < 2)' <<<"$output"
	run ctl stats -w 0.5 -c 1 a
	echo "$output"
	[ "$status" -eq 0 ]
	[[ ${lines[1]} == "PORT[/QUEUE]"* ]]
	[[ ${lines[2]} == "a "* ]]
	[[ ${lines[3]} == "  a/0 "* ]]
	run ctl stats -c 2
	[ "$status" -eq 2 ]
}

@test "fdb: show (text, JSON, by port), add and del a static entry, flush learned ones" {
	wait_until 10 ping_from a 10.99.25.12
	ctl fdb | grep -E '^0 +52:54:00:25:00:11 +a +learned'
	jctl fdb show b '.entry | length == 1 and .[0].mac == "52:54:00:25:00:12" and .[0].type == "learned"'
	run ctl fdb add 02:00:00:00:25:99 b
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	jctl fdb '.entry[] | select(.mac == "02:00:00:00:25:99") | .port == "b" and .type == "static" and .vlan == 0'
	# the XDP program's FDB follows (frames from the wire for it go to the switch)
	run ctl fdb del 02:00:00:00:25:99
	[ "$status" -eq 0 ]
	jctl fdb '[.entry[] | select(.mac == "02:00:00:00:25:99")] | length == 0'
	# a guest may send a frame right after the flush (an ARP answer to
	# b's reachability probe) and be learned again at once: the entry
	# flushed is the one at least a second old
	wait_until 5 jctl fdb '[.entry[] | select(.port == "a")][0].age >= 1'
	run ctl fdb flush a
	[ "$status" -eq 0 ]
	jctl fdb '[.entry[] | select(.port == "a" and .age >= 1)] | length == 0'
	jctl fdb '[.entry[] | select(.port == "b")] | length == 1'
	# and learned again with the next frame
	wait_until 10 ping_from a 10.99.25.12
	jctl fdb '[.entry[] | select(.port == "a")] | length == 1'
	run ctl fdb flush
	[ "$status" -eq 0 ]
	# an empty list is [] (not a missing key); a guest frame may be learned
	# again meanwhile, so only the static ones are sure to be gone
	jctl fdb '(.entry | type) == "array" and all(.entry[]; .type == "learned")'
}

@test "fdb errors: bad MAC, multicast, unknown port, wrong VLAN, no entry; nothing changes" {
	run ctl fdb add 02:00:00:00:25 a
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: '02:00:00:00:25' is not a MAC address (xx:xx:xx:xx:xx:xx)" ]
	run ctl fdb add 01:00:5e:00:00:01 a
	[ "$status" -eq 1 ]
	[[ $output == *"not a unicast address"* ]]
	run ctl fdb add 02:00:00:00:25:98 nope
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: no port 'nope'" ]
	run ctl fdb add 02:00:00:00:25:98 a vlan 7
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: port a is in VLAN 0, not 7" ]
	run ctl fdb add 02:00:00:00:25:98 a --vlan 5000
	[ "$status" -eq 1 ]
	[[ $output == *"bad VLAN"* ]]
	run ctl fdb del 02:00:00:00:25:98
	[ "$status" -eq 1 ]
	[[ $output == *"no entry for 02:00:00:00:25:98"* ]]
	run xvsd_ctl -j fdb add zz a
	[ "$status" -eq 1 ]
	jq -e '.error | test("not a MAC")' <<<"$output"
	# none of them went in (the count itself moves: guests are learned again)
	jctl fdb '[.entry[] | select(.mac == "01:00:5e:00:00:01" or .mac == "02:00:00:00:25:98")] | length == 0'
	jctl fdb '[.entry[] | select(.type == "static")] | length == 0'
}

@test "port add: a vhost-user port at run time takes a guest that pings" {
	run ctl port add c '{ type: vhost-user, socket: c.sock }'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	[ -S "$XVSD_DIR/c.sock" ]
	grep -q "control: port add c (in memory only" "$XVSD_DIR/xvsd.log"
	# no guest yet: its FDB is the empty list
	jctl fdb show c '.entry == []'
	start_guest c 13
	guest_wait_ready c 120
	wait_port_state c up 30
	wait_until 30 ping_from c 10.99.25.11
	[ "$(jctl show '.switch[0].ports')" = 3 ]
}

@test "port del under traffic: the others keep forwarding, the port and its socket are gone" {
	wait_port_state c up 10 # the previous test's
	guest_run a "ping -c 30 -i 0.1 -W 1 10.99.25.12 >/tmp/ping.out 2>&1; echo done >>/tmp/ping.out" >/dev/null &
	sleep 1
	run ctl port del c
	[ "$status" -eq 0 ]
	[ ! -e "$XVSD_DIR/c.sock" ]
	run ctl show c
	[ "$status" -eq 1 ]
	wait_until 15 guest_run a "grep -q done /tmp/ping.out"
	run guest_run a "cat /tmp/ping.out"
	echo "$output"
	[[ $output == *"30 packets transmitted, 30 packets received"* ]]
	run guest_run c "ping -c 1 -W 1 10.99.25.11"
	[ "$status" -ne 0 ]
	guest_stop c
}

@test "port add: an uplink at run time; the outside reaches the guests; port del takes XDP off" {
	require_af_xdp "$NET_HOST_IF" || return 0
	run ctl port add up0 "{ type: uplink, interface: $NET_HOST_IF }"
	echo "$output"
	[ "$status" -eq 0 ]
	wait_until 20 port_is up0 state up
	[ "$(jctl show up0 '.port[0].interface')" = "\"$NET_HOST_IF\"" ]
	wait_until 30 net_exec ping -c 1 -W 2 10.99.25.11
	run net_exec ping -c 3 -W 2 10.99.25.12
	[ "$status" -eq 0 ]
	jctl stats up0 '.port[0].rx_packets > 0 and .port[0].tx_packets > 0'
	run ctl port del up0
	[ "$status" -eq 0 ]
	run net_exec ping -c 1 -W 1 10.99.25.11
	[ "$status" -ne 0 ]
	run ip -d link show "$NET_HOST_IF"
	[[ $output != *prog/xdp* ]]
}

@test "port add/del errors: one line, exit 1, nothing changed" {
	local n
	n=$(jctl show '.switch[0].ports')
	run ctl port add a '{ type: vhost-user, socket: z.sock }'
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: port add a: a port of that name exists" ]
	run ctl port add d '{ type: vhost-user, socket: a.sock }'
	[ "$status" -eq 1 ]
	[[ $output == "xvsctl: port add d: ports.d.socket: "*"is already the socket of port a"* ]]
	run ctl port add d '{ type: vhost-user, sockt: d.sock }'
	[ "$status" -eq 1 ]
	[[ $output == *'ports.d: unknown key "sockt"'* ]]
	run ctl port add d '{ type: vhost-user, socket: d.sock, vlan: 5000 }'
	[ "$status" -eq 1 ]
	[[ $output == *"ports.d.vlan"* ]]
	run ctl port add d '{ type: [ '
	[ "$status" -eq 1 ]
	[[ $output == *"not a YAML value"* ]]
	run ctl port add 'bad/name' '{ type: vhost-user, socket: e.sock }'
	[ "$status" -eq 1 ]
	run ctl port del nope
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: port del nope: no such port" ]
	run ctl port add d
	[ "$status" -eq 1 ]
	[[ $output == *"usage: port add NAME"* ]]
	[ "$(jctl show '.switch[0].ports')" = "$n" ]
	[ ! -e "$XVSD_DIR/d.sock" ]
	[ ! -e "$XVSD_DIR/z.sock" ]
	wait_until 10 ping_from a 10.99.25.12
}

@test "reload forgets run-time changes: the file's ports and static entries only" {
	ctl port add e '{ type: vhost-user, socket: e.sock }'
	ctl fdb add 02:00:00:00:25:97 a
	jctl fdb '[.entry[] | select(.mac == "02:00:00:00:25:97")] | length == 1'
	run ctl reload
	[ "$status" -eq 0 ]
	run ctl show e
	[ "$status" -eq 1 ]
	[ ! -e "$XVSD_DIR/e.sock" ]
	jctl fdb '[.entry[] | select(.mac == "02:00:00:00:25:97")] | length == 0'
	wait_until 10 ping_from a 10.99.25.12
}

@test "log level: set at run time, shown, bad levels refused" {
	run ctl log level debug
	[ "$status" -eq 0 ]
	[ "$(jctl show '.switch[0].log_level')" = '"debug"' ]
	grep -q "control: log level debug" "$XVSD_DIR/xvsd.log"
	run ctl log level loud
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: usage: log level error|warning|info|debug" ]
	run ctl log level warning
	[ "$status" -eq 0 ]
	[ "$(port_field a state)" = up ]
	# a port edit keeps the run-time level (only a reload reads the file's)
	ctl port add lv '{ type: vhost-user, socket: lv.sock }'
	ctl port del lv
	[ "$(jctl show '.switch[0].log_level')" = '"warning"' ]
	# trailing blanks are no argument
	run ctl show a " "
	[ "$status" -eq 0 ]
	ctl log level info
}

@test "workers and firewall answer in text and JSON" {
	jctl workers '.worker[0].loops > 0 and (.worker[0].busy_ns | type) == "number"'
	ctl workers | grep -E '^worker 0 cpu=-?[0-9]+ busy_pct='
	jctl firewall '.firewall[0].on == false'
	run ctl firewall
	[ "$output" = 'firewall on=0 why="no firewall in the configuration"' ]
}

@test "errors: no daemon, a daemon that does not answer, unknown command, bad arguments" {
	run timeout 10 "$XVS_BIN/xvsctl" --ctl "$XVSD_DIR/none.ctl" show
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "xvsctl: cannot reach xvsd at $XVSD_DIR/none.ctl: No such file or directory"* ]]
	run timeout 10 "$XVS_BIN/xvsctl" -s no-such-switch show
	[ "$status" -eq 1 ]
	[[ $output == *"/run/xvs/no-such-switch.ctl"* ]]
	# stopped: it accepts (the kernel does) but never answers
	kill -STOP "$XVSD_PID"
	SECONDS=0
	run timeout 20 "$XVS_BIN/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" show
	kill -CONT "$XVSD_PID"
	echo "$output ($SECONDS s)"
	[ "$status" -eq 1 ]
	[[ $output == *"did not answer within 5 s"* ]]
	[ "$SECONDS" -le 8 ]
	run ctl bogus
	[ "$status" -eq 2 ]
	run ctl show a b
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: too many arguments for show" ]
	run ctl fdb add
	[ "$status" -eq 1 ]
	[[ $output == *"usage: fdb"* ]]
	run ctl fdb help
	[ "$status" -eq 0 ]
	[[ $output == "usage: xvsctl fdb"* ]]
	[ "$(port_field a state)" = up ]
}

@test "no permission: another uid may read, not change (denied, counted, logged)" {
	local d0
	d0=$(jctl show '.switch[0].ctl_denied')
	run as_nobody show a
	[ "$status" -eq 0 ]
	run as_nobody -j stats
	[ "$status" -eq 0 ]
	for cmd in "fdb add 02:00:00:00:25:96 a" "fdb flush" "port del b" "log level debug" reload; do
		# shellcheck disable=SC2086
		run as_nobody $cmd
		echo "$cmd: $status $output"
		[ "$status" -eq 1 ]
		[[ $output == *"permission denied"* ]]
	done
	[ "$(jctl show '.switch[0].ctl_denied')" -eq $((d0 + 5)) ]
	[ "$(jctl show '.switch[0].ports')" -ge 2 ]
	[ "$(jctl show '.switch[0].log_level')" = '"info"' ]
	grep -q "control: 'port' from uid $NOBODY refused" "$XVSD_DIR/xvsd.log"
}

@test "metrics: valid Prometheus exposition with per-port, per-queue, drop, worker and broken counts" {
	local m
	wait_until 10 ping_from a 10.99.25.12
	m=$(curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics")
	awk -f "$BATS_TEST_DIRNAME/lib/promcheck.awk" <<<"$m"
	grep -E '^xvs_port_rx_packets_total\{port="a",type="vhost-user"\} [1-9][0-9]*$' <<<"$m"
	grep -E '^xvs_queue_tx_packets_total\{port="b",type="vhost-user",queue="0"\} [1-9]' <<<"$m"
	grep -E '^xvs_port_drops_total\{port="a",type="vhost-user",reason="hairpin"\} [0-9]+$' <<<"$m"
	grep -E '^xvs_worker_busy_seconds_total\{worker="0"\} [0-9.]+$' <<<"$m"
	grep -E '^xvs_switch_ports_broken\{switch="bats-ctl"\} 0$' <<<"$m"
	grep -E '^xvs_port_up\{port="a",type="vhost-user"\} 1$' <<<"$m"
	# the counter is the one xvsctl shows
	[ "$(sed -nE 's/^xvs_port_rx_packets_total\{port="b".*\} //p' <<<"$m")" -le "$(jctl stats b '.port[0].rx_packets')" ]
	# other paths and methods
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$METRICS_PORT/")" = 404 ]
	[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$METRICS_PORT/metrics")" = 405 ]
	# loopback only (as configured); a slow client holds a slot, not the daemon
	exec {slow}<>/dev/tcp/127.0.0.1/$METRICS_PORT
	[ "$(port_field a state)" = up ]
	exec {slow}>&-
}

# listening_of PID: the TCP sockets a process listens on
listening_of() {
	ss -Hltnp | grep -F "pid=$1," | awk '{ print $4 }'
}

# listening_with CONFIG: what a second xvsd started with CONFIG (its control
# socket m.ctl) listens on over TCP
listening_with() {
	local pid
	"$XVS_BIN/xvsd" -c "$1" >>"$XVSD_DIR/m.log" 2>&1 &
	pid=$!
	wait_until 10 test -S "$XVSD_DIR/m.ctl"
	listening_of "$pid"
	kill "$pid"
	wait "$pid" || true
}

@test "metrics: off by default, loopback (port 9478) when just on, bad values refused" {
	cat >"$XVSD_DIR/m.yaml" <<YAML
switch: { name: bats-m, control-socket: $XVSD_DIR/m.ctl }
YAML
	run listening_with "$XVSD_DIR/m.yaml"
	echo "listening: $output"
	[ -z "$output" ]
	sed -i 's/ }$/, metrics: on }/' "$XVSD_DIR/m.yaml"
	run listening_with "$XVSD_DIR/m.yaml"
	echo "listening: $output"
	[ "$output" = 127.0.0.1:9478 ]
	for bad in '"10.0.0.1:99999"' '"example.com:80"' '"[::1]"' 0; do
		cat >"$XVSD_DIR/m.yaml" <<YAML
switch: { name: bats-m, control-socket: $XVSD_DIR/m.ctl, metrics: $bad }
YAML
		run "$XVS_BIN/xvsd" --check -c "$XVSD_DIR/m.yaml"
		echo "$bad: $output"
		[ "$status" -eq 1 ]
		[[ $output == *"switch.metrics: "* ]]
	done
	# the running daemon's endpoint is where the file says
	run listening_of "$XVSD_PID"
	[ "$output" = "127.0.0.1:$METRICS_PORT" ]
}

# pcap_of FILE: tcpdump's reading of a capture (-e: MACs, -n: numbers)
pcap_of() {
	tcpdump -r "$1" -e -n 2>/dev/null
}

@test "capture: a ping reads back in tcpdump with the right frames, forwarding untouched" {
	local f=$XVSD_DIR/b.pcap out pid n
	wait_until 10 ping_from a 10.99.25.12
	rm -f "$f"
	# until Ctrl-C: 4 pings are 8 ICMP frames on b's port (guests may add
	# their own IPv6 chatter)
	# xvsctl itself in the background (a function would be a subshell,
	# which does not pass Ctrl-C on)
	"$XVS_BIN/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" capture b -w "$f" 2>"$XVSD_DIR/cap.err" &
	pid=$!
	wait_until 10 port_is b capturing 1
	run guest_run a "ping -c 4 -i 0.2 -W 2 10.99.25.12"
	echo "$output"
	[[ $output == *"4 packets received"* ]]
	sleep 0.5 # a tick (100 ms) drains the ring
	kill -INT "$pid"
	wait "$pid"
	wait_until 10 port_is b capturing 0
	cat "$XVSD_DIR/cap.err"
	n=$(sed -n 's/ frames captured$//p' "$XVSD_DIR/cap.err")
	out=$(pcap_of "$f")
	echo "$out"
	[ "$(wc -l <<<"$out")" -eq "$n" ]
	[ "$(grep -c '52:54:00:25:00:11 > 52:54:00:25:00:12.*10.99.25.11 > 10.99.25.12: ICMP echo request' <<<"$out")" -eq 4 ]
	[ "$(grep -c '52:54:00:25:00:12 > 52:54:00:25:00:11.*10.99.25.12 > 10.99.25.11: ICMP echo reply' <<<"$out")" -eq 4 ]
	[ "$(grep -c 'IPv4' <<<"$out")" -eq 8 ]
	# whole frames, nanosecond timestamps of today
	tcpdump -r "$f" -n -c 1 -tttt 2>/dev/null | grep -q "^$(date -u +%Y-%m-%d)\|^$(date +%Y-%m-%d)"
	grep -q "length 98" <<<"$out"
	[ "$(port_field b capture_frames)" -ge "$n" ]
	[ "$(port_field b capture_drops)" = 0 ]
	grep -q "b: capture ended: $n frames sent, 0 dropped" "$XVSD_DIR/xvsd.log"
	# -c: the capture ends by itself after N frames
	ctl capture b -c 2 -w "$f" 2>"$XVSD_DIR/cap.err" &
	pid=$!
	wait_until 10 port_is b capturing 1
	guest_run a "ping -c 2 -i 0.2 -W 2 10.99.25.12" >/dev/null
	wait "$pid"
	[ "$(cat "$XVSD_DIR/cap.err")" = "2 frames captured" ]
	[ "$(pcap_of "$f" | wc -l)" -eq 2 ]
}

@test "capture: --direction in, -w - into tcpdump -r -, the snap length" {
	local out
	# a's frames in: its requests, never the replies it gets
	ctl capture a --direction in -c 2 -s 64 -w - 2>/dev/null | tcpdump -r - -e -n >"$XVSD_DIR/in.txt" 2>/dev/null &
	wait_until 10 port_is a capturing 1
	guest_run a "ping -c 2 -i 0.2 -W 2 10.99.25.12" >/dev/null
	wait
	out=$(cat "$XVSD_DIR/in.txt")
	echo "$out"
	[ "$(wc -l <<<"$out")" -eq 2 ]
	[ "$(grep -c '52:54:00:25:00:11 > .*echo request' <<<"$out")" -ge 1 ]
	[ "$(grep -c 'echo reply' <<<"$out")" -eq 0 ]
	# 64 bytes kept of a 98-byte request (the first record's caplen, len)
	ctl capture a --direction in -c 1 -s 64 -w "$XVSD_DIR/in.pcap" 2>/dev/null &
	wait_until 10 port_is a capturing 1
	guest_run a "ping -c 1 -W 2 10.99.25.12" >/dev/null
	wait
	[ "$(od -An -tu4 -j 32 -N 4 "$XVSD_DIR/in.pcap" | tr -d ' ')" = 64 ]
	[ "$(od -An -tu4 -j 36 -N 4 "$XVSD_DIR/in.pcap" | tr -d ' ')" = 98 ]
}

@test "capture errors: unknown port, one capture per port, no permission, bad arguments" {
	run ctl capture nope -w "$XVSD_DIR/x.pcap"
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: no port 'nope'" ]
	local pid
	"$XVS_BIN/xvsctl" --ctl "$XVSD_DIR/xvs.ctl" capture b -w "$XVSD_DIR/x.pcap" 2>/dev/null &
	pid=$!
	wait_until 10 port_is b capturing 1
	run ctl capture b -w "$XVSD_DIR/y.pcap"
	[ "$status" -eq 1 ]
	[ "$output" = "xvsctl: a capture runs on that port already" ]
	# the first one ends with its client (Ctrl-C), its file whole
	kill -INT "$pid"
	wait "$pid"
	wait_until 10 port_is b capturing 0
	tcpdump -r "$XVSD_DIR/x.pcap" -n >/dev/null 2>&1
	run as_nobody capture a -w -
	[ "$status" -eq 1 ]
	[[ $output == *"permission denied"* ]]
	run ctl capture a -s 10 -w -
	[ "$status" -eq 1 ]
	[[ $output == *"bad snap '10'"* ]]
	run ctl capture a --direction sideways -w -
	[ "$status" -eq 2 ]
	run ctl capture a
	[ "$status" -eq 2 ]
	[ "$(port_field a state)" = up ]
}
