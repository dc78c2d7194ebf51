// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init kmm_broken_init(void) { return this_identifier_does_not_exist; }
module_init(kmm_broken_init);
MODULE_LICENSE("GPL");
