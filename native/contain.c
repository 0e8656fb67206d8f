/*
 * contain.c - the last step of starting a container: podlab's equivalent of what runc does
 * between "the namespaces exist" and "exec the entrypoint".
 *
 * Responsibility:
 *   Started as root inside a pod's namespaces (nsenter/spawner joined the pause process's
 *   network, UTS, IPC and mount namespaces, or a node's or host's network namespace), it
 *     1. makes a mount namespace of its own (a copy of the pod's): with --only, a root that
 *        holds nothing but the listed paths (read-only binds) plus /dev/null, /dev/zero,
 *        /dev/urandom, /dev/random and /proc; without, the pod's whole view. Either way every
 *        mount read-only and nosuid (one recursive mount_setattr), then a private tmpfs on /tmp
 *        (and /dev/shm) that only this container sees,
 *        With --writable, each listed path is then bound over itself read-write (nosuid and
 *        nodev kept): the one place the program may write outside its /tmp (nginx's run directory),
 *     2. drops to --uid/--gid (never 0) with no supplementary groups, no_new_privs, an empty
 *        capability bounding set and no inheritable or ambient capabilities,
 *     3. chdir("/") and execs the program, in place: the pid podlab recorded is the program's.
 *     With --exit-file, step 3 differs: contain stays as the program's parent, as containerd's
 *     shim does, because only a parent learns how a process ended. It forks, the child execs the
 *     program (and dies with SIGKILL if the shim dies first), the shim passes on TERM, INT, HUP,
 *     QUIT, USR1 and USR2, and when the program ends writes "<shim pid> exited <code>" or
 *     "<shim pid> signaled <signal>" to the file (opened, truncated, before anything else: the
 *     mount namespace built later need not show it), then ends the same way. The recorded pid is
 *     then the shim's; it lives exactly as long as the program.
 *   With --pid-ns FILE (a pod with shareProcessNamespace: /proc/1/ns/pid in the pod's view, its
 *   pause), it first joins that PID namespace, and after step 2 forks: the program runs in the
 *   pod's PID namespace as the child, and contain stays as its parent outside (a PID namespace is
 *   entered only by a new process), forwarding SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2
 *   and ending as the program ended (its status, or the same signal); the program is killed if
 *   contain is (PR_SET_PDEATHSIG). The pid podlab recorded is contain's; both share the mount
 *   namespace and uid, so `exec -c` enters the same view.
 *   With both, contain forks once: the program runs in the pod's PID namespace and the shim writes
 *   how it ended.
 *   With --cgroup DIR (repeatable: one per hierarchy, e.g. cgroup v1 memory and pids), contain first
 *   writes its own pid to DIR/cgroup.procs, as root, before anything else: it and every process it
 *   starts are then in that cgroup, whose limits podlab wrote (src/runtime/cgroups.ts). A graded
 *   container is held to its memory there; the kernel OOM-kills inside the cgroup, not the host.
 *   With --max-procs N, the uid's processes and threads are limited to N (RLIMIT_NPROC, set as
 *   root before the drop): the uid is the container's own, so a fork bomb in it stops there.
 *   With --listen SPEC (repeatable; SPEC is udp4:PORT, tcp4:PORT, udp6:PORT or tcp6:PORT), contain
 *   binds each socket first, as root in the container's network namespace, on the wildcard address
 *   (tcp: SO_REUSEADDR and listening; IPv6: IPV6_V6ONLY; a port still in use is retried for up to
 *   3 s, the time a restarted server's predecessor may take to let go), and hands them to the
 *   program as systemd's socket activation does: fds 3, 4, … in the order given, LISTEN_FDS=N,
 *   LISTEN_FDNAMES=NAME:NAME… (udp4:53 is named udp4-53) and LISTEN_PID=<the program's pid>. Once
 *   they are bound (the network namespace's /proc/net shows them), nothing sent to those ports is
 *   refused: it waits in the socket until the program reads it (the DNS server's Node start-up
 *   happens after `up`, not beside it). Nothing is printed: the program's log stays its own.
 *   With --key-file FILE, contain opens FILE read-only as root before anything else (no link
 *   followed: O_NOFOLLOW) and hands it to the program on the descriptor after the --listen
 *   sockets (3 when there are none): how an http-echo gets its pod's key (SECURITY.md, boundary
 *   13), a file root's alone that the program's uid could not open. The descriptor is the
 *   program's only (a shim closes its copy); /proc/PID/fd/N of it is open to that uid alone.
 *
 * Contract:
 *   contain --uid UID --gid GID [--pid-ns FILE] [--listen SPEC]... [--key-file FILE] [--cgroup DIR]... [--max-procs N] [--tmp-size SIZE | --no-tmp] [--only PATH]... [--writable PATH]... [--exit-file FILE] -- PROGRAM [ARG]...
 *     - any failure before the exec: "contain: <what>: <strerror>" on stderr, exit 126
 *       (usage errors exit 2); an exec failure exits 127. --help prints usage, exit 0.
 *     - SIZE is tmpfs's size= (default 64m). --no-tmp: no private tmpfs, /tmp and /dev/shm stay
 *       read-only like everything else (lab evaluation: nothing may be written anywhere).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
struct mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif

/* Paths given with --only: the own files of a module are listed one by one (evaluate.ts). */
#define MAX_ONLY 256
/* --cgroup directories: one per hierarchy (cgroup v1 has one per controller; v2 one in all). */
#define MAX_CGROUPS 4

