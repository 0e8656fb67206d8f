/*
 * workload.c - podlab's built-in container workloads, native.
 *
 * Responsibility:
 *   The servers podlab runs as "containers" inside a pod's namespaces (http-echo, tcp-echo,
 *   udp-echo). They report what the network looked like from the server side: which pod
 *   answered, on which address, and which client address arrived, so a lab shows Service load
 *   balancing, SNAT/DNAT and pod-to-pod addressing. Same command line, same answers and the same
 *   "listening" line as the servers of assets/workload.mjs (the reference, kept for reading and
 *   for running by hand); this one starts in a millisecond and holds well under 1 MiB, where a
 *   Node server cost about 100 ms of CPU to start and 40 MiB to keep.
 *
 * Contract:
 *   workload http-echo --port P [--pod NAME] [--key-fd N]
 *                                              HTTP 200 JSON {pod,[proof,]podIP,client,clientPort,method,path,hostname,headers,host}
 *   workload tcp-echo  --port P [--pod NAME]   echoes every byte; closes after the client closes its side
 *   workload udp-echo  --port P [--pod NAME]   answers each datagram with the same payload
 *   - Listens on [::] (dual stack), or on 0.0.0.0 when IPv6 is unavailable in the namespace.
 *   - Once listening, prints {"event":"listening","mode":M,"pod":NAME,"host":H,"port":P} on stdout.
 *   - The pod name is --pod, else $POD_NAME, else the hostname. Addresses are printed as IPv4
 *     when they are IPv4-mapped (::ffff:a.b.c.d).
 *   - http-echo answers each request and closes the connection ("Connection: close").
 *   - Failing on demand (for readiness and liveness probes): after SIGUSR1, http-echo answers
 *     requests for /healthz (and below) with 503; SIGUSR2 makes it healthy again. Every other
 *     path keeps answering 200, so a learner sees a pod that serves but is not ready.
 *   - Proving who answered (SECURITY.md, boundary 13): with --key-fd, http-echo reads its key (16 to
 *     64 bytes, podlab's HMAC of the lab's secret and this pod's name) from descriptor N, closes
 *     it, and answers a request that carries `X-Podlab-Nonce: V` (V: 1 to 128 of [A-Za-z0-9_-])
 *     with "proof": the hex HMAC-SHA256 under that key of "podlab http-echo v1\n" V "\n" client
 *     "\n" path — the nonce, and the client address and path it reports. A check's judge, which
 *     can make the key again, believes the answer's pod only when the proof holds for the nonce it
 *     sent; the key itself is never printed. Without a key or a nonce, no "proof".
 *   - Exit: 0 on SIGTERM/SIGINT, 1 when it cannot listen, 2 on a usage error (a key that cannot be
 *     read too).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "sha256.h"

#define MAX_CONNS 512
#define MAX_REQUEST 16384
/* A connection without a byte either way for this long is closed: a client that vanished (its pod
 * deleted, its node unplugged) must not hold one of the MAX_CONNS slots for ever. */
#define IDLE_SECONDS 30

static const char USAGE[] =
    "usage: workload MODE --port P [--pod NAME] [--key-fd N]\n"
    "  http-echo   HTTP 200 JSON {pod,podIP,client,clientPort,method,path,hostname,headers,host}\n"
    "              (with --key-fd, a request with X-Podlab-Nonce gets a \"proof\" too)\n"
    "  tcp-echo    echo every byte received\n"
    "  udp-echo    reply to each datagram with the same payload\n";

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }
static volatile sig_atomic_t unhealthy;
static void on_health(int sig) { unhealthy = sig == SIGUSR1; }

static void usage_exit(const char *msg, const char *arg)
{
    if (msg)
        fprintf(stderr, "workload: %s%s%s\n", msg, arg ? " " : "", arg ? arg : "");
    fputs(USAGE, stderr);
    exit(2);
}

/* ---------------------------------------------------------------- JSON */

/* Appends s as a JSON string to out (bounded); returns the new length. */
static size_t json_str(char *out, size_t len, size_t cap, const char *s)
{
    if (len + 2 >= cap)
        return len;
    out[len++] = '"';
    for (; *s && len + 8 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[len++] = '\\';
            out[len++] = (char)c;
        } else if (c < 0x20) {
            len += (size_t)snprintf(out + len, cap - len, "\\u%04x", c);
        } else {
            out[len++] = (char)c;
        }
    }
    out[len++] = '"';
    out[len] = '\0';
    return len;
}

