/*
 * pause.c - podlab's pod sandbox process (the equivalent of Kubernetes'
 * "pause" / infra container).
 *
 * Responsibility:
 *   One pause process exists per pod. It joins the pod's network namespace
 *   (a named netns under /run/netns, created by podlab), brings its loopback
 *   up (as CRI-O does, instead of a CNI loopback plugin call), creates fresh
 *   UTS and IPC namespaces, sets the pod hostname, reports readiness and then
 *   does nothing but sleep until told to stop.
 *
 * Why it exists:
 *   A namespace lives only as long as something references it. By holding
 *   the pod's net, UTS and IPC namespaces open, this process gives every
 *   container of the pod a stable place to join (nsenter -t PID --net --uts
 *   --ipc), so that containers share localhost, hostname and IPC objects,
 *   and so that a container that crashes or restarts comes back into the
 *   very same network (same interfaces, addresses, routes) instead of the
 *   pod's namespaces disappearing with it. It must be tiny and never exit on
 *   its own: its lifetime *is* the pod sandbox's lifetime.
 *
 * Files (optional): with --bind or --write the sandbox also holds a mount
 *   namespace of its own. --bind SRC:DST bind-mounts SRC read-only over DST
 *   (the DNS server's /etc/coredns); --write DST=TEXT puts TEXT over DST, read
 *   only (a pod's /etc/resolv.conf and /etc/hosts). Written files live on a
 *   tmpfs that only this mount namespace holds: nothing is left on the host's
 *   disk, and they vanish with the sandbox. The copy of the host's mount table
 *   drops every nsfs mount (other labs' /run/netns entries), so a pod never
 *   keeps another lab's namespaces alive. A DST that does not exist needs
 *   --etc-overlay DIR: /etc becomes an overlay whose upper layer is DIR/upper
 *   (the host's /etc untouched), where the missing file or directory is
 *   created before the bind.
 *
 * Mount template: copying the host's mount table costs time in proportion to
 *   its size, and a host with a thousand pods has a thousand nsfs mounts
 *   (4 ms per pod). So a lab runs one `pause --mount-template` (in its fabric
 *   namespace, where `down` finds it): a mount namespace with those mounts
 *   already dropped. Pods start from a copy of it (--mount-from
 *   /proc/PID/ns/mnt). If that file is gone (the template ended), the pod
 *   copies the host's table as before.
 *
 * Low ports (optional, --low-ports): net.ipv4.ip_unprivileged_port_start=0
 *   in the sandbox's network namespace, so that the pod's containers, each
 *   a uid of its own without capabilities, may bind ports below 1024 there
 *   (what a container runtime's default capabilities allow). Written by the
 *   sandbox itself once it is in the namespace: /proc/sys/net is the opener's
 *   network namespace. Never the host's.
 *
 * PID namespace (optional, --pid): Kubernetes' shareProcessNamespace. The sandbox
 *   also makes a PID namespace and forks its PID 1 (a second pause, which
 *   reaps orphans as an init must), which mounts a /proc of that namespace in
 *   the sandbox's mount namespace: `ps` in the pod shows the pod's processes
 *   only. Containers join it through /proc/1/ns/pid in that view (contain
 *   --pid-ns), `podlab exec` through /proc/PID/ns/pid_for_children. The
 *   process podlab records stays outside; it ends when its PID 1 ends and
 *   kills it (and so, by the kernel, every process of the pod) when told to
 *   stop; its PID 1 is killed too if it dies (PR_SET_PDEATHSIG).
 *
 * Contract:
 *   pause --netns /run/netns/NAME --hostname HOST [--etc-overlay DIR] [--pid] [--low-ports]
 *         [--mount-from NSFILE] [--bind SRC:DST]... [--write DST=TEXT]...
 *   pause --netns /run/netns/NAME --mount-template
 *     - any failure before readiness: "pause: <what>: <strerror>" on stderr,
 *       exit status 1 (usage errors included); --help prints usage, exit 0.
 *     - on success: writes exactly "ready\n" to stdout, then points
 *       stdin/stdout/stderr at /dev/null, closes every other inherited
 *       descriptor, and sleeps in pause().
 *   pause --pid-init: what the PID 1 of a --pid sandbox execs (internal).
 *     - SIGTERM/SIGINT: exit 0. SIGCHLD: reap children (matters when it is
 *       PID 1 of a PID namespace or a subreaper). SIGHUP: ignored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HOSTNAME 63
#define MAX_BINDS 16

static void usage(FILE *out)
{
    fputs("usage: pause --netns /run/netns/NAME --hostname HOST [--etc-overlay DIR] [--pid] [--low-ports]\n"
          "             [--mount-from NSFILE] [--bind SRC:DST]... [--write DST=TEXT]...\n"
          "       pause --netns /run/netns/NAME --mount-template\n"
          "  Joins the network namespace NAME, creates new UTS and IPC\n"
          "  namespaces, sets the hostname to HOST (1-63 bytes), prints\n"
          "  \"ready\" and sleeps until SIGTERM/SIGINT.\n"
          "  --bind: also a new mount namespace with SRC bind-mounted\n"
          "  read-only over DST; --write: TEXT read-only over DST, from a\n"
          "  tmpfs private to that namespace (16 of both at most).\n"
          "  --etc-overlay: /etc in that namespace is an overlay with its\n"
          "  upper layer in DIR, so a missing DST under /etc can be created.\n"
          "  --mount-from: that mount namespace starts as a copy of NSFILE's\n"
          "  (e.g. /proc/PID/ns/mnt of a template) instead of this one's.\n"
          "  --low-ports: any uid may bind ports below 1024 in the namespace\n"
          "  (net.ipv4.ip_unprivileged_port_start=0).\n"
          "  --pid: also a PID namespace whose PID 1 is a pause child, with\n"
          "  its own /proc in the sandbox's mount namespace.\n"
          "  --mount-template: only a mount namespace without the host's nsfs\n"
          "  mounts, for sandboxes to start from; no UTS/IPC, no hostname.\n",
          out);
}

static void die_usage(const char *msg, const char *arg)
{
    if (arg)
        fprintf(stderr, "pause: %s: %s\n", msg, arg);
    else
        fprintf(stderr, "pause: %s\n", msg);
    usage(stderr);
    exit(1);
}

static void die_errno(const char *what, const char *arg)
{
    int e = errno;
    if (arg)
        fprintf(stderr, "pause: %s %s: %s\n", what, arg, strerror(e));
    else
        fprintf(stderr, "pause: %s: %s\n", what, strerror(e));
    exit(1);
}

static void on_term(int sig)
{
    (void)sig;
    _exit(0);
}

/* With --pid: the namespace's PID 1, as seen from the process podlab recorded. */
static volatile pid_t init_pid = 0;

