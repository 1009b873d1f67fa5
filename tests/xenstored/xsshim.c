/*
 * LD_PRELOAD shim that lets the unmodified Debian C xenstored (4.17) run
 * without a hypervisor, serving clients on its Unix socket only.
 *
 * It fakes exactly what xenstored imports from libxenctrl, libxengnttab and
 * libxenevtchn (see `nm -D xenstored`), plus open() of /proc/xen/xsd_port
 * and /proc/xen/xsd_kva used by dom0_init(). Every domid below
 * DOMID_FIRST_RESERVED (0x7FF0) exists and runs; grant maps hand out
 * anonymous pages; event channels never fire (xenstored polls an idle
 * eventfd), so no guest ring is ever read.
 *
 * The definitions are unversioned: the dynamic linker accepts an unversioned
 * definition for a versioned reference (xc_*@VERS_4.17.0, ...@VERS_1.x), and
 * a preloaded object is searched first, so no version script is needed.
 *
 * Built without sanitizers: it is loaded into an uninstrumented process.
 */
/*
 * We define open() and open64() both: with _FILE_OFFSET_BITS=64 (meson's
 * default) glibc renames open to open64 and the two would collide. A
 * fortified open() is an inline wrapper that would clash too.
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#define SHIM_EXPORT __attribute__((visibility("default")))

#define XSD_PORT_DEV "/proc/xen/xsd_port"
#define XSD_KVA_DEV "/proc/xen/xsd_kva"
#define XSD_PORT 1          /* dom0's xenstore event channel */
#define PAGE 4096

/* Opaque handle types of the real libraries, completed here. */
struct xc_interface_core {
    int unused;
};

struct xengntdev_handle {
    int unused;
};

struct xenevtchn_handle {
    int fd;                 /* eventfd nobody writes: never readable */
};

/* ---- libxenctrl ---- */

SHIM_EXPORT xc_interface *xc_interface_open(xentoollog_logger *logger,
                                            xentoollog_logger *dombuild_logger,
                                            unsigned open_flags)
{
    (void)logger;
    (void)dombuild_logger;
    (void)open_flags;
    return calloc(1, sizeof(struct xc_interface_core));
}

SHIM_EXPORT int xc_interface_close(xc_interface *xch)
{
    free(xch);
    return 0;
}

/* Same contract as Xen: the domains with id >= first_domid, up to max_doms. */
SHIM_EXPORT int xc_domain_getinfo(xc_interface *xch, uint32_t first_domid,
                                  unsigned int max_doms, xc_dominfo_t *info)
{
    unsigned int n = 0;

    if (!xch || !info) {
        errno = EINVAL;
        return -1;
    }
    for (uint32_t d = first_domid; n < max_doms && d < DOMID_FIRST_RESERVED;
         d++, n++) {
        xc_dominfo_t *i = &info[n];

        memset(i, 0, sizeof(*i));
        i->domid = d;
        i->running = 1;     /* not dying, crashed nor shut down */
        i->nr_pages = 1024;
        i->max_memkb = 4096;
        i->nr_online_vcpus = 1;
        i->max_vcpu_id = 0;
        i->gpaddr_bits = 40;
    }
    return (int)n;
}

/* ---- libxengnttab ---- */

SHIM_EXPORT xengnttab_handle *xengnttab_open(xentoollog_logger *logger,
                                             unsigned open_flags)
{
    (void)logger;
    (void)open_flags;
    return calloc(1, sizeof(struct xengntdev_handle));
}

SHIM_EXPORT int xengnttab_close(xengnttab_handle *xgt)
{
    free(xgt);
    return 0;
}

SHIM_EXPORT int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr)
{
    (void)xgt;
    (void)nr;
    return 0;
}

/* A guest's xenstore ring: a zeroed page, so it never has requests. */
SHIM_EXPORT void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
                                          uint32_t ref, int prot)
{
    void *p;

    (void)xgt;
    (void)domid;
    (void)ref;
    p = mmap(NULL, PAGE, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

SHIM_EXPORT int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
                                uint32_t count)
{
    (void)xgt;
    return munmap(start_address, (size_t)count * PAGE);
}

/* ---- libxenevtchn ---- */

static xenevtchn_handle *evtchn_new(int fd)
{
    xenevtchn_handle *h = calloc(1, sizeof(*h));

    if (!h)
        return NULL;
    h->fd = fd >= 0 ? fd : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h->fd < 0) {
        free(h);
        return NULL;
    }
    return h;
}

