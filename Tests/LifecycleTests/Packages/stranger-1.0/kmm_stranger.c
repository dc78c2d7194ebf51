// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
/* Exported by no kernel and no module. */
extern void kmm_nowhere(void);
static int __init kmm_stranger_init(void) { kmm_nowhere(); return 0; }
static void __exit kmm_stranger_exit(void) {}
module_init(kmm_stranger_init);
module_exit(kmm_stranger_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodmgr test module needing a symbol nobody exports");