static void on_term_outer(int sig)
{
    (void)sig;
    if (init_pid > 0)
        kill(init_pid, SIGKILL); /* the kernel then kills every process of the namespace */
    _exit(0);
}

/* The outer process lives exactly as long as the namespace's PID 1. */
static void on_chld_outer(int sig)
{
    int saved = errno;
    pid_t p;
    (void)sig;
    while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
        if (p == init_pid)
            _exit(1);
    errno = saved;
}

static void on_chld(int sig)
{
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | (sig == SIGCHLD ? SA_NOCLDSTOP : 0);
    if (sigaction(sig, &sa, NULL) != 0)
        die_errno("sigaction", NULL);
}

/* Drop every inherited descriptor above stderr (e.g. the write end of a
 * pipe a launcher forgot to mark close-on-exec), so the sandbox holds
 * nothing but its namespaces and never keeps a reader from seeing EOF. */
static void close_inherited_fds(void)
{
    long max, fd;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
        return;
#endif
    max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (fd = 3; fd < max; fd++)
        close((int)fd);
}

/* --low-ports: net.ipv4.ip_unprivileged_port_start=0 in the namespace this process is in now. */
static void allow_low_ports(void)
{
    static const char path[] = "/proc/sys/net/ipv4/ip_unprivileged_port_start";
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        die_errno("open", path);
    if (write(fd, "0\n", 2) != 2)
        die_errno("write", path);
    close(fd);
}

/* Accepts "--opt VALUE" and "--opt=VALUE". Returns the value or NULL. */
static const char *opt_value(const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        die_usage("missing value for option", name);
    *i += 1;
    return argv[*i];
}

/* Unmounts (lazily) every nsfs mount in this mount namespace: the copies
 * of /run/netns/<name> entries would otherwise pin those namespaces. Where
 * they sit in a directory that is a mount point of its own (ip netns makes
 * /run/netns one), that directory is detached once, taking all of them
 * along: one call instead of one per namespace on the host, which made
 * each pod's start grow with the number of pods (19 ms at 400 namespaces). */