SHIM_EXPORT xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
                                             unsigned int flags)
{
    (void)logger;
    (void)flags;
    return evtchn_new(-1);
}

/* Live update hands the fd over: keep it as ours. */
SHIM_EXPORT xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
                                               int fd, unsigned open_flags)
{
    (void)logger;
    (void)open_flags;
    if (fd < 0) {
        errno = EBADF;
        return NULL;
    }
    return evtchn_new(fd);
}

SHIM_EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce)
        return 0;
    close(xce->fd);
    free(xce);
    return 0;
}

SHIM_EXPORT int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->fd;
}

/* Local ports must be unique: xenstored maps them back to domains. */
static evtchn_port_t next_port = 100;

SHIM_EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    (void)xce;
    (void)virq;
    return (xenevtchn_port_or_error_t)next_port++;
}

SHIM_EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                           evtchn_port_t remote_port)
{
    (void)xce;
    (void)domid;
    (void)remote_port;
    return (xenevtchn_port_or_error_t)next_port++;
}

SHIM_EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    (void)port;
    return 0;
}

/* Only called when the fd is readable, which never happens. */
SHIM_EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    (void)xce;
    errno = EAGAIN;
    return -1;
}

SHIM_EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    (void)port;
    return 0;
}

SHIM_EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    (void)xce;
    (void)port;
    return 0;
}

/* ---- /proc/xen/xsd_port and /proc/xen/xsd_kva ---- */

/* A memfd with the given content and size, offset 0; -1 on error. */
static int memfd_with(const char *name, const char *data, size_t size)
{
    int fd = memfd_create(name, MFD_CLOEXEC);

    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) < 0 ||
        (data && pwrite(fd, data, strlen(data), 0) != (ssize_t)strlen(data))) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Returns a fake fd for the xenstored /proc/xen nodes, or -2 to pass on. */
static int fake_proc_xen(const char *path)
{
    if (!path)
        return -2;
    if (strcmp(path, XSD_PORT_DEV) == 0) {
        static const char port[] = "1";

        _Static_assert(XSD_PORT == 1, "xsd_port content");
        return memfd_with("xsd_port", port, sizeof(port) - 1);
    }
    if (strcmp(path, XSD_KVA_DEV) == 0)
        return memfd_with("xsd_kva", NULL, PAGE); /* dom0's ring page */
    return -2;
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

/*
 * What every open entry point does: a fake fd for the /proc/xen nodes, else
 * the next definition of sym (openat-like when at). ap holds the caller's
 * mode, read only when flags create a file. memcpy: ISO C has no
 * object-to-function pointer cast (-Wpedantic).
 */
static int shim_open(const char *sym, bool at, int dirfd, const char *path, int flags,
                     va_list ap)
{
    int fd = fake_proc_xen(path);
    mode_t mode = 0;
    void *p;

    if (fd != -2)
        return fd;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
        mode = (mode_t)va_arg(ap, int);
    p = dlsym(RTLD_NEXT, sym);
    if (!p) {
        errno = ENOSYS;
        return -1;
    }
    if (at) {
        openat_fn real;

        memcpy(&real, &p, sizeof(real));
        return real(dirfd, path, flags, mode);
    } else {
        open_fn real;

        memcpy(&real, &p, sizeof(real));
        return real(path, flags, mode);
    }
}

/*
 * xenstored calls open() only, but open64/openat cost nothing and keep the
 * shim right if a rebuild switches to them. Absolute paths only: the
 * /proc/xen nodes are always opened by absolute name.
 */
SHIM_EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    int fd;

    va_start(ap, flags);
    fd = shim_open("open", false, -1, path, flags, ap);
    va_end(ap);
    return fd;
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    int fd;

    va_start(ap, flags);
    fd = shim_open("open64", false, -1, path, flags, ap);
    va_end(ap);
    return fd;
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    int fd;

    va_start(ap, flags);
    fd = shim_open("openat", true, dirfd, path, flags, ap);
    va_end(ap);
    return fd;
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    int fd;

    va_start(ap, flags);
    fd = shim_open("openat64", true, dirfd, path, flags, ap);
    va_end(ap);
    return fd;
}
