// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init kmm_hostile_init(void) { return 0; }
static void __exit kmm_hostile_exit(void) {}
module_init(kmm_hostile_init);
module_exit(kmm_hostile_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodmgr test module kmm_hostile");