#define MAX_PARENTS 16

/* mountinfo writes space, tab, newline and backslash in paths as \ooo (octal): decode in place. */
static void unescape_mount_path(char *s)
{
    char *out = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}
/* One pass over mountinfo; returns how many nsfs mounts it acted on. */
static int detach_nsfs_pass(void)
{
    char parents[MAX_PARENTS][1024];
    int nparents = 0, acted = 0;
    char line[4096];
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        die_errno("open", "/proc/self/mountinfo");
    while (fgets(line, sizeof line, f)) {
        /* fields: id parent major:minor root mountpoint opts [optional...] - fstype source superopts */
        char root[1024], point[1024], fstype[64];
        const char *sep = strstr(line, " - ");
        if (!sep || sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2 ||
            sscanf(sep + 3, "%63s", fstype) != 1 || strcmp(fstype, "nsfs") != 0)
            continue;
        unescape_mount_path(point);
        char parent[1024];
        strcpy(parent, point);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent)
            *slash = '\0';
        else
            parent[0] = '\0';
        int gone = 0;
        for (int k = 0; k < nparents && !gone; k++)
            gone = strcmp(parents[k], parent) == 0;
        if (gone)
            continue; /* detached with its directory already */
        /* Only a directory of namespaces (ip's /run/netns, docker's .../netns) goes whole: an nsfs
         * mount straight in /run must not take /run (and the pod's own bind sources) with it. */
        const char *base = strrchr(parent, '/');
        struct statx sx;
        if (parent[0] && base && strcmp(base, "/netns") == 0 && nparents < MAX_PARENTS && statx(AT_FDCWD, parent, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
            (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) &&
            umount2(parent, MNT_DETACH) == 0) {
            strcpy(parents[nparents++], parent);
            acted++;
            continue;
        }
        umount2(point, MNT_DETACH); /* best effort: a parent may be gone already */
        acted++;
    }
    fclose(f);
    return acted;
}

/* mountinfo changes under the reader as mounts go, so a pass may miss lines: pass again until clean. */
static void detach_nsfs_mounts(void)
{
    for (int pass = 0; pass < 4 && detach_nsfs_pass() > 0; pass++) {
    }
}

/* Creates DST (a directory if SRC is one, else an empty file) when missing. */
static void ensure_target(const char *src, const char *dst)
{
    struct stat s, d;
    if (stat(dst, &d) == 0)
        return;
    if (stat(src, &s) != 0)
        die_errno("stat", src);
    if (S_ISDIR(s.st_mode)) {
        if (mkdir(dst, 0755) != 0)
            die_errno("mkdir (is /etc an overlay? see --etc-overlay)", dst);
    } else {
        int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            die_errno("create (is /etc an overlay? see --etc-overlay)", dst);
        close(fd);
    }
}

/* Where --write files are staged: a tmpfs mounted here, in the sandbox's own
 * mount namespace only, and detached again once each file is bound in place. */
#define STAGE "/tmp"

