/* ccinit: the clone->exec window of ContainerConsole's runtime.
 *
 * The C# runtime decides everything (spec validation, cgroups, seccomp program,
 * mount list) and writes a plan; this static, single-threaded helper carries it
 * out, because after fork only async-signal-safe code may run, and unshare of a
 * user namespace or setns into a mount namespace fails in a multithreaded
 * process such as the .NET runtime.
 *
 * fds on entry: 0-2 the container's stdio, 3 the plan, 4 the report socket.
 * Report protocol (lines on fd 4): helper -> runtime "pid N", "ready",
 * "error MSG", "exit N"; runtime -> helper "go" once the pid is in its cgroups
 * and the createRuntime/prestart hooks have run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "plan.h"

#define REPORT_FD 4
#define PLAN_FD 3

static struct plan plan;
static int sync_fd = -1;   /* child side of the parent<->child socketpair */
static int in_child;

/* --- reporting ---------------------------------------------------------- */

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void report(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(buf) - 2)
        n = sizeof(buf) - 2;
    buf[n++] = '\n';
    write_all(in_child ? sync_fd : REPORT_FD, buf, (size_t)n);
}

/* A failure: the message names the step and the path; the runtime shows it. */
__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    char msg[3500];
    int e = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (e)
        report("error %s: %s", msg, strerror(e));
    else
        report("error %s", msg);
    _exit(1);
}

/* --- plan helpers ------------------------------------------------------- */

static int is(const struct plan_record *r, const char *op) { return strcmp(r->op, op) == 0; }

static const struct plan_record *find(const char *op)
{
    for (int i = 0; i < plan.nrecords; i++)
        if (is(&plan.records[i], op))
            return &plan.records[i];
    return NULL;
}

static unsigned long long num(const char *s)
{
    return strtoull(s, NULL, 0);
}

static void need(const struct plan_record *r, int n)
{
    if (r->nfields < n) {
        errno = 0;
        die("plan: \"%s\" needs %d fields", r->op, n);
    }
}

/* --- namespaces and ids ------------------------------------------------- */

static void write_file(const char *path, const char *content)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s", path);
    size_t n = strlen(content);
    if (write(fd, content, n) != (ssize_t)n)
        die("write %s", path);
    close(fd);
}

static void write_id_maps(pid_t pid)
{
    char path[64];
    const struct plan_record *u = find("uidmap"), *g = find("gidmap");
    if (g) {
        need(g, 1);
        snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
        write_file(path, g->f[0]);
    }
    if (u) {
        need(u, 1);
        snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
        write_file(path, u->f[0]);
    }
}

