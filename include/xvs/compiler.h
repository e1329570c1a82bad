/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small portability layer so that headers in include/xvs/ compile both as
 * BPF (clang -target bpf) and as userspace C (gcc/clang).
 */
#ifndef XVS_COMPILER_H
#define XVS_COMPILER_H

#include <linux/types.h>

#ifdef __bpf__
#define XVS_INLINE static __attribute__((always_inline)) inline
#else
#define XVS_INLINE static inline
#endif

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* Network-order conversions usable in constant expressions, on both sides. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define xvs_htons(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define xvs_ntohs(x) ((__u16)__builtin_bswap16((__u16)(x)))
#define xvs_ntohl(x) ((__u32)__builtin_bswap32((__u32)(x)))
#else
#define xvs_htons(x) ((__u16)(x))
#define xvs_ntohs(x) ((__u16)(x))
#define xvs_ntohl(x) ((__u32)(x))
#endif

#define XVS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* XVS_COMPILER_H */
