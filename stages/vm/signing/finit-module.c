// finit-module FILE [compressed]: loads FILE with finit_module(2) (flags MODULE_INIT_COMPRESSED_FILE with
// "compressed": the kernel decompresses it itself, CONFIG_MODULE_DECOMPRESS) and prints "loaded" or the error.
// Busybox insmod cannot test that: it tries finit_module with flags 0, then decompresses .ko.xz itself for
// init_module. The call is made from a second thread on purpose: this dynamically linked glibc program
// (pthreads, futex) also proves the guest kernel runs such programs (as it must for kmodmgr).
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4
#endif

struct request { int fd; int flags; int error; };

static void *load(void *argument)
{
	struct request *request = argument;
	request->error = syscall(SYS_finit_module, request->fd, "", request->flags) == 0 ? 0 : errno;
	return NULL;
}

int main(int argc, char **argv)
{
	struct request request = { .flags = 0 };
	pthread_t thread;
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "compressed") != 0)) {
		fprintf(stderr, "usage: finit-module FILE [compressed]\n");
		return 2;
	}
	if (argc == 3)
		request.flags = MODULE_INIT_COMPRESSED_FILE;
	request.fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (request.fd < 0) {
		fprintf(stderr, "finit-module: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (pthread_create(&thread, NULL, load, &request) != 0 || pthread_join(thread, NULL) != 0) {
		fprintf(stderr, "finit-module: cannot run a thread\n");
		return 1;
	}
	if (request.error != 0) {
		fprintf(stderr, "finit-module: finit_module(%s, flags %d): %s\n", argv[1], request.flags,
			strerror(request.error));
		return 1;
	}
	printf("loaded\n");
	return 0;
}