static void join_namespaces(void)
{
    for (int i = 0; i < plan.nrecords; i++) {
        const struct plan_record *r = &plan.records[i];
        if (!is(r, "setns"))
            continue;
        need(r, 2);
        int fd = open(r->f[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            die("open namespace %s", r->f[1]);
        if (setns(fd, (int)num(r->f[0])) < 0)
            die("setns %s", r->f[1]);
        close(fd);
    }
}

/* --- root filesystem ----------------------------------------------------- */

/* Opens rel under rootfd with symlinks resolved as if rootfd were "/", so a
 * hostile rootfs cannot point a mount at the host (CVE-2021-30465 class).
 * Missing components are created: directories, or a file for the last one. */
static int open_in_root(int rootfd, const char *rel, int create_file)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
    if (fd >= 0 || errno != ENOENT)
        return fd;
    char path[4096];
    snprintf(path, sizeof(path), "%s", rel);
    char *slash = strrchr(path, '/');
    int parent;
    const char *leaf;
    if (slash) {
        *slash = 0;
        parent = path[0] ? open_in_root(rootfd, path, 0) : dup(rootfd);
        leaf = slash + 1;
    } else {
        parent = dup(rootfd);
        leaf = path;
    }
    if (parent < 0)
        return -1;
    /* O_PATH fds cannot be used with mkdirat; reopen the directory. */
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", parent);
    int dirfd = open(proc, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    close(parent);
    if (dirfd < 0)
        return -1;
    if (create_file) {
        int f = openat(dirfd, leaf, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0755);
        if (f >= 0)
            close(f);
        else if (errno != EEXIST) {
            close(dirfd);
            return -1;
        }
    } else if (mkdirat(dirfd, leaf, 0755) < 0 && errno != EEXIST) {
        close(dirfd);
        return -1;
    }
    close(dirfd);
    fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
    return fd;
}

static void fdpath(int fd, char *buf, size_t n)
{
    snprintf(buf, n, "/proc/self/fd/%d", fd);
}

/* An fd opened before a mount still names the directory underneath; remounts
 * and propagation changes must go through one opened after it. */
static void reopen_mounted(int rootfd, const char *rel, int is_file, int *fd, char *target, size_t n)
{
    close(*fd);
    *fd = open_in_root(rootfd, rel, is_file);
    if (*fd < 0)
        die("reopen mountpoint %s", rel);
    fdpath(*fd, target, n);
}

static void do_mount(int rootfd, const struct plan_record *r)
{
    need(r, 7);
    const char *src = r->f[0], *rel = r->f[1], *type = r->f[2], *data = r->f[4];
    unsigned long flags = (unsigned long)num(r->f[3]), prop = (unsigned long)num(r->f[5]);
    int is_file = strcmp(r->f[6], "file") == 0;
    int fd = open_in_root(rootfd, rel, is_file);
    if (fd < 0)
        die("mountpoint %s", rel);
    char target[64];
    fdpath(fd, target, sizeof(target));
    if (flags & MS_BIND) {
        if (mount(src, target, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
            die("bind mount %s on %s", src, rel);
        reopen_mounted(rootfd, rel, is_file, &fd, target, sizeof(target));
        unsigned long rest = flags & ~(MS_BIND | MS_REC);
        if (rest) {
            /* Bind mounts ignore most flags until remounted; keep flags the
             * kernel locks in a user namespace, or the remount fails (EPERM). */
            struct statvfs sv;
            unsigned long locked = 0;
            if (statvfs(target, &sv) == 0)
                locked = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
            if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | rest | locked, NULL) < 0)
                die("remount %s", rel);
        }
    } else if (mount(src, target, type, flags, data[0] ? data : NULL) < 0) {
        if (strcmp(type, "sysfs") == 0 && errno == EPERM) {
            /* sysfs cannot be mounted without a new net namespace: bind the host's, read-only. */
            if (mount("/sys", target, NULL, MS_BIND | MS_REC, NULL) < 0)
                die("bind /sys on %s", rel);
            reopen_mounted(rootfd, rel, is_file, &fd, target, sizeof(target));
            if (mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                die("remount /sys on %s read-only", rel);
        } else {
            die("mount %s (%s) on %s", src, type, rel);
        }
    } else if (prop) {
        reopen_mounted(rootfd, rel, is_file, &fd, target, sizeof(target));
    }
    if (prop && mount(NULL, target, NULL, prop, NULL) < 0)
        die("set propagation of %s", rel);
    close(fd);
}

static void do_mknod(int rootfd, const struct plan_record *r)
{
    need(r, 7);
    const char *rel = r->f[0];
    mode_t mode = (mode_t)num(r->f[4]);
    char t = r->f[1][0];
    mode |= t == 'b' ? S_IFBLK : t == 'p' ? S_IFIFO : S_IFCHR;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", rel);
    char *slash = strrchr(dir, '/');
    const char *leaf = rel;
    int parent;
    if (slash) {
        *slash = 0;
        leaf = slash + 1;
        parent = open_in_root(rootfd, dir, 0);
    } else {
        parent = dup(rootfd);
    }
    if (parent < 0)
        die("device directory for %s", rel);
    char p[64];
    fdpath(parent, p, sizeof(p));
    int dfd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    close(parent);
    if (dfd < 0)
        die("open device directory for %s", rel);
    unlinkat(dfd, leaf, 0);
    if (mknodat(dfd, leaf, mode, makedev((unsigned)num(r->f[2]), (unsigned)num(r->f[3]))) < 0)
        die("mknod %s", rel);
    if (fchmodat(dfd, leaf, mode & 07777, 0) < 0)   /* mknod honours umask; the spec's mode must win */
        die("chmod %s", rel);
    if (fchownat(dfd, leaf, (uid_t)num(r->f[5]), (gid_t)num(r->f[6]), AT_SYMLINK_NOFOLLOW) < 0)
        die("chown %s", rel);
    close(dfd);
}

static void do_symlink(int rootfd, const struct plan_record *r)
{
    need(r, 2);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", r->f[1]);
    char *slash = strrchr(dir, '/');
    const char *leaf = r->f[1];
    int parent;
    if (slash) {
        *slash = 0;
        leaf = r->f[1] + (slash - dir) + 1;
        parent = open_in_root(rootfd, dir, 0);
    } else {
        parent = dup(rootfd);
    }
    if (parent < 0)
        die("symlink directory for %s", r->f[1]);
    char p[64];
    fdpath(parent, p, sizeof(p));
    int dfd = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    close(parent);
    if (dfd < 0 || (symlinkat(r->f[0], dfd, leaf) < 0 && errno != EEXIST))
        die("symlink %s", r->f[1]);
    close(dfd);
}

static void pivot_into(const char *rootfs, int new_mount_ns)
{
    if (!new_mount_ns) {
        if (chroot(rootfs) < 0 || chdir("/") < 0)
            die("chroot %s", rootfs);
        return;
    }
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || chdir(rootfs) < 0)
        die("chdir %s", rootfs);
    /* pivot_root(".", ".") stacks the old root under the new one, so no
     * put_old directory is needed inside the container's rootfs. */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        die("pivot_root %s", rootfs);
    if (fchdir(oldroot) < 0)
        die("fchdir old root");
    /* Make the old root a slave first so the detach cannot propagate to the host. */
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        die("make old root rslave");
    if (umount2(".", MNT_DETACH) < 0)
        die("detach old root");
    close(oldroot);
    if (chdir("/") < 0)
        die("chdir /");
}

static void mask_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return; /* nothing to hide */
    if (S_ISDIR(st.st_mode)) {
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL) < 0)
            die("mask %s", path);
    } else if (mount("/dev/null", path, NULL, MS_BIND, NULL) < 0) {
        die("mask %s", path);
    }
}

