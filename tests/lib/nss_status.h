/* SPDX-License-Identifier: MIT */
/* Shared by the harnesses that call an NSS module's entry points
 * (tests/nss/dlopen.c, tests/hardening/nss_driver.c, bench/nss_bench.c). */
#pragma once

#include <nss.h>

static inline const char *tl_nss_status_name(enum nss_status s)
{
        switch (s) {
        case NSS_STATUS_SUCCESS:
                return "SUCCESS";
        case NSS_STATUS_NOTFOUND:
                return "NOTFOUND";
        case NSS_STATUS_UNAVAIL:
                return "UNAVAIL";
        case NSS_STATUS_TRYAGAIN:
                return "TRYAGAIN";
        case NSS_STATUS_RETURN:
                return "RETURN";
        default:
                return "invalid";
        }
}
