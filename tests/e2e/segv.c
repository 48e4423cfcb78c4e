// SPDX-License-Identifier: GPL-2.0
/* Dies of a real SIGSEGV: a write through a null pointer. */
int main(void)
{
	volatile int *p = 0;

	*p = 1;
	return 0;
}