static void readonly_path(const char *path)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT)
            return;
        die("bind %s", path);
    }
    struct statvfs sv;
    unsigned long locked = 0;
    if (statvfs(path, &sv) == 0)
        locked = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked, NULL) < 0)
        die("remount %s read-only", path);
}

static void remount_root_readonly(void)
{
    struct statvfs sv;
    unsigned long locked = 0;
    if (statvfs("/", &sv) == 0)
        locked = sv.f_flag & (MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, NULL) < 0)
        die("remount / read-only");
}

/* --- terminal ------------------------------------------------------------ */

static void send_fd(int sock, int fd, const char *name)
{
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(sock, &msg, 0) < 0)
        die("send pty master to console socket");
}

static void setup_terminal(int console_sock, int bind_console)
{
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        die("open /dev/ptmx");
    int unlock = 0, ptn = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &ptn) < 0)
        die("unlock pty");
    char slave_path[64];
    snprintf(slave_path, sizeof(slave_path), "/dev/pts/%d", ptn);
    int slave = open(slave_path, O_RDWR | O_NOCTTY);
    if (slave < 0)
        die("open %s", slave_path);
    const struct plan_record *sz = find("consolesize");
    if (sz && sz->nfields >= 2) {
        struct winsize ws = {.ws_row = (unsigned short)num(sz->f[0]), .ws_col = (unsigned short)num(sz->f[1])};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (bind_console) {
        int c = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (c >= 0)
            close(c);
        if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
            die("bind %s on /dev/console", slave_path);
    }
    send_fd(console_sock, master, "/dev/ptmx");
    close(master);
    close(console_sock);
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
        die("dup pty slave");
    if (ioctl(0, TIOCSCTTY, 0) < 0)
        die("set controlling terminal");
    if (slave > 2)
        close(slave);
}

/* --- process attributes -------------------------------------------------- */

static void loopback_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        die("socket for loopback");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        die("get lo flags");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        die("bring lo up");
    close(s);
}

static void load_seccomp(const char *prog, size_t len, unsigned flags)
{
    struct sock_fprog fprog = {.len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)prog};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog) < 0)
        die("load seccomp filter");
}

