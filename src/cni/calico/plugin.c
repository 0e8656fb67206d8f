/*
 * podlab's `calico` CNI plugin: the pod wiring of Calico's CNI plugin (cni-plugin/pkg/dataplane/
 * linux/dataplane_linux.go), speaking the CNI protocol (CNI_COMMAND ADD/DEL/CHECK/VERSION in the
 * environment, the network configuration on stdin, the result or error JSON on stdout). IPAM is
 * delegated to the plugin named in `ipam` (host-local, with the node's blocks as ranges), found
 * through CNI_PATH, as Calico's own plugin delegates to calico-ipam or host-local.
 *
 * ADD makes a veth whose host side is `cali` + sha1("<namespace>.<pod>")[:11] (Calico's
 * VethNameForWorkload, as src/cni/calico/veth.ts computes it for the plan), MAC
 * ee:ee:ee:ee:ee:ee, no address, proxy ARP on (so it answers ARP for 169.254.1.1), with a /32
 * route to the pod; in the pod, eth0 holds the IP as a /32 with a route to 169.254.1.1 (scope
 * link) and the default route via it. Dual stack (an IPv6 address in the IPAM result too): the pod
 * holds it as a /128 (no DAD: the IPAM owns it) with `default via fe80::ecee:eeff:feee:eeee dev
 * eth0`, the host veth's own link-local address (the kernel derives it from the MAC
 * ee:ee:ee:ee:ee:ee; Calico's plugin reads it off the veth), and the node a /128 route to the pod;
 * the host veth has IPv6, proxy NDP and forwarding on, as Calico's dataplane_linux.go writes them.
 * IPv6 alone (an IPv6-only lab, the IPAM result has no IPv4 address): only the IPv6 half, no /32,
 * no 169.254.1.1 and no proxy ARP.
 * Why not the reference `ptp` plugin: it gives the host side
 * the gateway address, names it veth<random>, keeps the pool's prefix length on the pod's address
 * and routes the subnet via the gateway — a different data plane from Calico's.
 *
 * Why C: it runs once per pod, like the reference plugins. As a bundled Node program it cost
 * about 100 ms of CPU per pod (Node's start-up, then nsenter and ip children); here a pod costs
 * the IPAM plugin and two `ip -batch` children. The pod side is reached with setns(2) on
 * CNI_NETNS, not nsenter. Every command is an argv (no shell).
 *
 * Runs inside the node's network namespace (as the runtime calls every plugin). Compiled by
 * `up` (src/runtime/artifacts.ts, ensureCniPlugins) into build/cni/calico.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define GATEWAY "169.254.1.1"
/* The host veth's own link-local address: EUI-64 of HOST_MAC (ee → ec, the universal/local bit flipped). */
#define GATEWAY6 "fe80::ecee:eeff:feee:eeee"
#define HOST_MAC "ee:ee:ee:ee:ee:ee"

static const char *SUPPORTED[] = {"0.3.1", "0.4.0", "1.0.0"};
static char version[32] = "1.0.0";

/* ---- errors: the CNI "Error" result on stdout, exit 1 ---- */

static void json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void (*on_fail)(void);

static void fail(int code, const char *msg, const char *fmt, ...) {
    char details[4096] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(details, sizeof details, fmt, ap);
        va_end(ap);
    }
    if (on_fail) {
        void (*undo)(void) = on_fail;
        on_fail = NULL;
        undo();
    }
    printf("{\"cniVersion\":");
    json_str(stdout, version);
    printf(",\"code\":%d,\"msg\":", code);
    json_str(stdout, msg);
    printf(",\"details\":");
    json_str(stdout, details);
    printf("}");
    fflush(stdout);
    exit(1);
}

/* ---- a JSON reader just large enough for a network configuration and an IPAM result ---- */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* The end of the value starting at p (after leading whitespace), or NULL if malformed. */
static const char *skip(const char *p) {
    p = ws(p);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1]) p++;
        return *p ? p + 1 : NULL;
    }
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (!(p = skip(p))) return NULL;
                p = ws(p);
                if (*p++ != ':') return NULL;
            }
            if (!(p = skip(p))) return NULL;
            p = ws(p);
            if (*p == ',') p = ws(p + 1);
            else if (*p == close) return p + 1;
            else return NULL;
        }
    }
    if (!*p) return NULL;
    while (*p && !strchr(",}] \t\r\n", *p)) p++;
    return p;
}

