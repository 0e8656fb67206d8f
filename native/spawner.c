/*
 * spawner.c - starts podlab's commands on its behalf.
 *
 * Why it exists:
 *   Node starts a child by fork()ing itself, and a fork costs time in proportion to the parent's
 *   memory: podlab's process holds 120-200 MiB, so every `ip`, `nsenter`, CNI plugin or pause
 *   process cost 6-12 ms of podlab's one thread before it even ran (measured: 2 ms at 54 MiB,
 *   6.5 ms at 154 MiB, 20 ms at 354 MiB). This process is small, so its fork costs a fraction of
 *   a millisecond, and podlab's thread only writes a request and reads an answer.
 *
 * Contract (one instance per podlab process, on stdin/stdout; when stdin closes, it SIGKILLs the
 *   commands still running and the daemons not yet ready, then exits):
 *   Every message is a 32-bit length (native byte order) followed by that many bytes. Strings
 *   inside are a 32-bit length and the bytes.
 *   Request:  id, kind (0 run, 1 daemon), timeout ms (0: none), argc, argv..., envc, env...
 *             ("K=V"; the child's whole environment), stdin (run), log file (daemon, "" for
 *             /dev/null), ready line (daemon, "" for none), nsc, ns... (namespace files the
 *             child enters, in order, before it execs: what `nsenter` would do, without
 *             starting nsenter, a dynamically linked program that cost 1.8 ms a call).
 *   Answer:   id, status, value, pid, stdout, stderr.
 *     run:    status 0 exited (value = exit code), 1 killed by a signal (value = signal),
 *             2 timed out (killed with SIGKILL), 3 could not start (value = errno; stderr
 *             says what failed: entering namespace file X, or the exec).
 *     daemon: started in a session of its own, stdin /dev/null. With a ready line, its stdout
 *             and stderr are pipes until it prints that line: status 0 once it has, 4 if it
 *             exited first (value = exit code, stderr = what it said), 2 if it did not in time
 *             (it is left running; the caller decides). Without, both go to the log file and
 *             status 0 follows the exec. 3: could not start (value = errno).
 *   A malformed request ends the process (exit 2): the caller's side is broken, not a command.
 *
 * Built-in command: a run whose argv[0] is "@sysctl" (argv: "@sysctl" key=value...) is not
 *   exec'd: the child, once in its namespaces, writes each value to /proc/sys/<key, dots as
 *   slashes> itself, as `sysctl -qw key=value...` would (a network namespace's net.* files are
 *   the ones of the namespace the writer is in). Exit 0, or 1 with "sysctl: cannot set KEY:
 *   <strerror>" on stderr at the first that fails. Starting sysctl cost 2-3 ms of CPU a call.
 *   Likewise "@umount-lazy" (argv: "@umount-lazy" path...) detaches each mount as `umount -l
 *   path` would (umount2 MNT_DETACH): exit 0, or 1 with "umount: PATH: <strerror>" on stderr at
 *   the first that fails. And "@mount-tmpfs" (argv: "@mount-tmpfs" options source path) mounts a
 *   tmpfs as `mount -t tmpfs -o options source path` would: options is a comma list of nosuid,
 *   nodev, noexec and key=value data (mode=0755); exit 0, or 1 with "mount: PATH: <strerror>" on
 *   stderr. Starting mount and umount cost about 2.5 ms of CPU each (perf stat).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 256
#define MAX_OUTPUT (16 * 1024 * 1024)

/* The "@sysctl" built-in (see the contract): 0 when every key=value was written, else 1. */
static int write_sysctls(char **kv)
{
    for (; *kv; kv++) {
        const char *eq = strchr(*kv, '=');
        char path[512];
        int n = eq ? snprintf(path, sizeof path, "/proc/sys/%.*s", (int)(eq - *kv), *kv) : -1;
        if (n < 0 || n >= (int)sizeof path) {
            dprintf(2, "sysctl: not key=value: %s\n", *kv);
            return 1;
        }
        for (char *c = path + strlen("/proc/sys/"); *c; c++)
            if (*c == '.')
                *c = '/';
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(eq + 1);
        if (fd < 0 || write(fd, eq + 1, len) != (ssize_t)len) {
            dprintf(2, "sysctl: cannot set %.*s: %s\n", (int)(eq - *kv), *kv, strerror(errno));
            return 1;
        }
        close(fd);
    }
    return 0;
}