static void usage(FILE *out)
{
    fputs("usage: contain --uid UID --gid GID [--pid-ns FILE] [--listen SPEC]... [--key-file FILE] [--cgroup DIR]... [--max-procs N] [--tmp-size SIZE | --no-tmp] [--only PATH]... [--writable DIR]... [--exit-file FILE] -- PROGRAM [ARG]...\n"
          "  Run as root in a pod's namespaces: makes a mount namespace where every mount is read-only with a private tmpfs on\n"
          "  /tmp and /dev/shm, drops to UID:GID (not 0) with no_new_privs and no\n"
          "  capabilities, then execs PROGRAM. --only: the root holds only these paths\n"
          "  (read-only) and /dev/{null,zero,random,urandom}, /proc. --writable: this directory\n"
          "  (an absolute path, not a link, not under /proc, /sys or /dev) stays writable.\n"
          "  --pid-ns: PROGRAM runs in that PID namespace, as a child of contain.\n"
          "  --exit-file: stay as the program's parent and write how it ended to FILE\n"
          "  (\"PID exited CODE\" or \"PID signaled SIGNAL\").\n"
          "  --listen udp4:PORT|tcp4:PORT|udp6:PORT|tcp6:PORT: bind that socket as root on the\n"
          "  wildcard address and pass it on fd 3, 4, ... (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID).\n"
          "  --key-file: open FILE as root and pass it on the fd after the --listen sockets (3).\n",
          out);
}

static void die(const char *what, const char *arg)
{
    int e = errno;
    if (arg)
        fprintf(stderr, "contain: %s %s: %s\n", what, arg, strerror(e));
    else
        fprintf(stderr, "contain: %s: %s\n", what, strerror(e));
    exit(126);
}

static void die_usage(const char *msg)
{
    fprintf(stderr, "contain: %s\n", msg);
    usage(stderr);
    exit(2);
}

static unsigned long parse_id(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v == 0 || v >= 4294967295UL)
        die_usage(what);
    return v;
}

static void mkdirs(const char *path, int is_dir)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        errno = ENAMETOOLONG;
        die("path", path);
    }
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            die("mkdir", buf);
        *p = '/';
    }
    if (is_dir) {
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            die("mkdir", buf);
    } else {
        int fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            die("create", buf);
        close(fd);
    }
}

static void bind_into(const char *src, const char *root)
{
    struct stat st;
    char dst[4096];
    if (stat(src, &st) != 0)
        die("stat", src);
    if ((size_t)snprintf(dst, sizeof dst, "%s%s", root, src) >= sizeof dst) {
        errno = ENAMETOOLONG;
        die("path", src);
    }
    mkdirs(dst, S_ISDIR(st.st_mode));
    if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0)
        die("bind", src);
}

