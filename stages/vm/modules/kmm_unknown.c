// SPDX-License-Identifier: GPL-2.0
// VM test module (stages/vm): needs kmm_nowhere, which no kernel or module exports, so the kernel refuses it
// with "Unknown symbol kmm_nowhere" and kmodmgr verify must predict that.
#include <linux/module.h>
extern void kmm_nowhere(void);
static int __init kmm_unknown_init(void)
{
	kmm_nowhere();
	return 0;
}
static void __exit kmm_unknown_exit(void) {}
module_init(kmm_unknown_init);
module_exit(kmm_unknown_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodmgr VM test module: imports a symbol nothing exports");