/* The "@umount-lazy" built-in (see the contract): 0 when every path was detached, else 1. */
static int umount_lazy(char **paths)
{
    for (; *paths; paths++)
        if (umount2(*paths, MNT_DETACH) != 0) {
            dprintf(2, "umount: %s: %s\n", *paths, strerror(errno));
            return 1;
        }
    return 0;
}

/* The "@mount-tmpfs" built-in (see the contract): 0 when mounted, else 1. */
static int mount_tmpfs(char **argv)
{
    if (!argv[0] || !argv[1] || !argv[2] || argv[3]) {
        dprintf(2, "mount: @mount-tmpfs takes options, source and path\n");
        return 1;
    }
    unsigned long flags = 0;
    char data[256] = "";
    char opts[256];
    if (strlen(argv[0]) >= sizeof opts) {
        dprintf(2, "mount: options too long\n");
        return 1;
    }
    strcpy(opts, argv[0]);
    for (char *save = NULL, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strcmp(o, "nosuid") == 0)
            flags |= MS_NOSUID;
        else if (strcmp(o, "nodev") == 0)
            flags |= MS_NODEV;
        else if (strcmp(o, "noexec") == 0)
            flags |= MS_NOEXEC;
        else if (strchr(o, '='))
            snprintf(data + strlen(data), sizeof data - strlen(data), "%s%s", *data ? "," : "", o);
        else {
            dprintf(2, "mount: unknown option %s\n", o);
            return 1;
        }
    }
    if (mount(argv[1], argv[2], "tmpfs", flags, data) != 0) {
        dprintf(2, "mount: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    return 0;
}

struct bytes {
    char *p;
    size_t len, cap;
};

struct job {
    int used;
    uint32_t id, kind;
    pid_t pid;
    int out, err, in; /* our pipe ends, -1 when closed */
    struct bytes stdout_b, stderr_b;
    char *input;      /* stdin for a run, owned */
    size_t input_len, input_off;
    char *ready;      /* daemon ready line, or NULL */
    long long deadline;
    int exited, status_kind, value, timed_out;
};

static struct job jobs[MAX_JOBS];
static int sigpipe_fds[2];

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what)
{
    fprintf(stderr, "spawner: %s\n", what);
    exit(2);
}

static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            die("out of memory");
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_u32(struct bytes *b, uint32_t v) { put(b, &v, 4); }

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pf = {.fd = fd, .events = POLLOUT};
                poll(&pf, 1, -1);
                continue;
            }
            exit(0); /* podlab went away */
        }
        p += w;
        n -= (size_t)w;
    }
}

