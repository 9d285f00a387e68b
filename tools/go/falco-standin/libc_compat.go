package main

// The pinned loader calls strlcat, which glibc provides only from 2.38 on (Debian 12 and AlmaLinux 9 have
// older ones); libc_compat.c defines it in the binary, where it takes precedence over any glibc copy.

import "C"