static void write_all(int fd, const char *text, const char *path)
{
    size_t left = strlen(text);
    while (left > 0) {
        ssize_t w = write(fd, text, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die_errno("write", path);
        text += w;
        left -= (size_t)w;
    }
}

static void bind_readonly(const char *src, const char *dst)
{
    ensure_target(src, dst);
    if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
        die_errno("bind mount onto", dst);
    if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
        die_errno("remount read-only", dst);
}

/* A new mount namespace: a copy of FROM's (a template's) when given and still
 * there, else of this process's; made private, without nsfs mounts. */
static void new_mount_namespace(const char *from)
{
    if (from) {
        int fd = open(from, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (setns(fd, CLONE_NEWNS) != 0)
                die_errno("setns (mount)", from);
            close(fd);
        } else if (errno != ENOENT && errno != ESRCH) {
            die_errno("open", from);
        } /* the template is gone: start from this namespace instead */
    }
    if (unshare(CLONE_NEWNS) != 0)
        die_errno("unshare", "CLONE_NEWNS");
    /* Nothing done here may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        die_errno("mount --make-rprivate", "/");
    /* A copy of a template has none left: this only reads its short mountinfo. */
    detach_nsfs_mounts();
}

static void setup_mounts(const char *from, const char *overlay, char **binds, int nbinds, char **writes, int nwrites)
{
    int i;
    new_mount_namespace(from);
    if (overlay) {
        char opts[3 * 1024];
        if (snprintf(opts, sizeof opts, "lowerdir=/etc,upperdir=%s/upper,workdir=%s/work", overlay, overlay) >= (int)sizeof opts)
            die_usage("--etc-overlay path too long", overlay);
        if (mount("overlay", "/etc", "overlay", 0, opts) != 0)
            die_errno("mount overlay on /etc with", opts);
    }
    for (i = 0; i < nbinds; i++) {
        char *dst = strchr(binds[i], ':');
        *dst++ = '\0';
        bind_readonly(binds[i], dst);
    }
    if (nwrites == 0)
        return;
    if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") != 0)
        die_errno("mount tmpfs on", STAGE);
    for (i = 0; i < nwrites; i++) {
        char *text = strchr(writes[i], '=');
        char staged[64];
        int fd;
        *text++ = '\0';
        snprintf(staged, sizeof staged, STAGE "/%d", i);
        fd = open(staged, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
            die_errno("create", staged);
        write_all(fd, text, staged);
        close(fd);
        bind_readonly(staged, writes[i]);
    }
    /* The binds keep the tmpfs alive; STAGE shows what it showed before. */
    if (umount2(STAGE, MNT_DETACH) != 0)
        die_errno("detach", STAGE);
}

/* Brings the namespace's loopback up, as CRI-O does itself instead of calling the CNI loopback plugin. */
static void lo_up(void)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        die_errno("socket", "lo");
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        die_errno("SIOCGIFFLAGS", "lo");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        die_errno("SIOCSIFFLAGS", "lo");
    close(s);
}

/*
 * --pid: a new PID namespace and its PID 1. The child mounts the namespace's /proc over the
 * sandbox's (their mount namespace is shared, private to the pod) and says so on a pipe; the
 * parent returns to become ready, the child never returns: it sleeps and reaps as init.
 */
static void start_pid_namespace(void)
{
    int p[2];
    char ok;
    pid_t child;
    if (pipe2(p, O_CLOEXEC) != 0)
        die_errno("pipe", NULL);
    if (unshare(CLONE_NEWPID) != 0)
        die_errno("unshare", "CLONE_NEWPID");
    child = fork();
    if (child < 0)
        die_errno("fork", "PID 1");
    if (child == 0) {
        close(p[0]);
        /* Its parent is outside the namespace (getppid() is 0): if it is gone already, the write below fails. */
        signal(SIGPIPE, SIG_DFL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
            _exit(1);
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
            die_errno("mount proc on", "/proc");
        if (write(p[1], "1", 1) != 1)
            _exit(1);
        close(p[1]);
        if (chdir("/") != 0)
            _exit(1);
        int fd = open("/dev/null", O_RDWR);
        if (fd < 0 || dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(1);
        close_inherited_fds();
        /* Shown by ps in the pod as Kubernetes' is: a short line, not the sandbox's files. */
        execl("/proc/self/exe", "/pause", "--pid-init", (char *)NULL);
        _exit(1);
    }
    init_pid = child;
    close(p[1]);
    set_handler(SIGTERM, on_term_outer);
    set_handler(SIGINT, on_term_outer);
    set_handler(SIGCHLD, on_chld_outer);
    ssize_t r;
    do
        r = read(p[0], &ok, 1);
    while (r < 0 && errno == EINTR);
    close(p[0]);
    if (r != 1) {
        fputs("pause: the PID namespace's PID 1 did not start\n", stderr);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const char *netns = NULL, *hostname = NULL, *overlay = NULL, *from = NULL;
    char *binds[MAX_BINDS], *writes[MAX_BINDS];
    int nbinds = 0, nwrites = 0, template = 0, pidns = 0, low_ports = 0;
    int i, fd;

    if (argc == 2 && strcmp(argv[1], "--pid-init") == 0) {
        /* The PID 1 of a --pid sandbox, started as above: sleep, reap, end on SIGTERM/SIGINT. */
        set_handler(SIGTERM, on_term);
        set_handler(SIGINT, on_term);
        set_handler(SIGCHLD, on_chld);
        signal(SIGHUP, SIG_IGN);
        for (;;)
            pause();
    }
    for (i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((v = opt_value("--netns", argc, argv, &i)) != NULL) {
            if (netns)
                die_usage("option given twice", "--netns");
            netns = v;
        } else if ((v = opt_value("--hostname", argc, argv, &i)) != NULL) {
            if (hostname)
                die_usage("option given twice", "--hostname");
            hostname = v;
        } else if ((v = opt_value("--etc-overlay", argc, argv, &i)) != NULL) {
            if (overlay)
                die_usage("option given twice", "--etc-overlay");
            overlay = v;
        } else if ((v = opt_value("--bind", argc, argv, &i)) != NULL) {
            const char *colon = strchr(v, ':');
            if (!colon || colon == v || colon[1] != '/')
                die_usage("--bind needs SRC:/DST", v);
            if (nbinds + nwrites == MAX_BINDS)
                die_usage("too many --bind/--write options", v);
            binds[nbinds++] = (char *)v;
        } else if ((v = opt_value("--write", argc, argv, &i)) != NULL) {
            const char *eq = strchr(v, '=');
            if (!eq || v[0] != '/' || eq == v + 1)
                die_usage("--write needs /DST=TEXT", v);
            if (strncmp(v, STAGE "/", sizeof STAGE) == 0 || ((size_t)(eq - v) == sizeof STAGE - 1 && strncmp(v, STAGE, sizeof STAGE - 1) == 0))
                die_usage("--write cannot target " STAGE " (its staging directory)", v);
            if (nbinds + nwrites == MAX_BINDS)
                die_usage("too many --bind/--write options", v);
            writes[nwrites++] = (char *)v;
        } else if ((v = opt_value("--mount-from", argc, argv, &i)) != NULL) {
            if (from)
                die_usage("option given twice", "--mount-from");
            from = v;
        } else if (strcmp(argv[i], "--mount-template") == 0) {
            template = 1;
        } else if (strcmp(argv[i], "--pid") == 0) {
            pidns = 1;
        } else if (strcmp(argv[i], "--low-ports") == 0) {
            low_ports = 1;
        } else {
            die_usage("unexpected argument", argv[i]);
        }
    }
    if (!netns || !*netns)
        die_usage("--netns is required", NULL);
    if (template && (hostname || overlay || from || nbinds || nwrites || pidns || low_ports))
        die_usage("--mount-template takes only --netns", NULL);
    if (!template && (!hostname || !*hostname))
        die_usage("--hostname is required", NULL);
    if (hostname && strlen(hostname) > MAX_HOSTNAME)
        die_usage("hostname longer than 63 bytes", hostname);

    /* Install handlers before becoming "ready" so a SIGTERM sent right after
     * readiness is never lost or fatal in the default way. */
    set_handler(SIGTERM, on_term);
    set_handler(SIGINT, on_term);
    set_handler(SIGCHLD, on_chld);
    if (signal(SIGHUP, SIG_IGN) == SIG_ERR)
        die_errno("signal SIGHUP", NULL);

    fd = open(netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die_errno("open", netns);
    if (setns(fd, CLONE_NEWNET) != 0)
        die_errno("setns", netns);
    close(fd);

    if (template) {
        new_mount_namespace(NULL);
    } else {
        lo_up();
        if (low_ports)
            allow_low_ports();
        if (unshare(CLONE_NEWUTS | CLONE_NEWIPC) != 0)
            die_errno("unshare", "CLONE_NEWUTS|CLONE_NEWIPC");
        if (sethostname(hostname, strlen(hostname)) != 0)
            die_errno("sethostname", hostname);
        if (nbinds > 0 || nwrites > 0 || overlay || from || pidns)
            setup_mounts(from, overlay, binds, nbinds, writes, nwrites);
        if (pidns)
            start_pid_namespace();
    }

    /* Do not keep whatever directory we were started from busy. */
    if (chdir("/") != 0)
        die_errno("chdir", "/");

    {
        static const char msg[] = "ready\n";
        ssize_t w;
        do
            w = write(STDOUT_FILENO, msg, sizeof msg - 1);
        while (w < 0 && errno == EINTR);
        if (w != (ssize_t)(sizeof msg - 1))
            die_errno("write", "ready");
    }

    fd = open("/dev/null", O_RDWR);
    if (fd < 0)
        _exit(1); /* stderr may be gone already; nothing useful to say */
    if (dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
        dup2(fd, STDERR_FILENO) < 0)
        _exit(1);
    if (fd > STDERR_FILENO)
        close(fd);
    close_inherited_fds();

    for (;;)
        pause();
}