static void answer(uint32_t id, int status, int value, pid_t pid, const struct bytes *out, const struct bytes *err)
{
    struct bytes b = {0};
    put_u32(&b, 0);
    put_u32(&b, id);
    put_u32(&b, (uint32_t)status);
    put_u32(&b, (uint32_t)value);
    put_u32(&b, (uint32_t)pid);
    put_u32(&b, out ? (uint32_t)out->len : 0);
    if (out && out->len)
        put(&b, out->p, out->len);
    put_u32(&b, err ? (uint32_t)err->len : 0);
    if (err && err->len)
        put(&b, err->p, err->len);
    uint32_t len = (uint32_t)(b.len - 4);
    memcpy(b.p, &len, 4);
    write_all(STDOUT_FILENO, b.p, b.len);
    free(b.p);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void finish(struct job *j, int status, int value)
{
    answer(j->id, status, value, j->pid, &j->stdout_b, &j->stderr_b);
    close_fd(&j->out);
    close_fd(&j->err);
    close_fd(&j->in);
    free(j->stdout_b.p);
    free(j->stderr_b.p);
    free(j->input);
    free(j->ready);
    memset(j, 0, sizeof *j);
    j->out = j->err = j->in = -1;
}

/* ------------------------------------------------------------ requests */

struct reader {
    const char *p;
    size_t left;
};

static uint32_t rd_u32(struct reader *r)
{
    uint32_t v;
    if (r->left < 4)
        die("truncated request");
    memcpy(&v, r->p, 4);
    r->p += 4;
    r->left -= 4;
    return v;
}

/* A string, NUL-terminated in place of... a copy (requests are not NUL-separated). */
static char *rd_str(struct reader *r, size_t *len_out)
{
    uint32_t n = rd_u32(r);
    if (r->left < n)
        die("truncated string");
    char *s = malloc((size_t)n + 1);
    if (!s)
        die("out of memory");
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    r->left -= n;
    if (len_out)
        *len_out = n;
    return s;
}

static void start(char *request, size_t len)
{
    struct reader r = {request, len};
    struct job *j = NULL;
    for (int i = 0; i < MAX_JOBS && !j; i++)
        if (!jobs[i].used)
            j = &jobs[i];
    uint32_t id = rd_u32(&r), kind = rd_u32(&r), timeout = rd_u32(&r);
    uint32_t argc = rd_u32(&r);
    if (argc == 0 || argc > 100000)
        die("bad argc");
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    for (uint32_t i = 0; i < argc; i++)
        argv[i] = rd_str(&r, NULL);
    uint32_t envc = rd_u32(&r);
    if (envc > 100000)
        die("bad envc");
    char **envp = calloc((size_t)envc + 1, sizeof *envp);
    for (uint32_t i = 0; i < envc; i++)
        envp[i] = rd_str(&r, NULL);
    size_t input_len;
    char *input = rd_str(&r, &input_len);
    char *log = rd_str(&r, NULL);
    char *ready = rd_str(&r, NULL);
    uint32_t nsc = rd_u32(&r);
    if (nsc > 16)
        die("bad nsc");
    char *ns[16];
    for (uint32_t i = 0; i < nsc; i++)
        ns[i] = rd_str(&r, NULL);
    /* What the child reports when it cannot go on: errno, and the namespace file (index + 1) or 0 for the exec. */
    int why[2] = {0, 0};

    int out[2] = {-1, -1}, err[2] = {-1, -1}, in[2] = {-1, -1}, status[2] = {-1, -1};
    int piped = kind == 0 || ready[0];
    int fail = !j ? EAGAIN : 0;
    if (!fail && piped && (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)))
        fail = errno;
    if (!fail && kind == 0 && input_len && pipe2(in, O_CLOEXEC))
        fail = errno;
    if (!fail && pipe2(status, O_CLOEXEC))
        fail = errno;
    pid_t pid = fail ? -1 : fork();
    if (!fail && pid < 0)
        fail = errno;
    if (pid == 0) {
        /* The child: its own signal dispositions, its stdio, then exec. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (kind == 1)
            setsid();
        int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        int sink = devnull;
        if (!piped && log[0])
            sink = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (sink < 0)
            goto failed;
        dup2(in[0] >= 0 ? in[0] : devnull, 0);
        dup2(piped ? out[1] : sink, 1);
        dup2(piped ? err[1] : sink, 2);
        {
            /* All opened first: entering a mount namespace changes what the later paths name. */
            int fds[16];
            for (uint32_t i = 0; i < nsc; i++) {
                fds[i] = open(ns[i], O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                    why[1] = (int)i + 1;
                    goto failed;
                }
            }
            for (uint32_t i = 0; i < nsc; i++) {
                if (setns(fds[i], 0) != 0) {
                    why[1] = (int)i + 1;
                    goto failed;
                }
                close(fds[i]);
            }
        }
        if (kind == 0 && strcmp(argv[0], "@sysctl") == 0)
            _exit(write_sysctls(argv + 1));
        if (kind == 0 && strcmp(argv[0], "@umount-lazy") == 0)
            _exit(umount_lazy(argv + 1));
        if (kind == 0 && strcmp(argv[0], "@mount-tmpfs") == 0)
            _exit(mount_tmpfs(argv + 1));
        execvpe(argv[0], argv, envp);
    failed:
        why[0] = errno;
        if (write(status[1], why, sizeof why) < 0) { /* nothing left to tell */ }
        _exit(127);
    }
    close_fd(&out[1]);
    close_fd(&err[1]);
    close_fd(&in[0]);
    close_fd(&status[1]);
    if (!fail) {
        ssize_t n;
        do
            n = read(status[0], why, sizeof why);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)sizeof why) {
            fail = why[0];
            waitpid(pid, NULL, 0);
        } else {
            why[1] = 0;
        }
    }
    close_fd(&status[0]);
    char text[256];
    int n = 0;
    if (fail) {
        n = why[1] > 0 ? snprintf(text, sizeof text, "spawn: cannot enter namespace %.160s: %s", ns[why[1] - 1], strerror(fail))
                       : snprintf(text, sizeof text, "spawn: %s", strerror(fail));
        if (n >= (int)sizeof text)
            n = (int)sizeof text - 1;
    }
    for (uint32_t i = 0; i < nsc; i++)
        free(ns[i]);
    for (uint32_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    for (uint32_t i = 0; i < envc; i++)
        free(envp[i]);
    free(envp);
    free(log);

    if (fail) {
        close_fd(&out[0]);
        close_fd(&err[0]);
        close_fd(&in[1]);
        struct bytes msg = {0};
        put(&msg, text, (size_t)n);
        answer(id, 3, fail, -1, NULL, &msg);
        free(msg.p);
        free(input);
        free(ready);
        return;
    }
    if (kind == 1 && !ready[0]) {
        answer(id, 0, 0, pid, NULL, NULL);
        free(input);
        free(ready);
        return;
    }
    memset(j, 0, sizeof *j);
    j->used = 1;
    j->id = id;
    j->kind = kind;
    j->pid = pid;
    j->out = out[0];
    j->err = err[0];
    j->in = in[1];
    j->input = input;
    j->input_len = in[1] >= 0 ? input_len : 0;
    j->ready = kind == 1 ? ready : (free(ready), NULL);
    j->deadline = timeout ? now_ms() + timeout : 0;
    fcntl(j->out, F_SETFL, O_NONBLOCK);
    fcntl(j->err, F_SETFL, O_NONBLOCK);
    if (j->in >= 0)
        fcntl(j->in, F_SETFL, O_NONBLOCK);
}

