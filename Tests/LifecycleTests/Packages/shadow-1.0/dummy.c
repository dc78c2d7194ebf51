// SPDX-License-Identifier: GPL-2.0
// A module named like the kernel's own drivers/net/dummy.ko, to test overriding and moving aside in-tree modules.
#include <linux/module.h>
static int __init kmm_dummy_init(void) { return 0; }
static void __exit kmm_dummy_exit(void) {}
module_init(kmm_dummy_init);
module_exit(kmm_dummy_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
MODULE_DESCRIPTION("kmodmgr test module shadowing dummy");
