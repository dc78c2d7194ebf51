// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init kmm_hello_init(void) { return 0; }
static void __exit kmm_hello_exit(void) {}
module_init(kmm_hello_init);
module_exit(kmm_hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodmgr test module kmm_hello");
