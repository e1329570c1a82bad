// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the test-frame builder (tools/lib/frame.c): the frames the
 * other tests rely on must be what they claim to be. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "frame.h"

static const uint8_t DST[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t SRC[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void ip4_udp_lengths_and_checksums(void **state)
{
	struct frame f;
	uint32_t pseudo;
	size_t l4len;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.1.2.3", "10.4.5.6", 4);
	frame_udp(&f, 7, 9);
	frame_payload(&f, 33, 5);
	assert_int_equal(frame_finish(&f), 14 + 24 + 8 + 33);
	assert_int_equal(f.buf[12] << 8 | f.buf[13], 0x0800);
	assert_int_equal(f.buf[14], 0x46);
	assert_int_equal(f.buf[16] << 8 | f.buf[17], 24 + 8 + 33);
	assert_int_equal(f.buf[14 + 9], 17);
	assert_int_equal(sum16(f.buf + 14, 24, 0), 0xffff); /* header checksum */
	l4len = 8 + 33;
	assert_int_equal(f.buf[38 + 4] << 8 | f.buf[38 + 5], l4len);
	pseudo = sum16(f.buf + 14 + 12, 8, 0) + 17 + (uint32_t)l4len;
	assert_int_equal(sum16(f.buf + 38, l4len, pseudo), 0xffff);
	assert_int_equal(frame_payload_check(f.buf + 46, 33), 5);
	assert_true(frame_ip4_udp_csums_ok(f.buf, f.len));
	f.buf[14 + 24 + 8 + 20] ^= 0x10; /* a payload bit */
	assert_false(frame_ip4_udp_csums_ok(f.buf, f.len));
	f.buf[14 + 24 + 8 + 20] ^= 0x10;
	f.buf[14 + 8] ^= 1; /* the TTL: the header checksum */
	assert_false(frame_ip4_udp_csums_ok(f.buf, f.len));
	f.buf[14 + 8] ^= 1;
	f.buf[38 + 6] = f.buf[38 + 7] = 0; /* no UDP checksum: fine */
	assert_true(frame_ip4_udp_csums_ok(f.buf, f.len));
}

static void vlan_and_ip6_chain(void **state)
{
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_vlan(&f, 0x88a8, 3);
	frame_vlan(&f, 0x8100, 4095);
	frame_ip6(&f, "fd00::1", "fd00::2");
	frame_ip6_ext(&f, 0, 16);
	frame_ip6_ext(&f, 51, 12);
	frame_icmp(&f, 128, 0);
	assert_int_equal(frame_finish(&f), 14 + 8 + 40 + 16 + 12 + 8);
	assert_int_equal(f.buf[12] << 8 | f.buf[13], 0x88a8);
	assert_int_equal(f.buf[16] << 8 | f.buf[17], 0x8100);
	assert_int_equal((f.buf[18] << 8 | f.buf[19]) & 0xfff, 4095);
	assert_int_equal(f.buf[20] << 8 | f.buf[21], 0x86dd);
	assert_int_equal(f.buf[22 + 6], 0); /* next: hop-by-hop */
	assert_int_equal(f.buf[22 + 40], 51); /* next: AH */
	assert_int_equal(f.buf[22 + 41], 1); /* 16 bytes = (1 + 1) * 8 */
	assert_int_equal(f.buf[22 + 56], 58); /* next: ICMPv6 */
	assert_int_equal(f.buf[22 + 57], 1); /* 12 bytes = (1 + 2) * 4 */
	assert_int_equal(f.buf[22 + 4] << 8 | f.buf[22 + 5], 16 + 12 + 8);
}

static void misuse_is_reported(void **state)
{
	struct frame f;

	(void)state;
	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_udp(&f, 1, 2); /* UDP straight after Ethernet */
	assert_true(frame_finish(&f) < 0);

	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_ip4(&f, "10.0.0.300", "10.0.0.1", 0);
	assert_true(frame_finish(&f) < 0);

	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_payload(&f, FRAME_MAX, 0);
	assert_true(frame_finish(&f) < 0);

	frame_init(&f);
	frame_eth(&f, DST, SRC);
	frame_vlan(&f, 0x0800, 1); /* not a VLAN TPID */
	assert_true(frame_finish(&f) < 0);
}

static void mac_parsing(void **state)
{
	uint8_t m[6];

	(void)state;
	assert_int_equal(frame_parse_mac("02:0a:FF:00:00:01", m), 0);
	assert_int_equal(m[1], 0x0a);
	assert_int_equal(m[2], 0xff);
	assert_true(frame_parse_mac("02:0a:ff:00:00", m) < 0);
	assert_true(frame_parse_mac("02:0a:ff:00:00:01:02", m) < 0);
	assert_true(frame_parse_mac("zz:0a:ff:00:00:01", m) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ip4_udp_lengths_and_checksums),
		cmocka_unit_test(vlan_and_ip6_chain),
		cmocka_unit_test(misuse_is_reported),
		cmocka_unit_test(mac_parsing),
	};

	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