/*
 * A detached copy of the mounts at `path` (open_tree with OPEN_TREE_CLONE): what a tmpfs about to
 * be mounted over one of its parents would hide. A checkout under /tmp (CI clones there) keeps
 * its programs this way.
 */
static int clone_tree(const char *path)
{
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE);
    if (fd < 0)
        die("open_tree", path);
    return fd;
}

/* Attaches a tree from clone_tree at `dst` (made first, a directory or a file like the source). */
static void attach_tree(int fd, const char *dst, int is_dir)
{
    mkdirs(dst, is_dir);
    if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) != 0)
        die("move_mount", dst);
    close(fd);
}

static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/*
 * Where the new root is built: a folder that is none of the listed paths' parents (a tmpfs goes
 * over it in this namespace only, so nothing is created on the host and nothing listed is hidden).
 * Each listed path is then bound straight from where it is: no descriptor is held per path, so
 * many single files (a lab's own files, one by one) fit under a small RLIMIT_NOFILE.
 */
static const char *pick_root(char **only, int n)
{
    static const char *candidates[] = {"/tmp", "/mnt", "/media", "/srv", "/opt", "/var/tmp"};
    for (size_t c = 0; c < sizeof candidates / sizeof candidates[0]; c++) {
        struct stat st;
        int clash = 0;
        if (stat(candidates[c], &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        for (int i = 0; i < n && !clash; i++)
            clash = strcmp(only[i], candidates[c]) == 0 || under(only[i], candidates[c]);
        if (!clash)
            return candidates[c];
    }
    errno = EBUSY;
    die("no folder to build the root in (every candidate holds a --only path)", NULL);
    return NULL;
}

/*
 * A root of its own: a tmpfs holding only the listed paths, /dev's harmless nodes and /proc. That
 * /proc is a procfs of its own with hidepid=invisible (the processes of other uids are not there:
 * a graded container does not read the grader's command line or another student's pod's), unless
 * the program joins a pod's PID namespace (--pid-ns), where the pod's view is bound as before.
 */
static void only_view(char **only, int n, int own_proc)
{
    static const char *devs[] = {"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"};
    const char *new_root = pick_root(only, n);
    if (mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") != 0)
        die("mount tmpfs", new_root);
    for (int i = 0; i < n; i++)
        bind_into(only[i], new_root);
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++)
        bind_into(devs[i], new_root);
    char proc[64];
    snprintf(proc, sizeof proc, "%s/proc", new_root);
    mkdirs(proc, 1);
    if (own_proc) {
        if (mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=invisible") != 0)
            die("mount proc", proc);
    } else if (mount("/proc", proc, NULL, MS_BIND | MS_REC, NULL) != 0)
        die("bind", "/proc");
    char tmp[64], shm[64];
    snprintf(tmp, sizeof tmp, "%s/tmp", new_root);
    snprintf(shm, sizeof shm, "%s/dev/shm", new_root);
    mkdirs(tmp, 1);
    mkdirs(shm, 1);
    if (chdir(new_root) != 0)
        die("chdir", new_root);
    if (syscall(SYS_pivot_root, ".", ".") != 0)
        die("pivot_root", new_root);
    if (umount2(".", MNT_DETACH) != 0)
        die("detach the old root", NULL);
    if (chdir("/") != 0)
        die("chdir", "/");
}

static void read_only_view(char **only, int n, char **writable, int nw, const char *tmp_size, const char *program, int own_proc)
{
    if (unshare(CLONE_NEWNS) != 0)
        die("unshare", "mount namespace");
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        die("make private", "/");
    if (n > 0)
        only_view(only, n, own_proc);
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr) != 0)
        die("make read-only", "/");
    if (!tmp_size)
        return; /* --no-tmp: read-only everywhere, nothing to put back */
    /*
     * What the private /tmp would hide but the container needs: the listed paths, the writable
     * ones and the program's folder, when they lie under /tmp (a checkout there). Cloned read-only, put back.
     */
    char *keep[2 * MAX_ONLY + 1];
    int nkeep = 0, fds[2 * MAX_ONLY + 1], dirs[2 * MAX_ONLY + 1];
    for (int i = 0; i < n; i++)
        if (under(only[i], "/tmp"))
            keep[nkeep++] = only[i];
    for (int i = 0; i < nw; i++)
        if (under(writable[i], "/tmp"))
            keep[nkeep++] = writable[i];
    static char progdir[4096];
    if (program && under(program, "/tmp") && strlen(program) < sizeof progdir) {
        strcpy(progdir, program);
        *strrchr(progdir, '/') = '\0';
        keep[nkeep++] = progdir;
    }
    for (int i = 0; i < nkeep; i++) {
        struct stat st;
        if (stat(keep[i], &st) != 0)
            die("stat", keep[i]);
        dirs[i] = S_ISDIR(st.st_mode);
        fds[i] = clone_tree(keep[i]);
    }
    char data[128];
    snprintf(data, sizeof data, "mode=1777,size=%s", tmp_size);
    if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, data) != 0)
        die("mount tmpfs", "/tmp");
    for (int i = 0; i < nkeep; i++)
        attach_tree(fds[i], keep[i], dirs[i]);
    if (access("/dev/shm", F_OK) == 0 && mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, data) != 0)
        die("mount tmpfs", "/dev/shm");
}