/* Needs CAP_SETPCAP: called before switching to the container's user. */
static void drop_bounding(const struct plan_record *c)
{
    need(c, 6);
    unsigned long long bnd = num(c->f[0]);
    int last = (int)num(c->f[5]);
    for (int i = 0; i <= last; i++)
        if (!(bnd & (1ULL << i)) && prctl(PR_CAPBSET_DROP, i, 0, 0, 0) < 0 && errno != EINVAL)
            die("drop capability %d from bounding set", i);
}

/* After the user switch: PR_SET_KEEPCAPS kept the permitted set, from which
 * the spec's sets are now chosen. */
static void set_caps(const struct plan_record *c)
{
    need(c, 6);
    unsigned long long eff = num(c->f[1]), perm = num(c->f[2]), inh = num(c->f[3]), amb = num(c->f[4]);
    int last = (int)num(c->f[5]);
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    d[0].effective = (uint32_t)eff;
    d[1].effective = (uint32_t)(eff >> 32);
    d[0].permitted = (uint32_t)perm;
    d[1].permitted = (uint32_t)(perm >> 32);
    d[0].inheritable = (uint32_t)inh;
    d[1].inheritable = (uint32_t)(inh >> 32);
    if (syscall(SYS_capset, &h, d) < 0)
        die("capset");
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int i = 0; i <= last; i++)
        if ((amb & (1ULL << i)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) < 0)
            die("raise ambient capability %d", i);
}

static void switch_user(const struct plan_record *u)
{
    need(u, 3);
    gid_t groups[256];
    int n = 0;
    for (char *s = u->f[2]; *s && n < 256;) {
        groups[n++] = (gid_t)strtoul(s, &s, 10);
        if (*s == ',')
            s++;
    }
    if (setgroups((size_t)n, groups) < 0 && !(errno == EPERM && n == 0))
        die("setgroups");
    if (setresgid((gid_t)num(u->f[1]), (gid_t)num(u->f[1]), (gid_t)num(u->f[1])) < 0)
        die("setgid %s", u->f[1]);
    if (setresuid((uid_t)num(u->f[0]), (uid_t)num(u->f[0]), (uid_t)num(u->f[0])) < 0)
        die("setuid %s", u->f[0]);
}

static void exec_process(void)
{
    char *argv[4096], *envp[4096];
    int na = 0, ne = 0;
    const char *path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (int i = 0; i < plan.nrecords; i++) {
        const struct plan_record *r = &plan.records[i];
        if (is(r, "arg") && na < 4095)
            argv[na++] = r->f[0];
        else if (is(r, "env") && ne < 4095) {
            envp[ne++] = r->f[0];
            if (strncmp(r->f[0], "PATH=", 5) == 0)
                path_env = r->f[0] + 5;
        }
    }
    argv[na] = NULL;
    envp[ne] = NULL;
    if (na == 0) {
        errno = 0;
        die("no process args");
    }
    /* runc's wording, which docker's users and tools match on */
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, envp);
        int e = errno;
        errno = 0;
        if (e == ENOENT)
            die("exec: \"%s\": stat %s: no such file or directory", argv[0], argv[0]);
        if (e == EACCES)
            die("exec: \"%s\": permission denied", argv[0]);
        errno = e;
        die("exec: \"%s\"", argv[0]);
    }
    int saw_eacces = 0;
    char full[4096];
    for (const char *p = path_env; *p;) {
        const char *end = strchrnul(p, ':');
        int len = (int)(end - p);
        snprintf(full, sizeof(full), "%.*s/%s", len ? len : 1, len ? p : ".", argv[0]);
        execve(full, argv, envp);
        if (errno == EACCES)
            saw_eacces = 1;
        p = *end ? end + 1 : end;
    }
    errno = 0;
    if (saw_eacces)
        die("exec: \"%s\": permission denied", argv[0]);
    die("exec: \"%s\": executable file not found in $PATH", argv[0]);
}

/* --- hooks that run inside the container's namespaces --------------------- */

static pid_t host_pid; /* init's pid as the runtime sees it, sent with "go" */

/* Runs every hook of a phase ("hook PHASE PATH TIMEOUT", then its "hookarg" and
 * "hookenv" records) with the container state on stdin, as the runtime's own
 * hooks get it. createContainer runs before pivot_root (path resolved on the
 * host), startContainer after start, before the user's process (path resolved
 * in the container). A failing hook fails the container. */