/* ------------------------------------------------------------ events */

static void on_sigchld(int sig)
{
    (void)sig;
    int e = errno;
    if (write(sigpipe_fds[1], "x", 1) < 0) { /* already pending */ }
    errno = e;
}

static struct job *job_of(pid_t pid)
{
    for (int i = 0; i < MAX_JOBS; i++)
        if (jobs[i].used && jobs[i].pid == pid)
            return &jobs[i];
    return NULL;
}

static void reap(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        struct job *j = job_of(pid);
        if (!j)
            continue; /* a daemon that ended long after it was ready */
        j->exited = 1;
        j->status_kind = WIFSIGNALED(st) ? 1 : 0;
        j->value = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
    }
}

/* Reads what a pipe has; returns 1 at EOF. */
static int drain(int *fd, struct bytes *b)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n > 0) {
            if (b->len < MAX_OUTPUT)
                put(b, buf, b->len + (size_t)n <= MAX_OUTPUT ? (size_t)n : MAX_OUTPUT - b->len);
            continue;
        }
        if (n == 0) {
            close_fd(fd);
            return 1;
        }
        return errno == EAGAIN || errno == EINTR ? 0 : (close_fd(fd), 1);
    }
}

static int has_ready_line(const struct bytes *b, const char *ready)
{
    size_t rl = strlen(ready);
    const char *p = b->p, *end = b->p + b->len;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 0;
        if ((size_t)(nl - p) == rl && memcmp(p, ready, rl) == 0)
            return 1;
        p = nl + 1;
    }
    return 0;
}

static void progress(struct job *j)
{
    long long now = now_ms();
    if (j->kind == 1) {
        if (has_ready_line(&j->stdout_b, j->ready)) {
            j->stdout_b.len = j->stderr_b.len = 0;
            finish(j, 0, 0);
        } else if (j->exited && j->out < 0 && j->err < 0) {
            finish(j, 4, j->value);
        } else if (j->deadline && now >= j->deadline) {
            finish(j, 2, 0);
        }
        return;
    }
    if (j->exited && j->out < 0 && j->err < 0) {
        finish(j, j->timed_out ? 2 : j->status_kind, j->value);
    } else if (j->deadline && now >= j->deadline) {
        if (j->exited) {
            /* It ended, but a child of its own holds the pipes: answer with how it ended. */
            finish(j, j->timed_out ? 2 : j->status_kind, j->value);
        } else if (!j->timed_out) {
            j->timed_out = 1;
            kill(j->pid, SIGKILL); /* not reaped yet, so the pid is still its own */
            j->deadline = now + 1000;
        } else {
            j->deadline = now + 1000; /* SIGKILLed but not gone (uninterruptible sleep): do not spin */
        }
    }
}

