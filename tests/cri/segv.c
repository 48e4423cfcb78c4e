// SPDX-License-Identifier: GPL-2.0
/* Dies of a real SIGSEGV: a read through a null pointer (no raise(), no kill). */
int main(void)
{
	volatile int *p = 0;

	return *p;
}