static void run_hooks(const char *phase, const char *status)
{
    const struct plan_record *tpl = find("hookstate");
    for (int i = 0; i < plan.nrecords; i++) {
        const struct plan_record *h = &plan.records[i];
        if (!is(h, "hook") || h->nfields < 3 || strcmp(h->f[0], phase) != 0)
            continue;
        char *argv[64], *envp[64];
        int na = 0, ne = 0;
        for (int j = i + 1; j < plan.nrecords; j++) {
            const struct plan_record *x = &plan.records[j];
            if (is(x, "hookarg") && na < 63)
                argv[na++] = x->f[0];
            else if (is(x, "hookenv") && ne < 63)
                envp[ne++] = x->f[0];
            else
                break;
        }
        if (na == 0)
            argv[na++] = h->f[1];
        argv[na] = NULL;
        envp[ne] = NULL;
        int in[2];
        if (pipe2(in, O_CLOEXEC) < 0)
            die("pipe for %s hook", phase);
        pid_t pid = fork();
        if (pid < 0)
            die("fork %s hook", phase);
        if (pid == 0) {
            dup2(in[0], 0);
            execve(h->f[1], argv, envp);
            _exit(127);
        }
        close(in[0]);
        if (tpl && tpl->nfields >= 2) {
            char state[8192];
            int n = snprintf(state, sizeof(state), "%s\"status\":\"%s\",\"pid\":%d%s", tpl->f[0], status, host_pid, tpl->f[1]);
            if (n > 0 && write(in[1], state, (size_t)n) < 0) {
                /* a hook need not read its stdin */
            }
        }
        close(in[1]);
        long timeout_ms = (long)num(h->f[2]) * 1000;
        int st = 0;
        for (long waited = 0;; waited += 5) {
            pid_t w = waitpid(pid, &st, WNOHANG);
            if (w == pid)
                break;
            if (timeout_ms > 0 && waited >= timeout_ms) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                errno = 0;
                die("%s hook %s timed out after %s s", phase, h->f[1], h->f[2]);
            }
            usleep(5000);
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            errno = 0;
            die("%s hook %s failed (status 0x%x)", phase, h->f[1], st);
        }
    }
}

/* --- the container's first process -------------------------------------- */

struct preloaded {
    char *bpf;
    size_t bpf_len;
    unsigned bpf_flags;
    int fifo_fd;
    int console_fd;
};

