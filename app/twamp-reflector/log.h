/* SPDX-License-Identifier: BSD-3-Clause */
/* Dynamic log types, one per component: --log-level=twamp.port:debug. No per-packet logs. */
#ifndef TWR_LOG_H
#define TWR_LOG_H

#include <rte_log.h>

extern int tw_logtype_main;
extern int tw_logtype_port;
extern int tw_logtype_clock;
extern int tw_logtype_exc;
extern int tw_logtype_ctrl;
extern int tw_logtype_ike;
#define RTE_LOGTYPE_TW_MAIN tw_logtype_main
#define RTE_LOGTYPE_TW_PORT tw_logtype_port
#define RTE_LOGTYPE_TW_CLOCK tw_logtype_clock
#define RTE_LOGTYPE_TW_EXC tw_logtype_exc
#define RTE_LOGTYPE_TW_CTRL tw_logtype_ctrl
#define RTE_LOGTYPE_TW_IKE tw_logtype_ike

/* DPDK 22.11 has no RTE_LOG_LINE: the wrappers add the newline. */
#define MAIN_LOG(lvl, fmt, ...) RTE_LOG(lvl, TW_MAIN, fmt "\n", ##__VA_ARGS__)
#define PORT_LOG(lvl, fmt, ...) RTE_LOG(lvl, TW_PORT, fmt "\n", ##__VA_ARGS__)
#define CLOCK_LOG(lvl, fmt, ...) RTE_LOG(lvl, TW_CLOCK, fmt "\n", ##__VA_ARGS__)
#define EXC_LOG(lvl, fmt, ...) RTE_LOG(lvl, TW_EXC, fmt "\n", ##__VA_ARGS__)
#define CTRL_LOG(lvl, fmt, ...) RTE_LOG(lvl, TW_CTRL, fmt "\n", ##__VA_ARGS__)

#endif /* TWR_LOG_H */