/* The value of `key` in the object starting at obj, or NULL. */
static const char *member(const char *obj, const char *key) {
    const char *p = obj ? ws(obj) : NULL;
    if (!p || *p != '{') return NULL;
    p = ws(p + 1);
    size_t n = strlen(key);
    while (*p == '"') {
        const char *k = p + 1, *end = skip(p);
        if (!end) return NULL;
        p = ws(end);
        if (*p++ != ':') return NULL;
        p = ws(p);
        if ((size_t)(end - 1 - k) == n && strncmp(k, key, n) == 0) return p;
        if (!(p = skip(p))) return NULL;
        p = ws(p);
        if (*p == ',') p = ws(p + 1);
    }
    return NULL;
}

/* Copies the string value at p (escapes kept as the character after the backslash) into out. */
static int string_at(const char *p, char *out, size_t size) {
    if (!p || *(p = ws(p)) != '"') return 0;
    size_t i = 0;
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        if (i + 1 < size) out[i++] = *p;
    }
    out[i] = 0;
    return *p == '"';
}

/* ---- SHA-1 (FIPS 180-4), for Calico's veth name ---- */

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_hex(const char *msg, char hex[41]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t len = strlen(msg), total = ((len + 8) / 64 + 1) * 64;
    unsigned char *buf = calloc(total, 1);
    if (!buf) fail(999, "out of memory", NULL);
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) buf[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[80];
        for (int i = 0; i < 16; i++) w[i] = (uint32_t)buf[off + 4 * i] << 24 | (uint32_t)buf[off + 4 * i + 1] << 16 | (uint32_t)buf[off + 4 * i + 2] << 8 | buf[off + 4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
            else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
            else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
            else f = b ^ c ^ d, k = 0xCA62C1D6;
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d, d = c, c = rol(b, 30), b = a, a = t;
        }
        h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
    }
    free(buf);
    for (int i = 0; i < 5; i++) sprintf(hex + 8 * i, "%08x", h[i]);
}

/* ---- children ---- */