static void child_main(unsigned long clone_flags, struct preloaded *pre)
{
    in_child = 1;
    char go[32];
    ssize_t gn = read(sync_fd, go, sizeof(go) - 1);
    if (gn < 1 || go[0] != 'g')
        _exit(1); /* the runtime gave up: nothing to report to */
    go[gn] = 0;
    host_pid = atoi(go + 1);

    /* In a new user namespace the maps are written now: become its root, or
     * file creation runs with an unmapped fsuid (EOVERFLOW). */
    if ((clone_flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
        die("become root in the user namespace");
    if (find("cgroupns") && unshare(CLONE_NEWCGROUP) < 0)
        die("unshare cgroup namespace");
    if (setsid() < 0 && !find("setns"))
        die("setsid");

    const struct plan_record *rootfs = find("rootfs");
    int new_mnt = (clone_flags & CLONE_NEWNS) != 0;
    if (rootfs) {
        need(rootfs, 1);
        if (new_mnt) {
            const struct plan_record *rp = find("rootprop");
            unsigned long prop = rp ? (unsigned long)num(rp->f[0]) : (MS_SLAVE | MS_REC);
            if (mount(NULL, "/", NULL, prop, NULL) < 0)
                die("set propagation of /");
            const struct plan_record *ov = find("overlay");
            if (ov) {
                need(ov, 3);
                char data[8192];
                snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s", ov->f[0], ov->f[1], ov->f[2]);
                if (mount("overlay", rootfs->f[0], "overlay", 0, data) < 0)
                    die("mount overlay on %s", rootfs->f[0]);
            }
            /* pivot_root needs the new root to be a mount point. */
            if (mount(rootfs->f[0], rootfs->f[0], NULL, MS_BIND | MS_REC, NULL) < 0)
                die("bind rootfs %s", rootfs->f[0]);
        }
        int rootfd = open(rootfs->f[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            die("open rootfs %s", rootfs->f[0]);
        for (int i = 0; i < plan.nrecords; i++) {
            const struct plan_record *r = &plan.records[i];
            if (is(r, "mount"))
                do_mount(rootfd, r);
            else if (is(r, "mknod"))
                do_mknod(rootfd, r);
            else if (is(r, "symlink"))
                do_symlink(rootfd, r);
        }
        close(rootfd);
        run_hooks("createContainer", "created");
        pivot_into(rootfs->f[0], new_mnt);
    }

    for (int i = 0; i < plan.nrecords; i++) {
        const struct plan_record *r = &plan.records[i];
        if (is(r, "sysctl")) {
            need(r, 2);
            write_file(r->f[0], r->f[1]);
        }
    }
    if (pre->console_fd >= 0)
        setup_terminal(pre->console_fd, rootfs && new_mnt);
    for (int i = 0; i < plan.nrecords; i++) {
        const struct plan_record *r = &plan.records[i];
        if (is(r, "mask"))
            mask_path(r->f[0]);
        else if (is(r, "ro"))
            readonly_path(r->f[0]);
    }
    if (find("rootro"))
        remount_root_readonly();
    const struct plan_record *fp = find("rootpropfinal");
    if (fp && mount(NULL, "/", NULL, (unsigned long)num(fp->f[0]), NULL) < 0)
        die("set final propagation of /");

    const struct plan_record *r;
    if ((r = find("hostname")) && sethostname(r->f[0], strlen(r->f[0])) < 0)
        die("sethostname %s", r->f[0]);
    if ((r = find("domainname")) && setdomainname(r->f[0], strlen(r->f[0])) < 0)
        die("setdomainname %s", r->f[0]);
    if (find("loup"))
        loopback_up();
    if ((r = find("oom")))
        write_file("/proc/self/oom_score_adj", r->f[0]);
    for (int i = 0; i < plan.nrecords; i++) {
        r = &plan.records[i];
        if (is(r, "rlimit")) {
            need(r, 3);
            struct rlimit rl = {.rlim_cur = (rlim_t)num(r->f[1]), .rlim_max = (rlim_t)num(r->f[2])};
            if (setrlimit((int)num(r->f[0]), &rl) < 0)
                die("setrlimit %s", r->f[0]);
        }
    }

    int nnp = find("nnp") != NULL;
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
     * while we still have it (the profile allows what follows). With it,
     * load as late as possible so the filter sees only execve. */
    if (pre->bpf && !nnp)
        load_seccomp(pre->bpf, pre->bpf_len, pre->bpf_flags);

    const struct plan_record *caps = find("caps"), *user = find("user");
    if (caps)
        drop_bounding(caps);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        die("keepcaps");
    if (user)
        switch_user(user);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
        die("keepcaps off");
    if (caps)
        set_caps(caps);
    if ((r = find("umask")))
        umask((mode_t)num(r->f[0]));
    if ((r = find("cwd")) && chdir(r->f[0]) < 0)
        die("chdir to cwd %s", r->f[0]);

    report("ready");
    if (pre->fifo_fd >= 0) {
        /* Blocks until `start` opens the fifo for reading (the create/start split). */
        char p[64];
        fdpath(pre->fifo_fd, p, sizeof(p));
        int w = open(p, O_WRONLY | O_CLOEXEC);
        if (w < 0)
            die("open exec fifo");
        if (write(w, "0", 1) != 1)
            die("write exec fifo");
        close(w);
        close(pre->fifo_fd);
        /* The parent is gone by now: later failures go to the container's stderr. */
        sync_fd = 2;
    }
    run_hooks("startContainer", "running");
    if ((r = find("selinux"))) {
        /* The label the kernel gives the process at execve (sVirt). */
        int fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, r->f[0], strlen(r->f[0])) < 0)
            die("set SELinux exec label %s", r->f[0]);
        close(fd);
    }
    if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        die("no_new_privs");
    if (pre->bpf && nnp)
        load_seccomp(pre->bpf, pre->bpf_len, pre->bpf_flags);
    exec_process();
}

/* --- the helper's own process -------------------------------------------- */

static pid_t child_pid;

static void forward_signal(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void reset_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

static int read_line(int fd, char *buf, size_t n)
{
    size_t i = 0;
    while (i + 1 < n) {
        ssize_t r = read(fd, buf + i, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (buf[i] == '\n')
            break;
        i++;
    }
    buf[i] = 0;
    return (int)i;
}

static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0)
        die("stat %s", path);
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t r = read(fd, buf, (size_t)st.st_size);
    if (r != st.st_size)
        die("read %s", path);
    close(fd);
    *len = (size_t)r;
    return buf;
}

static int connect_unix(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un {
        sa_family_t sun_family;
        char sun_path[108];
    } addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof(addr)) < 0)
        die("connect console socket %s", path);
    return s;
}