/* Appends formatted text to out (bounded: never past cap - 1); returns the new length. */
static size_t appendf(char *out, size_t len, size_t cap, const char *fmt, ...)
{
    if (len + 1 >= cap)
        return len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + len, cap - len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return len;
    return len + (size_t)n < cap ? len + (size_t)n : cap - 1;
}

/* ---------------------------------------------------------------- sockets */


/* A listening (or bound, for UDP) socket on [::]:port dual stack, else 0.0.0.0:port. */
static int listen_dual(int type, int port, const char **host)
{
    int one = 1, zero = 0;
    int fd = socket(AF_INET6, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0) {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port), .sin6_addr = in6addr_any};
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (bind(fd, (struct sockaddr *)&a6, sizeof a6) == 0 && (type != SOCK_STREAM || listen(fd, 511) == 0)) {
            *host = "::";
            return fd;
        }
        int e = errno;
        close(fd);
        if (e == EADDRINUSE || e == EACCES) {
            errno = e;
            return -1;
        }
    }
    fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port), .sin_addr = {htonl(INADDR_ANY)}};
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&a4, sizeof a4) < 0 || (type == SOCK_STREAM && listen(fd, 511) < 0)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    *host = "0.0.0.0";
    return fd;
}

/* ---------------------------------------------------------------- connections */

struct conn {
    int fd;
    time_t last; /* last activity, CLOCK_MONOTONIC seconds */
    size_t len;      /* http: request bytes read; tcp: bytes waiting to be echoed */
    size_t off;      /* bytes of out already written */
    int peer_closed; /* tcp: the client ended its side */
    char *buf;       /* http: request; tcp: echo backlog */
    char *out;       /* http: response */
    size_t out_len;
};

static const char *pod;
static char hostname[256];
/* The key of --key-fd: what proves this pod's answers (never printed). */
static unsigned char key[64];
static size_t key_len;

#define MAX_NONCE 128

/*
 * The value of the request's X-Podlab-Nonce header into nonce (at most MAX_NONCE bytes of
 * [A-Za-z0-9_-]); 0 when there is none or it is not one.
 */
