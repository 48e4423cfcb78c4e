// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>
#include "k8s/random_bytes.h"

int pt_random_bytes(void *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, GRND_NONBLOCK);
	int fd, err;

	if (n == (ssize_t)len)
		return 0;
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len);
	err = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return err;
}