static char *read_all(int fd) {
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    if (!b) fail(999, "out of memory", NULL);
    for (;;) {
        if (len + 1 >= cap && !(b = realloc(b, cap *= 2))) fail(999, "out of memory", NULL);
        ssize_t n = read(fd, b + len, cap - len - 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
    }
    b[len] = 0;
    return b;
}

/* Runs argv with `input` on its stdin (and CNI_COMMAND=command if set); its stdout in *out, stderr in *err. Returns the exit status. */
static int run(char *const argv[], const char *input, const char *command, char **out, char **err) {
    int in[2], o[2], e[2];
    if (pipe(in) || pipe(o) || pipe(e)) fail(999, "pipe failed", "%s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) fail(999, "fork failed", "%s", strerror(errno));
    if (pid == 0) {
        dup2(in[0], 0), dup2(o[1], 1), dup2(e[1], 2);
        close(in[0]), close(in[1]), close(o[0]), close(o[1]), close(e[0]), close(e[1]);
        if (command) setenv("CNI_COMMAND", command, 1);
        execvp(argv[0], argv);
        fprintf(stderr, "%s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]), close(o[1]), close(e[1]);
    /* Inputs are a few kB, below a pipe's 64 kB: written whole before reading. */
    if (input) {
        size_t len = strlen(input);
        while (len) {
            ssize_t n = write(in[1], input, len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            input += n, len -= (size_t)n;
        }
    }
    close(in[1]);
    char *so = read_all(o[0]), *se = read_all(e[0]);
    close(o[0]), close(e[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (out) *out = so; else free(so);
    if (err) *err = se; else free(se);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void ip_batch(const char *batch, const char *what) {
    char *argv[] = {"ip", "-batch", "-", NULL}, *err = NULL;
    if (run(argv, batch, NULL, NULL, &err) != 0) fail(11, what, "ip -batch -: %s", err);
    free(err);
}

/* ---- the plugin ---- */

static char *raw;          /* the network configuration, as read */
static char ipam_bin[4096];
static char veth[16];

static const char *env(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) fail(4, "missing environment variable", "the runtime must set %s (CNI spec, \"Parameters\")", name);
    return v;
}

/* A CNI_ARGS value (`K=V;K=V`), or "" */
static void cni_arg(const char *key, char *out, size_t size) {
    const char *a = getenv("CNI_ARGS");
    size_t n = strlen(key);
    out[0] = 0;
    while (a && *a) {
        const char *end = strchr(a, ';');
        size_t len = end ? (size_t)(end - a) : strlen(a);
        if (len > n && strncmp(a, key, n) == 0 && a[n] == '=') {
            snprintf(out, size, "%.*s", (int)(len - n - 1), a + n + 1);
            return;
        }
        a = end ? end + 1 : NULL;
    }
}

static void find_ipam(const char *type) {
    const char *path = env("CNI_PATH");
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        snprintf(ipam_bin, sizeof ipam_bin, "%.*s/%s", (int)len, path, type);
        if (len && access(ipam_bin, X_OK) == 0) return;
        path = end ? end + 1 : path + len;
    }
    fail(5, "IPAM plugin not found", "\"%s\" in CNI_PATH=%s", type, getenv("CNI_PATH"));
}

/* Delegates to the IPAM plugin with the same environment and configuration (CNI spec, "Delegated plugins"). */
static char *ipam(const char *command) {
    char *argv[] = {ipam_bin, NULL}, *out = NULL, *err = NULL;
    if (run(argv, raw, command, &out, &err) != 0) {
        char msg[512] = "failed", details[2048] = "";
        string_at(member(out, "msg"), msg, sizeof msg);
        if (!string_at(member(out, "details"), details, sizeof details)) snprintf(details, sizeof details, "%s", err);
        const char *code = member(out, "code");
        char full[600];
        snprintf(full, sizeof full, "IPAM %s: %s", command, msg);
        fail(code ? atoi(code) : 11, full, "%s", details);
    }
    free(err);
    return out;
}

static void veth_name(void) {
    char pod[256], ns[256], hex[41], key[520];
    cni_arg("K8S_POD_NAME", pod, sizeof pod);
    cni_arg("K8S_POD_NAMESPACE", ns, sizeof ns);
    if (pod[0]) snprintf(key, sizeof key, "%s.%s", ns[0] ? ns : "default", pod);
    else snprintf(key, sizeof key, "%s", env("CNI_CONTAINERID"));
    sha1_hex(key, hex);
    snprintf(veth, sizeof veth, "cali%.11s", hex);
}

static int node_ns = -1; /* set while the plugin is inside the pod's namespace */

static void undo_add(void) {
    if (node_ns >= 0 && setns(node_ns, CLONE_NEWNET) == 0) node_ns = -1;
    char *del[] = {"ip", "link", "del", veth, NULL};
    run(del, NULL, NULL, NULL, NULL);
    char *argv[] = {ipam_bin, NULL};
    run(argv, raw, "DEL", NULL, NULL); /* the ADD's error is the one to report */
}

static void set_sysctl_of(const char *fmt, const char *ifname, const char *value) {
    char path[256];
    snprintf(path, sizeof path, fmt, ifname);
    int fd = open(path, O_WRONLY);
    if (fd < 0 || write(fd, value, strlen(value)) < 0) fail(11, "setting a sysctl failed", "%s: %s", path, strerror(errno));
    close(fd);
}

static void set_sysctl(const char *fmt, const char *value) { set_sysctl_of(fmt, veth, value); }

/* The MAC of `ifname` in the current network namespace, or "". */
static void mac_of(const char *ifname, char out[18]) {
    struct ifreq r;
    memset(&r, 0, sizeof r);
    snprintf(r.ifr_name, sizeof r.ifr_name, "%s", ifname);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    out[0] = 0;
    if (s >= 0 && ioctl(s, SIOCGIFHWADDR, &r) == 0) {
        unsigned char *m = (unsigned char *)r.ifr_hwaddr.sa_data;
        snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    }
    if (s >= 0) close(s);
}

static void add(int mtu) {
    const char *netns = env("CNI_NETNS"), *ifname = env("CNI_IFNAME");
    if (strlen(ifname) >= IFNAMSIZ) fail(4, "CNI_IFNAME too long", "%s", ifname);
    char *result = ipam("ADD");
    on_fail = undo_add;
    /* The first IPv4 and the first IPv6 address of the IPAM result's ips. */
    char address[64] = "", address6[64] = "";
    const char *ips = member(result, "ips");
    if (ips && *(ips = ws(ips)) == '[') {
        const char *p = ws(ips + 1);
        while (*p == '{') {
            char a[64];
            if (string_at(member(p, "address"), a, sizeof a)) {
                char *into = strchr(a, ':') ? address6 : address;
                if (!into[0]) snprintf(into, 64, "%.*s", (int)strcspn(a, "/"), a);
            }
            if (!(p = skip(p))) break;
            p = ws(p);
            if (*p == ',') p = ws(p + 1);
        }
    }
    /* IPv4, dual stack, or IPv6 alone (an IPv6-only lab: host-local's one range set is IPv6). */
    if (!address[0] && !address6[0]) fail(11, "IPAM returned no address", "%s", result);

    /* The node side: the veth pair (its pod end created straight in the pod's namespace), the host end up with Calico's MAC, a /32 route to the pod. */
    char batch[1024];
    snprintf(batch, sizeof batch,
             "link add name %s address " HOST_MAC " mtu %d type veth peer name %s mtu %d netns %s\n"
             "link set dev %s up\n",
             veth, mtu, ifname, mtu, netns, veth);
    ip_batch(batch, "creating the veth failed");
    if (address[0]) {
        snprintf(batch, sizeof batch, "route replace %s/32 dev %s scope link\n", address, veth);
        ip_batch(batch, "adding the pod's route failed");
        /* Proxy ARP: the host end answers the pod's ARP for 169.254.1.1 with its own MAC, at once. */
        set_sysctl("/proc/sys/net/ipv4/conf/%s/proxy_arp", "1");
        set_sysctl("/proc/sys/net/ipv4/neigh/%s/proxy_delay", "0");
        set_sysctl("/proc/sys/net/ipv4/conf/%s/forwarding", "1");
    }
    if (address6[0]) {
        set_sysctl("/proc/sys/net/ipv6/conf/%s/disable_ipv6", "0");
        set_sysctl("/proc/sys/net/ipv6/conf/%s/proxy_ndp", "1");
        set_sysctl("/proc/sys/net/ipv6/conf/%s/forwarding", "1");
        snprintf(batch, sizeof batch, "route replace %s/128 dev %s\n", address6, veth);
        ip_batch(batch, "adding the pod's IPv6 route failed");
    }

    /* The pod side, from inside its namespace: the address as a /32, the gateway on the link, the default route via it. */
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), pod = open(netns, O_RDONLY | O_CLOEXEC);
    if (self < 0 || pod < 0) fail(11, "opening the network namespaces failed", "%s: %s", netns, strerror(errno));
    node_ns = self;
    if (setns(pod, CLONE_NEWNET)) fail(11, "entering the pod's network namespace failed", "%s: %s", netns, strerror(errno));
    if (address[0])
        snprintf(batch, sizeof batch,
                 "link set dev %s up\n"
                 "address add %s/32 dev %s\n"
                 "route add " GATEWAY " dev %s scope link\n"
                 "route add default via " GATEWAY " dev %s\n",
                 ifname, address, ifname, ifname, ifname);
    else
        snprintf(batch, sizeof batch, "link set dev %s up\n", ifname);
    ip_batch(batch, "configuring the pod side failed");
    if (address6[0]) {
        set_sysctl_of("/proc/sys/net/ipv6/conf/%s/accept_dad", ifname, "0");
        snprintf(batch, sizeof batch,
                 "address add %s/128 dev %s nodad\n"
                 "route add ::/0 via " GATEWAY6 " dev %s\n",
                 address6, ifname, ifname);
        ip_batch(batch, "configuring the pod's IPv6 side failed");
    }
    char mac[18];
    mac_of(ifname, mac);
    if (setns(self, CLONE_NEWNET)) fail(11, "returning to the node's network namespace failed", "%s", strerror(errno));
    node_ns = -1;
    close(self), close(pod);

    printf("{\"cniVersion\":");
    json_str(stdout, version);
    char ip4[160] = "", route4[96] = "", ip6[160] = "", route6[96] = "";
    if (address[0]) {
        snprintf(ip4, sizeof ip4, "{\"address\":\"%s/32\",\"gateway\":\"" GATEWAY "\",\"interface\":1}", address);
        snprintf(route4, sizeof route4, "{\"dst\":\"0.0.0.0/0\",\"gw\":\"" GATEWAY "\"}");
    }
    if (address6[0]) {
        snprintf(ip6, sizeof ip6, "%s{\"address\":\"%s/128\",\"gateway\":\"" GATEWAY6 "\",\"interface\":1}", address[0] ? "," : "", address6);
        snprintf(route6, sizeof route6, "%s{\"dst\":\"::/0\",\"gw\":\"" GATEWAY6 "\"}", address[0] ? "," : "");
    }
    printf(",\"interfaces\":[{\"name\":\"%s\",\"mac\":\"" HOST_MAC "\"},{\"name\":", veth);
    json_str(stdout, ifname);
    printf(",\"mac\":\"%s\",\"sandbox\":", mac);
    json_str(stdout, netns);
    printf("}],\"ips\":[%s%s],\"routes\":[%s%s],\"dns\":{}}", ip4, ip6, route4, route6);
    on_fail = NULL;
    free(result);
}

static void del(void) {
    char pod[256];
    cni_arg("K8S_POD_NAME", pod, sizeof pod);
    if (pod[0]) {
        char *argv[] = {"ip", "link", "del", veth, NULL};
        run(argv, NULL, NULL, NULL, NULL); /* gone already is fine */
    }
    free(ipam("DEL"));
}

static void check(void) {
    char pod[256], mac[18];
    cni_arg("K8S_POD_NAME", pod, sizeof pod);
    if (!pod[0]) return;
    mac_of(veth, mac);
    if (!mac[0]) fail(11, "host veth is missing", "%s", veth);
    if (strcmp(mac, HOST_MAC)) fail(11, "host veth has the wrong MAC", "%s has %s, not " HOST_MAC, veth, mac);
    free(ipam("CHECK"));
}

int main(void) {
    const char *command = getenv("CNI_COMMAND");
    if (command && !strcmp(command, "VERSION")) {
        printf("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.1\",\"0.4.0\",\"1.0.0\"]}");
        return 0;
    }
    raw = read_all(0);
    if (!skip(raw)) fail(6, "the network configuration is not JSON", NULL);
    char v[32] = "", ipam_type[256] = "";
    string_at(member(raw, "cniVersion"), v, sizeof v);
    int ok = 0;
    for (size_t i = 0; i < sizeof SUPPORTED / sizeof *SUPPORTED; i++) ok |= !strcmp(v, SUPPORTED[i]);
    if (!ok) fail(1, "incompatible CNI version", "\"%s\"; supported: 0.3.1, 0.4.0, 1.0.0", v);
    snprintf(version, sizeof version, "%s", v);
    if (!string_at(member(member(raw, "ipam"), "type"), ipam_type, sizeof ipam_type) || !ipam_type[0])
        fail(7, "no IPAM plugin in the network configuration", "set ipam.type, e.g. \"host-local\"");
    const char *m = member(raw, "mtu");
    int mtu = m ? atoi(m) : 1500;
    if (mtu < 68 || mtu > 65535) fail(7, "mtu out of range", "%d", mtu);
    find_ipam(ipam_type);
    veth_name();
    if (command && !strcmp(command, "ADD")) add(mtu);
    else if (command && !strcmp(command, "DEL")) del();
    else if (command && !strcmp(command, "CHECK")) check();
    else fail(4, "unknown CNI_COMMAND", "\"%s\"", command ? command : "");
    fflush(stdout);
    return 0;
}