static int request_nonce(const char *req, size_t len, char nonce[MAX_NONCE + 1])
{
    static const char name[] = "x-podlab-nonce:";
    const char *line = memchr(req, '\n', len);
    while (line && ++line < req + len) {
        const char *end = memchr(line, '\n', (size_t)(req + len - line));
        if (!end)
            return 0;
        size_t ll = (size_t)(end - line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (!ll)
            return 0; /* the end of the headers */
        if (ll > sizeof name - 1 && !strncasecmp(line, name, sizeof name - 1)) {
            const char *v = line + sizeof name - 1, *ve = line + ll;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t vl = (size_t)(ve - v);
            if (vl == 0 || vl > MAX_NONCE)
                return 0;
            for (size_t i = 0; i < vl; i++)
                if (!isalnum((unsigned char)v[i]) && v[i] != '-' && v[i] != '_')
                    return 0;
            memcpy(nonce, v, vl);
            nonce[vl] = '\0';
            return 1;
        }
        line = end;
    }
    return 0;
}

/* The answer's proof (see the contract) as 64 hex digits into hex. */
static void proof_of(const char *nonce, const char *client, const char *path, char hex[2 * SHA256_DIGEST + 1])
{
    static const char tag[] = "podlab http-echo v1\n";
    const void *parts[] = {tag, nonce, "\n", client, "\n", path};
    size_t lens[] = {sizeof tag - 1, strlen(nonce), 1, strlen(client), 1, strlen(path)};
    unsigned char mac[SHA256_DIGEST];
    hmac_sha256(key, key_len, parts, lens, 6, mac);
    for (int i = 0; i < SHA256_DIGEST; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

/* Reads the key from fd (16 to 64 bytes, to its end) and closes it; exits 2 when it cannot. */
static void read_key(const char *arg)
{
    char *end;
    long fd = strtol(arg, &end, 10);
    if (!*arg || *end || fd < 0 || fd > 1023)
        usage_exit("invalid --key-fd", arg);
    key_len = 0;
    for (;;) {
        ssize_t n = read((int)fd, key + key_len, sizeof key - key_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            usage_exit("cannot read the key of --key-fd", arg);
        if (n == 0)
            break;
        key_len += (size_t)n;
        if (key_len == sizeof key) {
            char extra;
            if (read((int)fd, &extra, 1) != 0)
                usage_exit("the key of --key-fd is longer than 64 bytes", NULL);
            break;
        }
    }
    close((int)fd);
    if (key_len < 16)
        usage_exit("the key of --key-fd is shorter than 16 bytes", NULL);
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->buf);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Builds the http-echo answer for the request in c->buf. */
static void http_answer(struct conn *c)
{
    char method[16] = "GET", path[2048] = "/";
    char *line_end = memchr(c->buf, '\n', c->len);
    if (line_end) {
        char *sp1 = memchr(c->buf, ' ', (size_t)(line_end - c->buf));
        if (sp1) {
            size_t ml = (size_t)(sp1 - c->buf) < sizeof method - 1 ? (size_t)(sp1 - c->buf) : sizeof method - 1;
            memcpy(method, c->buf, ml);
            method[ml] = '\0';
            char *p = sp1 + 1;
            char *sp2 = memchr(p, ' ', (size_t)(line_end - p));
            size_t pl = (size_t)((sp2 ? sp2 : line_end) - p);
            if (pl >= sizeof path)
                pl = sizeof path - 1;
            memcpy(path, p, pl);
            path[pl] = '\0';
            if (pl && path[pl - 1] == '\r')
                path[pl - 1] = '\0';
        }
    }
    char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
    int lp, rp;
    socket_ends(c->fd, la, &lp, ra, &rp, sizeof la);

    char body[65536]; /* the longest answer (a 2 KiB path and 16 KiB of headers, escaped) fits */
    size_t n = 0;
    n = appendf(body, n, sizeof body, "{\"pod\":");
    n = json_str(body, n, sizeof body, pod);
    char nonce[MAX_NONCE + 1];
    if (key_len && request_nonce(c->buf, c->len, nonce)) {
        char proof[2 * SHA256_DIGEST + 1];
        proof_of(nonce, ra, path, proof);
        n = appendf(body, n, sizeof body, ",\"proof\":\"%s\"", proof);
    }
    n = appendf(body, n, sizeof body, ",\"podIP\":");
    n = json_str(body, n, sizeof body, la);
    n = appendf(body, n, sizeof body, ",\"client\":");
    n = json_str(body, n, sizeof body, ra);
    n = appendf(body, n, sizeof body, ",\"clientPort\":%d,\"method\":", rp);
    n = json_str(body, n, sizeof body, method);
    n = appendf(body, n, sizeof body, ",\"path\":");
    n = json_str(body, n, sizeof body, path);
    n = appendf(body, n, sizeof body, ",\"hostname\":");
    n = json_str(body, n, sizeof body, hostname);
    /* The request's headers (names lower-cased, as HTTP/2 and most echo servers show them) and
     * its Host, so that an ingress's routing, rewriting and X-Forwarded-* headers are visible. */
    char host[256] = "";
    n = appendf(body, n, sizeof body, ",\"headers\":{");
    int first = 1;
    char *line = line_end ? line_end + 1 : NULL;
    while (line && line < c->buf + c->len) {
        char *end = memchr(line, '\n', (size_t)(c->buf + c->len - line));
        if (!end)
            break;
        size_t ll = (size_t)(end - line);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (!ll)
            break;
        char *colon = memchr(line, ':', ll);
        if (colon && colon > line) {
            char name[128], value[2048];
            size_t nl = (size_t)(colon - line) < sizeof name - 1 ? (size_t)(colon - line) : sizeof name - 1;
            for (size_t i = 0; i < nl; i++)
                name[i] = (char)tolower((unsigned char)line[i]);
            name[nl] = '\0';
            char *v = colon + 1;
            while (v < line + ll && (*v == ' ' || *v == '\t'))
                v++;
            size_t vl = (size_t)(line + ll - v) < sizeof value - 1 ? (size_t)(line + ll - v) : sizeof value - 1;
            memcpy(value, v, vl);
            value[vl] = '\0';
            if (!strcmp(name, "host")) {
                size_t hl = vl < sizeof host - 1 ? vl : sizeof host - 1;
                memcpy(host, value, hl);
                host[hl] = '\0';
            }
            n = appendf(body, n, sizeof body, first ? "" : ",");
            n = json_str(body, n, sizeof body, name);
            n = appendf(body, n, sizeof body, ":");
            n = json_str(body, n, sizeof body, value);
            first = 0;
        }
        line = end + 1;
    }
    n = appendf(body, n, sizeof body, "},\"host\":");
    n = json_str(body, n, sizeof body, host);
    n = appendf(body, n, sizeof body, "}\n");

    c->out = malloc(n + 256);
    if (!c->out) {
        c->out_len = 0;
        return;
    }
    int sick = unhealthy && !strncmp(path, "/healthz", 8) && (path[8] == '\0' || path[8] == '/' || path[8] == '?');
    c->out_len = (size_t)snprintf(c->out, 256,
                                  "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                                  sick ? "503 Service Unavailable" : "200 OK", n);
    memcpy(c->out + c->out_len, body, n);
    c->out_len += n;
    c->off = 0;
}

/* Writes what is pending; 1 when all of it went out, 0 when it must wait, -1 on error. */
static int flush_out(int fd, const char *data, size_t len, size_t *off)
{
    while (*off < len) {
        ssize_t w = send(fd, data + *off, len - *off, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        *off += (size_t)w;
    }
    return 1;
}

/* http-echo: one request, one answer, close. Returns 0 to keep the connection, -1 to close it. */
static int http_event(struct conn *c, short revents)
{
    if (!c->out) {
        if (!(revents & (POLLIN | POLLHUP | POLLERR)))
            return 0;
        if (!c->buf && !(c->buf = malloc(MAX_REQUEST + 1)))
            return -1;
        ssize_t n = recv(c->fd, c->buf + c->len, MAX_REQUEST - c->len, 0);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : -1;
        c->len += (size_t)n;
        c->buf[c->len] = '\0';
        if (!strstr(c->buf, "\r\n\r\n") && !strstr(c->buf, "\n\n")) {
            if (c->len < MAX_REQUEST)
                return 0;
            static const char too_big[] = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            if (send(c->fd, too_big, sizeof too_big - 1, MSG_NOSIGNAL) < 0) { /* closing anyway */ }
            return -1;
        }
        http_answer(c);
        if (!c->out)
            return -1;
    }
    int r = flush_out(c->fd, c->out, c->out_len, &c->off);
    if (r <= 0)
        return r;
    shutdown(c->fd, SHUT_WR);
    /* Unread bytes (a request body) would turn the close into a reset that can destroy the answer. */
    char sink[4096];
    while (recv(c->fd, sink, sizeof sink, 0) > 0) {
    }
    return -1;
}

/* tcp-echo: echo everything; when the client has closed its side and all is echoed, close. */
static int tcp_event(struct conn *c, short revents)
{
    if (c->len > c->off) {
        int r = flush_out(c->fd, c->buf, c->len, &c->off);
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
    }
    c->len = c->off = 0;
    if (!c->peer_closed && (revents & (POLLIN | POLLHUP | POLLERR))) {
        if (!c->buf && !(c->buf = malloc(65536)))
            return -1;
        ssize_t n = recv(c->fd, c->buf, 65536, 0);
        if (n == 0)
            c->peer_closed = 1;
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        else if (n > 0) {
            c->len = (size_t)n;
            return tcp_event(c, 0);
        }
    }
    if (c->peer_closed) {
        shutdown(c->fd, SHUT_WR);
        return -1;
    }
    return 0;
}

static time_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static int serve_stream(int lfd, int http)
{
    static struct conn conns[MAX_CONNS];
    static struct pollfd pfds[MAX_CONNS + 1];
    for (int i = 0; i < MAX_CONNS; i++)
        conns[i].fd = -1;
    while (!stop) {
        int n = 0;
        pfds[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        int map[MAX_CONNS + 1];
        for (int i = 0; i < MAX_CONNS; i++) {
            if (conns[i].fd < 0)
                continue;
            short ev = (conns[i].out && conns[i].off < conns[i].out_len) || conns[i].len > conns[i].off ? POLLOUT : POLLIN;
            map[n] = i;
            pfds[n++] = (struct pollfd){.fd = conns[i].fd, .events = ev};
        }
        int ready = poll(pfds, (nfds_t)n, n > 1 ? 1000 : -1);
        if (ready < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        time_t now = now_s();
        for (int k = 1; k < n; k++) {
            struct conn *c = &conns[map[k]];
            if (!pfds[k].revents) {
                if (now - c->last > IDLE_SECONDS)
                    conn_close(c);
                continue;
            }
            c->last = now;
            if ((http ? http_event(c, pfds[k].revents) : tcp_event(c, pfds[k].revents)) < 0)
                conn_close(c);
        }
        if (pfds[0].revents & POLLIN) {
            for (;;) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                    break;
                int slot = -1;
                for (int i = 0; i < MAX_CONNS && slot < 0; i++)
                    if (conns[i].fd < 0)
                        slot = i;
                if (slot < 0) {
                    close(fd);
                    continue;
                }
                memset(&conns[slot], 0, sizeof conns[slot]);
                conns[slot].fd = fd;
                conns[slot].last = now_s();
            }
        }
    }
    return 0;
}

static int serve_udp(int fd)
{
    char buf[65536];
    while (!stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0)
            continue;
        for (;;) {
            struct sockaddr_storage from;
            socklen_t fl = sizeof from;
            ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
            if (n < 0)
                break;
            /* Errors on send (e.g. an ICMP error for an earlier reply) are not the server's end. */
            if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, fl) < 0) { /* keep serving */ }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage_exit("missing mode", NULL);
    const char *mode = argv[1];
    if (!strcmp(mode, "--help") || !strcmp(mode, "-h") || !strcmp(mode, "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    int type;
    if (!strcmp(mode, "http-echo") || !strcmp(mode, "tcp-echo"))
        type = SOCK_STREAM;
    else if (!strcmp(mode, "udp-echo"))
        type = SOCK_DGRAM;
    else
        usage_exit("unknown mode", mode);

    long port = -1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            const char *v = argv[++i];
            port = strtol(v, &end, 10);
            if (!*v || *end || port < 1 || port > 65535 || strspn(v, "0123456789") != strlen(v))
                usage_exit("invalid --port", v);
        } else if (!strcmp(argv[i], "--pod") && i + 1 < argc) {
            pod = argv[++i];
        } else if (!strcmp(argv[i], "--key-fd") && i + 1 < argc && type == SOCK_STREAM && !strcmp(mode, "http-echo")) {
            read_key(argv[++i]);
        } else {
            usage_exit("unknown or incomplete option", argv[i]);
        }
    }
    if (port < 0)
        usage_exit("--port is required", NULL);
    if (gethostname(hostname, sizeof hostname - 1) < 0)
        strcpy(hostname, "?");
    if (!pod || !*pod)
        pod = getenv("POD_NAME") && *getenv("POD_NAME") ? getenv("POD_NAME") : hostname;
    if (strlen(pod) > 253)
        usage_exit("pod name longer than 253 bytes", NULL);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* Each blocks the other while it runs: a handler interrupted by the other signal would
     * finish last and undo it. */
    struct sigaction sh = {.sa_handler = on_health};
    sigemptyset(&sh.sa_mask);
    sigaddset(&sh.sa_mask, SIGUSR1);
    sigaddset(&sh.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sh, NULL);
    sigaction(SIGUSR2, &sh, NULL);
    signal(SIGPIPE, SIG_IGN);

    const char *host;
    int fd = listen_dual(type, (int)port, &host);
    if (fd < 0) {
        fprintf(stderr, "workload: %s: cannot listen: %s\n", mode, strerror(errno));
        return 1;
    }
    char line[2048];
    size_t n = appendf(line, 0, sizeof line, "{\"event\":\"listening\",\"mode\":\"%s\",\"pod\":", mode);
    n = json_str(line, n, sizeof line, pod);
    n = appendf(line, n, sizeof line, ",\"host\":\"%s\",\"port\":%ld}\n", host, port);
    fwrite(line, 1, n, stdout);
    fflush(stdout);

    int r = type == SOCK_DGRAM ? serve_udp(fd) : serve_stream(fd, !strcmp(mode, "http-echo"));
    return stop ? 0 : r;
}