/*
 * Binds each --writable directory over itself and clears the read-only flag of that one mount:
 * the new mount is the only writable place outside the private /tmp. A link is refused (O_NOFOLLOW
 * on the last component, and the resolved path must be the path given), so the caller's path is
 * exactly what becomes writable.
 */
static void writable_paths(char **paths, int n)
{
    for (int i = 0; i < n; i++) {
        char real[4096];
        if (!realpath(paths[i], real))
            die("resolve --writable", paths[i]);
        if (strcmp(real, paths[i]) != 0) {
            errno = ELOOP;
            die("--writable path is not canonical (a link on the way?)", paths[i]);
        }
        struct stat st;
        if (lstat(paths[i], &st) != 0)
            die("stat", paths[i]);
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            die("--writable", paths[i]);
        }
        if (mount(paths[i], paths[i], NULL, MS_BIND, NULL) != 0)
            die("bind --writable", paths[i]);
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, .attr_clr = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, AT_FDCWD, paths[i], 0, &attr, sizeof attr) != 0)
            die("make writable", paths[i]);
    }
}

/* Enters the PID namespace FILE names: for the children of this process only. */
static void join_cgroups(const char **dirs, int n)
{
    for (int k = 0; k < n; k++) {
        char path[4096], pid[24];
        if (snprintf(path, sizeof path, "%s/cgroup.procs", dirs[k]) >= (int)sizeof path)
            die_usage("--cgroup path too long");
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            die("open", path);
        int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
        if (write(fd, pid, (size_t)len) != len)
            die("join cgroup", dirs[k]);
        close(fd);
    }
}

static void join_pid_namespace(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open", file);
    if (setns(fd, CLONE_NEWPID) != 0)
        die("setns (pid)", file);
    close(fd);
}

static void drop_privileges(uid_t uid, gid_t gid)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        die("prctl", "no_new_privs");
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
            die("drop capability from the bounding set", NULL);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        die("clear ambient capabilities", NULL);
    /* Changing the credentials clears the parent-death signal (prctl(2)): a program started by a
     * parent that asked to kill it when it dies (`unshare --kill-child`: the cluster DNS server,
     * PID 1 of its own PID namespace) would outlive it, running on after its pod was deleted.
     * It is set again once the uid has changed; a parent already gone by then ends it at once. */
    int pdeath = 0;
    if (prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0) != 0)
        die("prctl", "get pdeathsig");
    pid_t parent = getppid();
    if (setgroups(0, NULL) != 0)
        die("setgroups", NULL);
    if (setresgid(gid, gid, gid) != 0)
        die("setresgid", NULL);
    if (setresuid(uid, uid, uid) != 0)
        die("setresuid", NULL);
    if (pdeath) {
        if (prctl(PR_SET_PDEATHSIG, pdeath, 0, 0, 0) != 0)
            die("prctl", "pdeathsig");
        if (getppid() != parent)
            _exit(137);
    }
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &hdr, data) != 0)
        die("capset", NULL);
    if (getuid() == 0 || geteuid() == 0) {
        errno = EPERM;
        die("still root after setresuid", NULL);
    }
}