int main(void)
{
    for (int i = 0; i < MAX_JOBS; i++)
        jobs[i].out = jobs[i].err = jobs[i].in = -1;
    if (pipe2(sigpipe_fds, O_CLOEXEC | O_NONBLOCK))
        die("pipe");
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* Ctrl-C reaches the whole foreground group: podlab handles it (finishing the step in flight),
     * which needs the spawner alive. It still ends when podlab does: stdin closes. */
    signal(SIGINT, SIG_IGN);

    struct bytes req = {0};
    int stdin_open = 1;
    for (;;) {
        struct pollfd p[2 + 3 * MAX_JOBS];
        struct job *owner[2 + 3 * MAX_JOBS];
        int n = 0, busy = 0;
        p[n] = (struct pollfd){.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN};
        owner[n++] = NULL;
        p[n] = (struct pollfd){.fd = sigpipe_fds[0], .events = POLLIN};
        owner[n++] = NULL;
        long long next = 0;
        for (int i = 0; i < MAX_JOBS; i++) {
            struct job *j = &jobs[i];
            if (!j->used)
                continue;
            busy++;
            if (j->out >= 0) {
                p[n] = (struct pollfd){.fd = j->out, .events = POLLIN};
                owner[n++] = j;
            }
            if (j->err >= 0) {
                p[n] = (struct pollfd){.fd = j->err, .events = POLLIN};
                owner[n++] = j;
            }
            if (j->in >= 0) {
                p[n] = (struct pollfd){.fd = j->in, .events = POLLOUT};
                owner[n++] = j;
            }
            if (j->deadline && (!next || j->deadline < next))
                next = j->deadline;
        }
        if (!stdin_open && !busy)
            return 0;
        int wait = next ? (int)(next - now_ms() > 0 ? next - now_ms() : 0) : -1;
        int ready = poll(p, (nfds_t)n, wait);
        if (ready < 0 && errno != EINTR)
            die("poll");
        if (ready > 0 && (p[1].revents & POLLIN)) {
            char sink[64];
            while (read(sigpipe_fds[0], sink, sizeof sink) > 0) {
            }
        }
        reap();
        for (int k = 2; ready > 0 && k < n; k++) {
            struct job *j = owner[k];
            if (!p[k].revents || !j->used)
                continue;
            if (p[k].fd == j->out)
                drain(&j->out, &j->stdout_b);
            else if (p[k].fd == j->err)
                drain(&j->err, &j->stderr_b);
            else if (p[k].fd == j->in) {
                ssize_t w = write(j->in, j->input + j->input_off, j->input_len - j->input_off);
                if (w > 0)
                    j->input_off += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || j->input_off >= j->input_len)
                    close_fd(&j->in);
            }
        }
        for (int i = 0; i < MAX_JOBS; i++)
            if (jobs[i].used)
                progress(&jobs[i]);
        if (ready > 0 && stdin_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[65536];
            ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
            if (got <= 0 && !(got < 0 && (errno == EINTR || errno == EAGAIN))) {
                /* podlab is gone, so nothing will record what it was still starting: commands
                 * still running and daemons not yet ready are killed (a daemon with its session),
                 * reaped, and then the spawner ends. A `down` after a crash finds no late arrival. */
                stdin_open = 0;
                for (int i = 0; i < MAX_JOBS; i++) {
                    if (!jobs[i].used || jobs[i].exited)
                        continue;
                    if (jobs[i].kind == 1)
                        kill(-jobs[i].pid, SIGKILL);
                    kill(jobs[i].pid, SIGKILL);
                }
                continue;
            }
            if (got > 0)
                put(&req, buf, (size_t)got);
            size_t off = 0;
            while (req.len - off >= 4) {
                uint32_t len;
                memcpy(&len, req.p + off, 4);
                if (req.len - off - 4 < len)
                    break;
                char *one = malloc(len ? len : 1);
                if (!one)
                    die("out of memory");
                memcpy(one, req.p + off + 4, len);
                off += 4 + (size_t)len;
                start(one, len);
                free(one);
            }
            memmove(req.p, req.p + off, req.len - off);
            req.len -= off;
        }
    }
}
