# SPDX-License-Identifier: GPL-2.0-only
# The virtqueue layout of a vhost-user suite that runs on split and on
# packed rings (vhost_robustness.bats, vhost_attacks.bats). Their packed
# runs, vhost_robustness_packed.bats and vhost_attacks_packed.bats, are
# symbolic links to them: bats takes a file's tests only from the file it
# runs (bats-preprocess), never from one it `load`s, so a link is the one
# wrapper that does not copy the tests.
#
#   VF_RING            split or packed: as the environment says, else packed
#                      for a file named *_packed.bats, else split
#   VF                 xvs-vufront with the layout's options, an array:
#                      "${VF[@]}" ARGS...
#   PORT_RING          appended to a port's YAML flow mapping:
#                      ", packed-ring: true" on packed rings, else nothing
#   assert_ring PORT   the port (connected) negotiated the suite's layout:
#                      ring_packed in its feature_names, or not
#   split_only, packed_only   in a test: skip it on the other layout
#
# On packed rings every test name starts with "packed: "
# (BATS_TEST_NAME_PREFIX), so the two runs' results never mix.

if [ -z "${VF_RING:-}" ]; then
	case $BATS_TEST_FILENAME in
	*_packed.bats) VF_RING=packed ;;
	*) VF_RING=split ;;
	esac
fi
case $VF_RING in
packed)
	VF=("$XVS_BIN/xvs-vufront" --packed)
	PORT_RING=", packed-ring: true"
	BATS_TEST_NAME_PREFIX="packed: "
	;;
split)
	VF=("$XVS_BIN/xvs-vufront")
	PORT_RING=
	;;
*)
	echo "VF_RING=$VF_RING: neither split nor packed" >&2
	return 1
	;;
esac
export VF_RING

assert_ring() {
	local names

	names=$(port_field "$1" feature_names)
	if [ "$VF_RING" = packed ] && [[ $names != *ring_packed* ]]; then
		echo "FAIL: port $1 negotiated $names: no ring_packed on a packed-ring run"
		return 1
	fi
	if [ "$VF_RING" = split ] && [[ $names == *ring_packed* || $names == - ]]; then
		echo "FAIL: port $1 negotiated $names on a split-ring run"
		return 1
	fi
}

split_only() {
	[ "$VF_RING" = split ] || skip "split rings only${1:+: $1}"
}

packed_only() {
	[ "$VF_RING" = packed ] || skip "packed rings only${1:+: $1}"
}
