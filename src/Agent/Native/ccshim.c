/* ccshim: the per-container monitor (rule 2: containers outlive the agent).
 *
 * It detaches from the agent (double fork, own session), becomes the child
 * subreaper, runs `<runtime> create` (or `exec --detach`) with pipes as the
 * container's stdio, and then, outside the agent's lifetime: writes every
 * stdout/stderr line to the container's log (CRI format, size-rotated), reaps
 * the container and records its exit status atomically. It is a few hundred
 * KiB of static C, not a .NET process per container.
 *
 * It also keeps the container's stdio for attach (as conmon's attach socket):
 * with --console-socket the container gets a terminal whose master arrives on
 * that socket (runc's protocol); with --open-stdin its stdin is a pipe the shim
 * holds. Clients connect to --attach-socket (SOCK_SEQPACKET). Every message the
 * shim sends is one byte stream id (1 stdout, 2 stderr) then the bytes read;
 * a client sends 'i'+bytes (stdin), 'c' (close stdin) or 'r'+"ROWS COLS"
 * (resize the terminal). The shim exits, closing every client, after the
 * container's output ended and its exit record is written.
 *
 * fd 3 on entry is the agent's sync pipe: "shim N" (the attach socket is
 * listening), "pid N" or "error MSG".
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
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYNC_FD 3
#define LINE_MAX_BYTES 16384
#define MAX_CLIENTS 16
#define MSG_MAX 16385 /* one kind byte + up to 16 KiB of input */

