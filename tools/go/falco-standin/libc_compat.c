// strlcat as the BSDs define it, for glibc releases before 2.38. No <string.h>: where glibc does declare
// strlcat (possibly as a fortified inline), this definition must not meet that declaration.
#include <stddef.h>

size_t strlcat(char *dst, const char *src, size_t size)
{
	size_t dst_len = 0;
	while (dst_len < size && dst[dst_len] != '\0') dst_len++;
	size_t src_len = 0;
	while (src[src_len] != '\0') src_len++;
	// No NUL within size bytes of dst: nothing can be appended.
	if (dst_len == size) return size + src_len;
	size_t copy = src_len < size - dst_len - 1 ? src_len : size - dst_len - 1;
	for (size_t i = 0; i < copy; i++) dst[dst_len + i] = src[i];
	dst[dst_len + copy] = '\0';
	return dst_len + src_len;
}
