/* ccshim: the per-container monitor (rule 2: containers outlive the agent).
 *
 * It detaches from the agent (double fork, own session), becomes the child
 * subreaper, runs `<runtime> create` (or `exec --detach`) with pipes as the
 * container's stdio, and then, outside the agent's lifetime: writes every
 * stdout/stderr line to the container's log (CRI format, size-rotated), reaps
 * the container and records its exit status atomically. It is a few hundred
 * KiB of static C, not a .NET process per container.
 *
 * fd 3 on entry is the agent's sync pipe: "shim N", "pid N" or "error MSG".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYNC_FD 3
#define LINE_MAX_BYTES 16384

struct opts {
    const char *runtime, *root, *bundle, *id, *pid_file, *exit_file, *log, *oom_file, *exec_process, *runtime_log;
    long long log_max_size;
    int log_max_files;
};

static struct opts o = {.log_max_size = 10 * 1024 * 1024, .log_max_files = 3};
static int sync_open = 1;

static void sync_msg(const char *fmt, ...)
{
    if (!sync_open)
        return;
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    if (write(SYNC_FD, buf, (size_t)n) < 0) {
        /* the agent went away: keep monitoring regardless */
    }
}

__attribute__((noreturn)) static void fail(const char *what)
{
    sync_msg("error %s: %s", what, strerror(errno));
    _exit(1);
}

/* --- log file ------------------------------------------------------------ */

static int log_fd = -1;
static long long log_size;

static void log_open(void)
{
    log_fd = open(o.log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    struct stat st;
    log_size = (log_fd >= 0 && fstat(log_fd, &st) == 0) ? st.st_size : 0;
}

static void log_rotate(void)
{
    char from[4096], to[4096];
    close(log_fd);
    for (int i = o.log_max_files - 1; i >= 1; i--) {
        snprintf(from, sizeof(from), i == 1 ? "%s" : "%s.%d", o.log, i - 1);
        snprintf(to, sizeof(to), "%s.%d", o.log, i);
        rename(from, to);
    }
    if (o.log_max_files <= 1)
        unlink(o.log);
    log_open();
}

/* One CRI log line: "<RFC3339Nano UTC> <stream> <F|P> <text>\n". P marks a
 * partial line (over LINE_MAX_BYTES, or cut by the container's exit). */
static void log_line(const char *stream, const char *data, size_t len, int full)
{
    if (!o.log)
        return;
    if (log_fd < 0)
        log_open();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char head[96];
    int hn = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s %c ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, stream, full ? 'F' : 'P');
    if (o.log_max_size > 0 && log_size > 0 && log_size + hn + (long long)len + 1 > o.log_max_size)
        log_rotate();
    struct iovec v[3] = {{head, (size_t)hn}, {(void *)data, len}, {"\n", 1}};
    ssize_t w = writev(log_fd, v, 3);
    if (w > 0)
        log_size += w;
}

struct stream {
    const char *name;
    int fd;
    char buf[LINE_MAX_BYTES];
    size_t len;
};

static void stream_flush_lines(struct stream *s, int at_eof)
{
    size_t start = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (s->buf[i] == '\n') {
            log_line(s->name, s->buf + start, i - start, 1);
            start = i + 1;
        }
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
    if (s->len == sizeof(s->buf) || (at_eof && s->len > 0)) {
        log_line(s->name, s->buf, s->len, 0);
        s->len = 0;
    }
}