#define MAX_LISTEN 8

/* The --listen sockets: bound by bind_listeners, handed on by pass_listeners. */
static const char *listen_spec[MAX_LISTEN];
static int listen_fd[MAX_LISTEN];
static int nlisten;

/* Binds every --listen SPEC (see the contract), close-on-exec until pass_listeners. */
static void bind_listeners(void)
{
    for (int k = 0; k < nlisten; k++) {
        const char *spec = listen_spec[k];
        int tcp = strncmp(spec, "tcp", 3) == 0, v6 = spec[3] == '6';
        long port = strtol(spec + 5, NULL, 10);
        int fd = socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket", spec);
        int one = 1;
        if (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
            die("setsockopt SO_REUSEADDR", spec);
        if (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
            die("setsockopt IPV6_V6ONLY", spec);
        struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {htonl(INADDR_ANY)}};
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
        /* A restarted server's predecessor may hold the port for a few more milliseconds (the
         * kernel kills it after its parent, unshare --kill-child): retry for up to 3 s. */
        for (int tries = 0;; tries++) {
            if (!(v6 ? bind(fd, (struct sockaddr *)&a6, sizeof a6) : bind(fd, (struct sockaddr *)&a4, sizeof a4)))
                break;
            if (errno != EADDRINUSE || tries == 300)
                die("bind", spec);
            usleep(10000);
        }
        if (tcp && listen(fd, 511) != 0)
            die("listen", spec);
        listen_fd[k] = fd;
    }
}

/* In the process about to exec: the sockets on fds 3… (not close-on-exec) and the LISTEN_* variables. */
static void pass_listeners(void)
{
    if (!nlisten)
        return;
    /* Out of the way first, so that placing one never closes another still to be placed. */
    for (int k = 0; k < nlisten; k++) {
        int fd = fcntl(listen_fd[k], F_DUPFD_CLOEXEC, 3 + MAX_LISTEN);
        if (fd < 0)
            die("fcntl F_DUPFD", listen_spec[k]);
        close(listen_fd[k]);
        listen_fd[k] = fd;
    }
    char names[MAX_LISTEN * 12] = "", buf[32];
    for (int k = 0; k < nlisten; k++) {
        if (dup2(listen_fd[k], 3 + k) < 0)
            die("dup2", listen_spec[k]);
        close(listen_fd[k]);
        if (k)
            strcat(names, ":");
        size_t at = strlen(names);
        strcat(names, listen_spec[k]);
        names[at + 4] = '-'; /* udp4:53 is named udp4-53: LISTEN_FDNAMES is ':'-separated */
    }
    snprintf(buf, sizeof buf, "%d", nlisten);
    setenv("LISTEN_FDS", buf, 1);
    setenv("LISTEN_FDNAMES", names, 1);
    snprintf(buf, sizeof buf, "%d", (int)getpid());
    setenv("LISTEN_PID", buf, 1);
}

/* The --key-file descriptor (kept above the low ones, close-on-exec) until pass_key, or -1. */
static int key_fd = -1;

/* Opens --key-file as root, out of the way of the descriptors pass_listeners places. */
static void open_key(const char *file)
{
    int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        die("open --key-file", file);
    key_fd = fcntl(fd, F_DUPFD_CLOEXEC, 64);
    if (key_fd < 0)
        die("fcntl F_DUPFD", file);
    close(fd);
}

/* In the process about to exec: the key on the descriptor after the --listen sockets, inherited. */
static void pass_key(void)
{
    if (key_fd < 0)
        return;
    if (dup2(key_fd, 3 + nlisten) < 0)
        die("dup2", "--key-file");
    close(key_fd);
    key_fd = -1;
}

static volatile pid_t child_pid;

static void pass_on(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

/*
 * The shim of --exit-file and --pid-ns: forks the program (which dies with the shim,
 * PR_SET_PDEATHSIG; into the PID namespace joined before when `in_pidns`), passes on the signals
 * that ask a program to do something, writes how it ended to `fd` (when >= 0) and ends the same
 * way. Returns only in the child, which then execs.
 */
static void shim(int fd, int in_pidns)
{
    static const int passed[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    sigset_t all, old;
    sigfillset(&all);
    /* Blocked across the fork: a signal before child_pid is set is delivered once it is. */
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t shim_pid = getpid();
    pid_t pid = fork();
    if (pid < 0)
        die("fork", NULL);
    if (pid == 0) {
        if (fd >= 0)
            close(fd);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
            die("prctl", "pdeathsig");
        /* In the pod's PID namespace the parent is outside it (getppid() is 0); had the shim died
         * already, the pod's PID 1 or init would have adopted us. */
        if (getppid() != (in_pidns ? 0 : shim_pid))
            _exit(137);
        sigprocmask(SIG_SETMASK, &old, NULL);
        return;
    }
    child_pid = pid;
    if (key_fd >= 0)
        close(key_fd); /* the program's alone */
    for (size_t i = 0; i < sizeof passed / sizeof passed[0]; i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = pass_on;
        /* One at a time: a handler interrupted by another signal would pass its own on last,
         * reversing the order (SIGUSR1 then SIGUSR2 must arrive in that order). */
        sigemptyset(&sa.sa_mask);
        for (size_t j = 0; j < sizeof passed / sizeof passed[0]; j++)
            sigaddset(&sa.sa_mask, passed[j]);
        sa.sa_flags = SA_RESTART;
        sigaction(passed[i], &sa, NULL);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            die("waitpid", NULL);
    char line[64];
    int n = WIFSIGNALED(st) ? snprintf(line, sizeof line, "%d signaled %d\n", (int)shim_pid, WTERMSIG(st))
                            : snprintf(line, sizeof line, "%d exited %d\n", (int)shim_pid, WEXITSTATUS(st));
    if (fd >= 0) {
        if (write(fd, line, (size_t)n) != n) { /* nothing left to tell */ }
        close(fd);
    }
    if (WIFSIGNALED(st)) {
        signal(WTERMSIG(st), SIG_DFL);
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, WTERMSIG(st));
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        kill(getpid(), WTERMSIG(st));
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

int main(int argc, char **argv)
{
    int exit_fd = -1;
    unsigned long uid = 0, gid = 0;
    long max_procs = 0;
    const char *tmp_size = "64m";
    char *only[MAX_ONLY], *writable[MAX_ONLY];
    const char *cgroup[MAX_CGROUPS];
    int ncgroup = 0;
    const char *pidns = NULL;
    int nonly = 0, nwritable = 0, i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--no-tmp") == 0) {
            tmp_size = NULL;
            continue;
        }
        if (i + 1 >= argc)
            die_usage("missing value for an option");
        if (strcmp(a, "--uid") == 0)
            uid = parse_id(argv[++i], "--uid must be a uid other than 0");
        else if (strcmp(a, "--gid") == 0)
            gid = parse_id(argv[++i], "--gid must be a gid other than 0");
        else if (strcmp(a, "--pid-ns") == 0) {
            pidns = argv[++i];
            if (pidns[0] != '/')
                die_usage("--pid-ns must be an absolute path");
        } else if (strcmp(a, "--exit-file") == 0) {
            const char *f = argv[++i];
            if (f[0] != '/')
                die_usage("--exit-file must be an absolute path");
            exit_fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (exit_fd < 0)
                die("open --exit-file", f);
        } else if (strcmp(a, "--listen") == 0) {
            const char *spec = argv[++i], *port = spec + 5;
            if (nlisten == MAX_LISTEN)
                die_usage("too many --listen sockets");
            if (strlen(spec) < 6 || (strncmp(spec, "udp", 3) && strncmp(spec, "tcp", 3)) || (spec[3] != '4' && spec[3] != '6') || spec[4] != ':' ||
                strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atol(port) < 1 || atol(port) > 65535)
                die_usage("--listen takes udp4:PORT, tcp4:PORT, udp6:PORT or tcp6:PORT");
            listen_spec[nlisten++] = spec;
        } else if (strcmp(a, "--key-file") == 0) {
            const char *f = argv[++i];
            if (f[0] != '/' || key_fd >= 0)
                die_usage("--key-file takes one absolute path");
            open_key(f);
        } else if (strcmp(a, "--cgroup") == 0) {
            if (ncgroup == MAX_CGROUPS)
                die_usage("too many --cgroup directories");
            cgroup[ncgroup] = argv[++i];
            if (cgroup[ncgroup][0] != '/' || strstr(cgroup[ncgroup], "/../") || !under(cgroup[ncgroup], "/sys/fs/cgroup"))
                die_usage("--cgroup takes an absolute directory under /sys/fs/cgroup");
            ncgroup++;
        } else if (strcmp(a, "--max-procs") == 0) {
            const char *n = argv[++i];
            if (strspn(n, "0123456789") != strlen(n) || !*n || strlen(n) > 6 || atol(n) < 1)
                die_usage("--max-procs must be a number of processes (1 or more)");
            max_procs = atol(n);
        } else if (strcmp(a, "--tmp-size") == 0) {
            tmp_size = argv[++i];
            if (strspn(tmp_size, "0123456789kmgKMG%") != strlen(tmp_size) || !*tmp_size)
                die_usage("--tmp-size must be a size (e.g. 64m)");
        } else if (strcmp(a, "--only") == 0) {
            if (nonly == MAX_ONLY)
                die_usage("too many --only paths");
            only[nonly] = argv[++i];
            if (only[nonly][0] != '/')
                die_usage("--only paths must be absolute");
            nonly++;
        } else if (strcmp(a, "--writable") == 0) {
            if (nwritable == MAX_ONLY)
                die_usage("too many --writable paths");
            writable[nwritable] = argv[++i];
            const char *w = writable[nwritable];
            if (w[0] != '/' || strcmp(w, "/") == 0 || strstr(w, "/../") || strstr(w, "/./") ||
                under(w, "/proc") || under(w, "/sys") || under(w, "/dev") || !strcmp(w, "/proc") || !strcmp(w, "/sys") || !strcmp(w, "/dev"))
                die_usage("--writable paths must be absolute directories other than /, outside /proc, /sys and /dev");
            nwritable++;
        } else
            die_usage("unknown option");
    }
    if (!uid || !gid)
        die_usage("--uid and --gid are required");
    if (i >= argc)
        die_usage("no program given");
    join_cgroups(cgroup, ncgroup); /* first of all: every process started from here on is in them */
    if (pidns)
        join_pid_namespace(pidns); /* first: the path is the pod's view, and entering needs the capability */
    bind_listeners(); /* as root, in the container's network namespace: low ports need no sysctl */
    read_only_view(only, nonly, writable, nwritable, tmp_size, strchr(argv[i], '/') ? argv[i] : NULL, pidns == NULL);
    writable_paths(writable, nwritable);
    if (max_procs > 0) {
        /* The container's uid is its own, so the limit on that uid's processes and threads is the
         * container's: a fork bomb stops at it (fork fails with EAGAIN), as a pod's pids limit. */
        struct rlimit rl = {.rlim_cur = (rlim_t)max_procs, .rlim_max = (rlim_t)max_procs};
        if (setrlimit(RLIMIT_NPROC, &rl) != 0)
            die("setrlimit", "RLIMIT_NPROC");
    }
    drop_privileges((uid_t)uid, (gid_t)gid);
    if (chdir("/") != 0)
        die("chdir", "/");
    if (pidns || exit_fd >= 0)
        shim(exit_fd, pidns != NULL);
    pass_listeners(); /* in the shim's child when there is one: LISTEN_PID is the program's */
    pass_key();
    execvp(argv[i], argv + i);
    fprintf(stderr, "contain: exec %s: %s\n", argv[i], strerror(errno));
    return 127;
}
