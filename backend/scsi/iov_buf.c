#include "iov_buf.h"

#include <stdint.h>
#include <string.h>

size_t iov_from_buf(const struct iovec *iov, unsigned iov_cnt, const void *buf, size_t len)
{
    const uint8_t *src = buf;
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < len; i++) {
        size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
        if (n)
            memcpy(iov[i].iov_base, src + done, n);
        done += n;
    }
    return done;
}

size_t iov_zero(const struct iovec *iov, unsigned iov_cnt, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < len; i++) {
        size_t n = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;
        if (n)
            memset(iov[i].iov_base, 0, n);
        done += n;
    }
    return done;
}