static int stream_read(struct stream *s)
{
    ssize_t r = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (r <= 0) {
        stream_flush_lines(s, 1);
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    s->len += (size_t)r;
    stream_flush_lines(s, 0);
    return 1;
}

/* --- exit record ---------------------------------------------------------- */

static long long oom_kills(void)
{
    if (!o.oom_file)
        return 0;
    FILE *f = fopen(o.oom_file, "re");
    if (!f)
        return 0;
    char key[64];
    long long v, found = 0;
    while (fscanf(f, "%63s %lld", key, &v) == 2)
        if (strcmp(key, "oom_kill") == 0)
            found = v;
    fclose(f);
    return found;
}

/* temp + fsync + rename: a reader sees the whole record or none (rule 4). */
static void write_exit_file(int status)
{
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", o.exit_file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    dprintf(fd, "{\"exitCode\":%d,\"signal\":%d,\"oomKillCount\":%lld,\"finishedAtUnixNs\":%lld}\n", code, sig,
            oom_kills(), (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    fsync(fd);
    close(fd);
    rename(tmp, o.exit_file);
}

static int read_pid_file(const char *path)
{
    FILE *f = fopen(path, "re");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

static void report_runtime_failure(int err_fd, int status)
{
    char msg[3000] = "";
    size_t n = 0;
    if (o.runtime_log) {
        int fd = open(o.runtime_log, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t r = read(fd, msg, sizeof(msg) - 1);
            n = r > 0 ? (size_t)r : 0;
            close(fd);
        }
    }
    if (n == 0) {
        fcntl(err_fd, F_SETFL, O_NONBLOCK);
        ssize_t r = read(err_fd, msg, sizeof(msg) - 1);
        n = r > 0 ? (size_t)r : 0;
    }
    msg[n] = 0;
    for (size_t i = 0; i < n; i++)
        if (msg[i] == '\n')
            msg[i] = ' ';
    while (n > 0 && msg[n - 1] == ' ')
        msg[--n] = 0;
    sync_msg("error %s", n ? msg : (WIFEXITED(status) ? "runtime failed" : "runtime killed by a signal"));
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--runtime")) o.runtime = v;
        else if (!strcmp(k, "--root")) o.root = v;
        else if (!strcmp(k, "--bundle")) o.bundle = v;
        else if (!strcmp(k, "--id")) o.id = v;
        else if (!strcmp(k, "--pid-file")) o.pid_file = v;
        else if (!strcmp(k, "--exit-file")) o.exit_file = v;
        else if (!strcmp(k, "--log")) o.log = v;
        else if (!strcmp(k, "--log-max-size")) o.log_max_size = atoll(v);
        else if (!strcmp(k, "--log-max-files")) o.log_max_files = atoi(v);
        else if (!strcmp(k, "--oom-file")) o.oom_file = v;
        else if (!strcmp(k, "--exec-process")) o.exec_process = v;
        else if (!strcmp(k, "--runtime-log")) o.runtime_log = v;
        else {
            fprintf(stderr, "ccshim: unknown option %s\n", k);
            return 2;
        }
    }
    if (!o.runtime || !o.id || !o.pid_file || !o.exit_file || (!o.bundle && !o.exec_process)) {
        fprintf(stderr, "ccshim: --runtime, --id, --pid-file, --exit-file and --bundle or --exec-process are required\n");
        return 2;
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
    syscall(SYS_close_range, SYNC_FD + 1, ~0U, 0);

    /* Double fork: the agent reaps the first child at once and the monitor is
     * nobody's child but init's (or a subreaper's), so it survives the agent. */
    pid_t p = fork();
    if (p < 0)
        fail("fork");
    if (p > 0)
        _exit(0);
    setsid();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
        fail("set child subreaper");
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sync_msg("shim %d", getpid());

    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        fail("pipe");
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        fail("signalfd");

    pid_t rt = fork();
    if (rt < 0)
        fail("fork runtime");
    if (rt == 0) {
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(SYNC_FD);
        const char *args[20];
        int n = 0;
        args[n++] = o.runtime;
        if (o.root) {
            args[n++] = "--root";
            args[n++] = o.root;
        }
        if (o.runtime_log) {
            args[n++] = "--log";
            args[n++] = o.runtime_log;
        }
        if (o.exec_process) {
            args[n++] = "exec";
            args[n++] = "--process";
            args[n++] = o.exec_process;
            args[n++] = "--detach";
        } else {
            args[n++] = "create";
            args[n++] = "--bundle";
            args[n++] = o.bundle;
        }
        args[n++] = "--pid-file";
        args[n++] = o.pid_file;
        args[n++] = o.id;
        args[n] = NULL;
        execv(o.runtime, (char **)args);
        fprintf(stderr, "exec runtime %s: %s\n", o.runtime, strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);

    int st;
    while (waitpid(rt, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        report_runtime_failure(err[0], st);
        _exit(1);
    }
    pid_t cpid = read_pid_file(o.pid_file);
    if (cpid <= 0) {
        sync_msg("error runtime wrote no pid to %s", o.pid_file);
        _exit(1);
    }
    sync_msg("pid %d", cpid);
    close(SYNC_FD);
    sync_open = 0;

    static struct stream so = {.name = "stdout"}, se = {.name = "stderr"};
    so.fd = out[0];
    se.fd = err[0];
    int exited = 0, status = 0;
    struct timespec exit_at = {0};
    for (;;) {
        struct pollfd pf[3] = {{.fd = so.fd, .events = POLLIN}, {.fd = se.fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
        int timeout = -1;
        if (exited) {
            /* Processes that escaped the container's death (exec'd daemons) may
             * hold the pipes; give them a moment, then stop waiting. */
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (now.tv_sec - exit_at.tv_sec) * 1000 + (now.tv_nsec - exit_at.tv_nsec) / 1000000;
            if ((so.fd < 0 && se.fd < 0) || ms >= 2000)
                break;
            timeout = (int)(2000 - ms);
        }
        int r = poll(pf, 3, timeout);
        if (r < 0 && errno == EINTR)
            continue;
        if (pf[0].revents)
            stream_read(&so);
        if (pf[1].revents)
            stream_read(&se);
        if (pf[2].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si))
                ;
            pid_t w;
            int ws;
            while ((w = waitpid(-1, &ws, WNOHANG)) > 0) {
                if (w == cpid && !exited) {
                    exited = 1;
                    status = ws;
                    clock_gettime(CLOCK_MONOTONIC, &exit_at);
                }
            }
        }
    }
    if (so.fd >= 0)
        stream_flush_lines(&so, 1);
    if (se.fd >= 0)
        stream_flush_lines(&se, 1);
    if (log_fd >= 0)
        fsync(log_fd);
    write_exit_file(status);
    return 0;
}
