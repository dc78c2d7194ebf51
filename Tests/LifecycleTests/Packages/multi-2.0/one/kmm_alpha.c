// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init kmm_alpha_init(void) { return 0; }
static void __exit kmm_alpha_exit(void) {}
module_init(kmm_alpha_init);
module_exit(kmm_alpha_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodmgr test module kmm_alpha");
