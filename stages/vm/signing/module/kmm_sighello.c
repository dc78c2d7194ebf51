// SPDX-License-Identifier: GPL-2.0
// Test module of stages/vm/signing/selftest: loaded or refused depending on its signature only.
#include <linux/module.h>
static int __init kmm_sighello_init(void)
{
	pr_info("kmm_sighello: loaded\n");
	return 0;
}
static void __exit kmm_sighello_exit(void) {}
module_init(kmm_sighello_init);
module_exit(kmm_sighello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmodmgr signing test module");