struct opts {
    const char *runtime, *root, *bundle, *id, *pid_file, *exit_file, *log, *oom_file, *exec_process, *runtime_log;
    const char *attach_socket, *console_socket;
    int open_stdin, wait_attach;
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

/* The sockets are the shim's own: gone with it, whichever way it ends. */
__attribute__((noreturn)) static void shim_exit(int code)
{
    if (o.attach_socket)
        unlink(o.attach_socket);
    if (o.console_socket)
        unlink(o.console_socket);
    _exit(code);
}

__attribute__((noreturn)) static void fail(const char *what)
{
    sync_msg("error %s: %s", what, strerror(errno));
    shim_exit(1);
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

/* Lines are gathered here and written once per read from the container: a
 * write per line made a 5M-line burst cost 5M syscalls. */
static char log_out[256 * 1024];
static size_t log_out_len;

static void log_flush(void)
{
    size_t off = 0;
    while (off < log_out_len) {
        ssize_t w = write(log_fd, log_out + off, log_out_len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* a full disk loses this batch, as it lost single lines before */
        off += (size_t)w;
    }
    log_size += (long long)off;
    log_out_len = 0;
}

/* One CRI log line: "<RFC3339Nano UTC> <stream> <F|P> <text>\n". P marks a
 * partial line (over LINE_MAX_BYTES, or cut by the container's exit). */
static void log_line(const char *stream, const char *data, size_t len, int full)
{
    if (!o.log)
        return;
    if (log_fd < 0)
        log_open();
    static time_t day_sec = -1;
    static char day[80]; /* "YYYY-MM-DDTHH:MM:SS", redone when the second changes */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != day_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(day, sizeof(day), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        day_sec = ts.tv_sec;
    }
    char head[96];
    int hn = snprintf(head, sizeof(head), "%s.%09ldZ %s %c ", day, ts.tv_nsec, stream, full ? 'F' : 'P');
    size_t entry = (size_t)hn + len + 1;
    if (o.log_max_size > 0 && log_size + (long long)log_out_len > 0 &&
        log_size + (long long)(log_out_len + entry) > o.log_max_size) {
        log_flush();
        log_rotate();
    }
    if (log_out_len + entry > sizeof(log_out))
        log_flush();
    memcpy(log_out + log_out_len, head, (size_t)hn);
    memcpy(log_out + log_out_len + hn, data, len);
    log_out[log_out_len + hn + len] = '\n';
    log_out_len += entry;
}

/* --- attach clients ------------------------------------------------------ */

static int listen_fd = -1, clients[MAX_CLIENTS], nclients;
static int stdin_fd = -1, master_fd = -1; /* stdin_fd: the pipe's write end, or a dup of the master */
static char pending[MSG_MAX];              /* input not yet taken by the container */
static size_t pending_len, pending_off;

static int listen_unix(const char *path, int type, int backlog)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(a.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(path, 0600) < 0 || listen(fd, backlog) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void client_add(void)
{
    int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return;
    if (nclients == MAX_CLIENTS) {
        close(c);
        return;
    }
    /* A client that stops reading holds the container's output back (as a
     * docker attach does), but not for ever: after 10 s it is dropped. */
    struct timeval tv = {.tv_sec = 10};
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    clients[nclients++] = c;
}

static void client_drop(int i)
{
    close(clients[i]);
    clients[i] = clients[--nclients];
}

static void broadcast(int stream_id, const char *data, size_t len)
{
    char id = (char)stream_id;
    struct iovec v[2] = {{&id, 1}, {(void *)data, len}};
    struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
    for (int i = nclients - 1; i >= 0; i--)
        if (sendmsg(clients[i], &m, MSG_NOSIGNAL) < 0)
            client_drop(i);
}

static void stdin_close(void)
{
    if (stdin_fd >= 0)
        close(stdin_fd);
    stdin_fd = -1;
    pending_len = pending_off = 0;
}

/* Hands pending input to the container without ever blocking the shim. */
static void stdin_flush(void)
{
    while (pending_off < pending_len) {
        ssize_t w = write(stdin_fd, pending + pending_off, pending_len - pending_off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0) { /* the reader is gone: drop the input */
            pending_len = pending_off = 0;
            return;
        }
        pending_off += (size_t)w;
    }
    pending_len = pending_off = 0;
}

static void client_message(int i)
{
    static char msg[MSG_MAX];
    ssize_t r = recv(clients[i], msg, sizeof(msg), MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (r <= 0) {
        client_drop(i);
        return;
    }
    if (msg[0] == 'i' && stdin_fd >= 0 && r > 1) {
        memcpy(pending, msg + 1, (size_t)r - 1);
        pending_len = (size_t)r - 1;
        pending_off = 0;
        stdin_flush();
    } else if (msg[0] == 'c' && master_fd < 0) {
        stdin_close(); /* a terminal's input is never closed: that would hang it up */
    } else if (msg[0] == 'r' && master_fd >= 0) {
        unsigned rows = 0, cols = 0;
        msg[r < MSG_MAX ? r : MSG_MAX - 1] = 0;
        if (sscanf(msg + 1, "%u %u", &rows, &cols) == 2) {
            struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
            ioctl(master_fd, TIOCSWINSZ, &ws);
        }
    }
}

/* runc's console socket protocol: init connects and sends the pty master with
 * SCM_RIGHTS. The runtime has exited by now, so the connection is queued. */
static int receive_master(int lfd)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return -1;
    int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
        return -1;
    char data[256], ctl[CMSG_SPACE(sizeof(int))];
    struct iovec v = {data, sizeof(data)};
    struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    ssize_t r = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
    close(c);
    struct cmsghdr *cm = r < 0 ? NULL : CMSG_FIRSTHDR(&m);
    if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
    return fd;
}

/* --- output streams -------------------------------------------------------- */

struct stream {
    const char *name;
    int id;
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
    if (log_out_len > 0)
        log_flush();
}

static int stream_read(struct stream *s)
{
    ssize_t r = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return 1;
    if (r <= 0) { /* EOF, or EIO from a terminal master once the container closed it */
        stream_flush_lines(s, 1);
        close(s->fd);
        s->fd = -1;
        return 0;
    }
    broadcast(s->id, s->buf + s->len, (size_t)r);
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
        else if (!strcmp(k, "--attach-socket")) o.attach_socket = v;
        else if (!strcmp(k, "--console-socket")) o.console_socket = v;
        else if (!strcmp(k, "--open-stdin")) o.open_stdin = atoi(v);
        else if (!strcmp(k, "--wait-attach")) o.wait_attach = atoi(v);
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
    if (o.attach_socket && (listen_fd = listen_unix(o.attach_socket, SOCK_SEQPACKET, MAX_CLIENTS)) < 0)
        fail("attach socket");
    int console_fd = -1;
    if (o.console_socket && (console_fd = listen_unix(o.console_socket, SOCK_STREAM, 1)) < 0)
        fail("console socket");
    sync_msg("shim %d", getpid());
    if (o.wait_attach && listen_fd >= 0) {
        /* exec: the process runs as soon as the runtime starts it, so the
         * agent's client comes first; an agent gone meanwhile is not waited for. */
        struct pollfd pf = {.fd = listen_fd, .events = POLLIN};
        if (poll(&pf, 1, 30000) > 0)
            client_add();
    }

    int out[2], err[2], in[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || (o.open_stdin && !o.console_socket && pipe2(in, O_CLOEXEC) < 0))
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
        dup2(in[0] >= 0 ? in[0] : devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(SYNC_FD);
        const char *args[24];
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
        if (o.console_socket) {
            args[n++] = "--console-socket";
            args[n++] = o.console_socket;
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
    if (in[0] >= 0) {
        close(in[0]);
        stdin_fd = in[1];
    }

    int st;
    while (waitpid(rt, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        report_runtime_failure(err[0], st);
        shim_exit(1);
    }
    pid_t cpid = read_pid_file(o.pid_file);
    if (cpid <= 0) {
        sync_msg("error runtime wrote no pid to %s", o.pid_file);
        shim_exit(1);
    }
    if (console_fd >= 0) {
        master_fd = receive_master(console_fd);
        close(console_fd);
        unlink(o.console_socket);
        o.console_socket = NULL;
        if (master_fd < 0) {
            kill(cpid, SIGKILL);
            sync_msg("error no terminal arrived on the console socket");
            shim_exit(1);
        }
        fcntl(master_fd, F_SETFL, O_NONBLOCK);
        stdin_fd = o.open_stdin ? dup(master_fd) : -1;
    }
    if (stdin_fd >= 0)
        fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
    sync_msg("pid %d", cpid);
    close(SYNC_FD);
    sync_open = 0;

    static struct stream so = {.name = "stdout", .id = 1}, se = {.name = "stderr", .id = 2}, tty = {.name = "stdout", .id = 1};
    so.fd = out[0];
    se.fd = err[0];
    tty.fd = master_fd;
    int exited = 0, status = 0;
    struct timespec exit_at = {0};
    for (;;) {
        /* fixed slots first, then one per client */
        struct pollfd pf[6 + MAX_CLIENTS] = {
            {.fd = listen_fd, .events = POLLIN}, {.fd = so.fd, .events = POLLIN}, {.fd = se.fd, .events = POLLIN},
            {.fd = tty.fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN},
            {.fd = pending_len ? stdin_fd : -1, .events = POLLOUT},
        };
        int nc = nclients;
        for (int i = 0; i < nc; i++)
            pf[6 + i] = (struct pollfd){.fd = pending_len ? -1 : clients[i], .events = POLLIN};
        int timeout = -1;
        if (exited) {
            /* Processes that escaped the container's death (exec'd daemons) may
             * hold the pipes; give them a moment, then stop waiting. */
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (now.tv_sec - exit_at.tv_sec) * 1000 + (now.tv_nsec - exit_at.tv_nsec) / 1000000;
            if ((so.fd < 0 && se.fd < 0 && tty.fd < 0) || ms >= 2000)
                break;
            timeout = (int)(2000 - ms);
        }
        int r = poll(pf, (nfds_t)(6 + nc), timeout);
        if (r < 0 && errno == EINTR)
            continue;
        /* new clients before any output, so one that connected before the
         * container started misses nothing */
        if (pf[0].revents)
            client_add();
        if (pf[5].revents)
            stdin_flush();
        for (int i = nc - 1; i >= 0; i--)
            if (pf[6 + i].revents)
                client_message(i);
        if (pf[1].revents)
            stream_read(&so);
        if (pf[2].revents)
            stream_read(&se);
        if (pf[3].revents)
            stream_read(&tty);
        if (pf[4].revents) {
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
    if (tty.fd >= 0)
        stream_flush_lines(&tty, 1);
    if (log_fd >= 0)
        fsync(log_fd);
    /* The name goes before the record: once the record exists the agent may
     * start the container again, and the new monitor binds the same name. */
    if (o.attach_socket)
        unlink(o.attach_socket);
    o.attach_socket = NULL;
    /* the record exists before any client sees its stream end */
    write_exit_file(status);
    shim_exit(0);
}