int main(void)
{
    reset_signals();
    /* fds the runtime did not pass on purpose must not reach the container. */
    syscall(SYS_close_range, REPORT_FD + 1, ~0U, 0);

    char err[512];
    if (plan_read(PLAN_FD, &plan, err, sizeof(err)) < 0) {
        errno = 0;
        die("%s", err);
    }
    close(PLAN_FD);

    /* Everything that names a host path is opened before joining namespaces. */
    struct preloaded pre = {.fifo_fd = -1, .console_fd = -1};
    const struct plan_record *r;
    if ((r = find("seccomp"))) {
        need(r, 3);
        pre.bpf_flags = (unsigned)num(r->f[0]);
        pre.bpf = slurp(r->f[1], &pre.bpf_len);
        size_t skip = (size_t)num(r->f[2]); /* a header before the program */
        if (skip > pre.bpf_len || (pre.bpf_len - skip) % sizeof(struct sock_filter) != 0) {
            errno = 0;
            die("seccomp program %s: bad size", r->f[1]);
        }
        pre.bpf += skip;
        pre.bpf_len -= skip;
    }
    if ((r = find("fifo")) && (pre.fifo_fd = open(r->f[0], O_PATH | O_CLOEXEC)) < 0)
        die("open exec fifo %s", r->f[0]);
    if ((r = find("consolesock")))
        pre.console_fd = connect_unix(r->f[0]);

    join_namespaces();

    unsigned long flags = 0;
    if ((r = find("clone")))
        flags = (unsigned long)num(r->f[0]);
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
        die("socketpair");

    /* A raw clone returns like fork; the child starts in the new namespaces
     * (as pid 1 of a new pid namespace, so /proc mounts show its view). */
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
    if (pid < 0)
        die("clone with namespace flags 0x%lx", flags);
    if (pid == 0) {
        close(sp[0]);
        close(REPORT_FD);
        sync_fd = sp[1];
        child_main(flags, &pre);
    }
    close(sp[1]);
    child_pid = pid;
    if (pre.console_fd >= 0)
        close(pre.console_fd);
    if (pre.fifo_fd >= 0)
        close(pre.fifo_fd);

    if (flags & CLONE_NEWUSER)
        write_id_maps(pid);
    report("pid %d", pid);

    char line[4096];
    if (read_line(REPORT_FD, line, sizeof(line)) <= 0 || strcmp(line, "go") != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        _exit(1);
    }
    char gomsg[32];
    int gl = snprintf(gomsg, sizeof(gomsg), "g%d", pid);
    if (write(sp[0], gomsg, (size_t)gl) != gl)
        die("signal container init");

    if (read_line(sp[0], line, sizeof(line)) <= 0) {
        int st;
        waitpid(pid, &st, 0);
        errno = 0;
        die("container init exited during setup (status 0x%x)", st);
    }
    if (strncmp(line, "error ", 6) == 0) {
        waitpid(pid, NULL, 0);
        report("%s", line);
        _exit(1);
    }
    if (!find("wait")) {
        report("ready");
        _exit(0);
    }
    /* Foreground (run, exec): the socket closes on successful execve (CLOEXEC);
     * anything read before that is the exec failure. */
    int n = read_line(sp[0], line, sizeof(line));
    if (n > 0 && strncmp(line, "error ", 6) == 0) {
        waitpid(pid, NULL, 0);
        report("%s", line);
        _exit(1);
    }
    report("ready");
    if (find("detach"))
        _exit(0);

    struct sigaction sa = {.sa_handler = forward_signal};
    sigemptyset(&sa.sa_mask);
    int fwd[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
        sigaction(fwd[i], &sa, NULL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    report("exit %d", code);
    _exit(code);
}
