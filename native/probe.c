/*
 * probe.c - podlab's native check client.
 *
 * Responsibility:
 *   The client half of podlab's connectivity checks (TCP connect, UDP echo,
 *   HTTP GET), run inside a pod's or node's namespaces by nsenter. It speaks
 *   the same command line and prints the same one JSON line as the clients of
 *   assets/workload.mjs, so a check's judge reads either; it exists because a
 *   probe is run hundreds of times per check run and Node's start-up (tens of
 *   milliseconds of CPU) dominated every probe. This one costs about 1 ms.
 *
 * Contract:
 *   probe tcp-connect     --host IP --port P [--timeout-ms 2000]
 *         -> {"ok":true,"local":IP,"localPort":N,"remote":IP,"remotePort":N}
 *   probe udp-echo-client --host IP --port P --message M [--timeout-ms 2000]
 *         -> {"ok":B,"sent":M,"received":S,"local":IP,"remote":IP}
 *   probe http-get        --url http://IP[:P]/PATH [--timeout-ms 2000] [--count N] [--nonces V,V,...]
 *         N = 1 -> {"ok":true,"status":N,"body":S}
 *         N > 1 -> {"ok":true,"status":N,"body":S,"answers":[{"pod":S,"client":S,"path":S,"proof":S},...]}
 *                  each request on a new connection; pod, client, path and proof are
 *                  read from each answer's JSON body (an http-echo server's), else null.
 *         --nonces: one per request (N of them, each 1 to 128 of [A-Za-z0-9_-]), request i
 *                  sent with "X-Podlab-Nonce: V_i": the http-echo of the pod that answers it
 *                  proves who it is (SECURITY.md, boundary 13; the check's judge verifies).
 *   Any failure: {"ok":false,"code":"ECONNREFUSED","error":"connect ECONNREFUSED IP:P"}
 *   (http-get with N > 1 adds "answered" and "answers" so far).
 *   Hosts are IP literals (IPv4, or IPv6 in brackets in a URL): checks always
 *   target addresses, never names. The timeout covers each whole attempt.
 *   tcp-connect, udp-echo-client and http-get's connect try again on a new
 *   socket every RESEND_MS while nothing has answered; the first answer decides.
 *   Exit status: 0 ok, 1 check failed, 2 usage error (message on stderr).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

#define MAX_BODY (64 * 1024)
#define MAX_RESPONSE (MAX_BODY + 16 * 1024)
#define DEFAULT_TIMEOUT_MS 2000

static const char USAGE[] =
    "usage: probe MODE [options]  (one JSON line on stdout; exit 0 ok, 1 failure, 2 usage)\n"
    "  tcp-connect     --host IP --port P [--timeout-ms 2000]\n"
    "  udp-echo-client --host IP --port P --message M [--timeout-ms 2000]\n"
    "  http-get        --url http://IP[:P]/PATH [--timeout-ms 2000] [--count N] [--nonces V,V,...]\n";

static void usage_exit(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs("probe: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fputs(USAGE, stderr);
    exit(2);
}

/* ------------------------------------------------------------ JSON output */

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fputs("probe: out of memory\n", stderr);
            exit(1);
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_fmt(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string of n bytes (UTF-8 passed through; invalid bytes as U+FFFD). */
static void buf_json(struct buf *b, const char *s, size_t n)
{
    buf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            buf_put(b, esc, 2);
        } else if (c == '\n') {
            buf_put(b, "\\n", 2);
        } else if (c == '\r') {
            buf_put(b, "\\r", 2);
        } else if (c == '\t') {
            buf_put(b, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_put(b, esc, 6);
        } else if (c < 0x80) {
            buf_put(b, (const char *)&s[i], 1);
        } else {
            /* Validate one UTF-8 sequence; pass it through whole or replace the lead byte. */
            size_t len = c >= 0xf5 ? 0 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
            int valid = len > 0 && i + len <= n;
            for (size_t k = 1; valid && k < len; k++)
                valid = ((unsigned char)s[i + k] & 0xc0) == 0x80;
            if (valid) {
                /* No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. */
                unsigned char c1 = (unsigned char)s[i + 1];
                valid = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 > 0x9f) && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 > 0x8f);
            }
            if (valid) {
                buf_put(b, &s[i], len);
                i += len - 1;
            } else {
                buf_put(b, "\xef\xbf\xbd", 3);
            }
        }
    }
    buf_put(b, "\"", 1);
}

static void buf_jstr(struct buf *b, const char *s)
{
    if (s)
        buf_json(b, s, strlen(s));
    else
        buf_str(b, "null");
}

/* Prints the line and exits: 0 when ok, 1 otherwise. */
static void finish(struct buf *b, int ok)
{
    buf_str(b, "}\n");
    fwrite(b->p, 1, b->len, stdout);
    fflush(stdout);
    exit(ok ? 0 : 1);
}

static const char *errno_code(int e)
{
    switch (e) {
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EPIPE: return "EPIPE";
    case EMSGSIZE: return "EMSGSIZE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENETDOWN: return "ENETDOWN";
    case EHOSTDOWN: return "EHOSTDOWN";
    case EPROTO: return "EPROTO";
    default: return "ERROR";
    }
}

/* A failure line: {"ok":false,"code":C,"error":"<what> C <target>" ...extra}. */
static void fail_with(struct buf *extra, const char *code, const char *what, const char *target, const char *detail)
{
    struct buf b = {0};
    char msg[512];
    if (detail)
        snprintf(msg, sizeof msg, "%s %s", code, detail);
    else
        snprintf(msg, sizeof msg, "%s %s %s", what, code, target);
    buf_str(&b, "{\"ok\":false,\"code\":");
    buf_jstr(&b, code);
    buf_str(&b, ",\"error\":");
    buf_jstr(&b, msg);
    if (extra && extra->len)
        buf_put(&b, extra->p, extra->len);
    finish(&b, 0);
}

/* ------------------------------------------------------------ arguments */

struct opts {
    const char *host, *url, *message, *nonces;
    int port, count, timeout_ms, has_port;
};

static long number(const char *mode, const char *name, const char *v, long lo, long hi)
{
    char *end;
    if (!v || !*v || strspn(v, "0123456789") != strlen(v))
        usage_exit("%s: invalid --%s \"%s\"", mode, name, v ? v : "");
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || n < lo || n > hi)
        usage_exit("%s: invalid --%s \"%s\"", mode, name, v);
    return n;
}

static void parse(const char *mode, int argc, char **argv, const char *allowed, struct opts *o)
{
    o->count = 1;
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strncmp(a, "--", 2) != 0)
            usage_exit("%s: unexpected argument \"%s\"", mode, a);
        const char *eq = strchr(a, '=');
        char name[32];
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a) - 2;
        if (nl >= sizeof name)
            usage_exit("%s: unknown option \"%s\"", mode, a);
        memcpy(name, a + 2, nl);
        name[nl] = '\0';
        char key[40];
        snprintf(key, sizeof key, " %s ", name);
        if (!strstr(allowed, key))
            usage_exit("%s: unknown option \"--%s\"", mode, name);
        if (eq)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            usage_exit("%s: option \"--%s\" needs a value", mode, name);
        if (!strcmp(name, "host")) o->host = v;
        else if (!strcmp(name, "url")) o->url = v;
        else if (!strcmp(name, "message")) o->message = v;
        else if (!strcmp(name, "nonces")) o->nonces = v;
        else if (!strcmp(name, "port")) { o->port = (int)number(mode, name, v, 1, 65535); o->has_port = 1; }
        else if (!strcmp(name, "count")) o->count = (int)number(mode, name, v, 1, 10000);
        else if (!strcmp(name, "timeout-ms")) o->timeout_ms = (int)number(mode, name, v, 1, 3600000);
    }
}

/* ------------------------------------------------------------ sockets */

struct target {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[INET6_ADDRSTRLEN + 8]; /* "IP:port", IPv6 as Node prints it: "fd00::1:80" */
};

static int resolve(const char *host, int port, struct target *t)
{
    memset(t, 0, sizeof *t);
    struct sockaddr_in *in4 = (struct sockaddr_in *)&t->sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->sa;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((unsigned short)port);
        t->len = sizeof *in4;
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)port);
        t->len = sizeof *in6;
    } else {
        return -1;
    }
    snprintf(t->text, sizeof t->text, "%s:%d", host, port);
    return 0;
}


static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline; 1 ready, 0 timed out. */
static int wait_for(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 1;
        if (r < 0 && errno != EINTR)
            return 1; /* let the next call report the error */
    }
}

/*
 * A packet lost while a route or rule is still being programmed (a BGP route not yet learned, a
 * table being replaced) is sent again by the kernel only after its initial 1 s RTO, and on the same
 * socket, so through the same conntrack entry. So while nothing has answered, a client starts a new
 * try (a new socket: a new source port, a fresh conntrack entry) every RESEND_MS, and the first answer
 * decides. A healthy lab answers the first try within a millisecond; a silent drop stays silent to
 * every try until the deadline.
 */
#define RESEND_MS 200
#define MAX_TRIES 32

/* Connects a non-blocking TCP socket; returns fd, or -1 with errno (ETIMEDOUT on deadline). */
static int tcp_connect(const struct target *t, long long deadline)
{
    struct pollfd p[MAX_TRIES];
    int n = 0, fd = -1, err = ETIMEDOUT;
    long long next = now_ms();
    for (;;) {
        long long now = now_ms();
        if (now >= deadline)
            break;
        if (now >= next && n < MAX_TRIES) {
            int s = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (s < 0) {
                err = errno;
                break;
            }
            if (connect(s, (const struct sockaddr *)&t->sa, t->len) == 0) {
                fd = s;
                break;
            }
            if (errno != EINPROGRESS) {
                err = errno;
                close(s);
                break;
            }
            p[n++] = (struct pollfd){.fd = s, .events = POLLOUT};
            next = now + RESEND_MS;
        }
        long long until = n < MAX_TRIES && next < deadline ? next : deadline;
        int r = poll(p, (nfds_t)n, (int)(until - now));
        if (r < 0 && errno != EINTR) {
            err = errno;
            break;
        }
        /* A connection wins over an error answered in the same round. */
        int e = 0;
        for (int i = 0; i < n && fd < 0; i++) {
            if (!p[i].revents)
                continue;
            int se = 0;
            socklen_t el = sizeof se;
            getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &se, &el);
            if (se == 0)
                fd = p[i].fd;
            else if (!e)
                e = se;
        }
        if (fd >= 0 || e) {
            err = e;
            break;
        }
    }
    for (int i = 0; i < n; i++)
        if (p[i].fd != fd)
            close(p[i].fd);
    if (fd < 0)
        errno = err;
    return fd;
}

static const char *require(const char *mode, const char *name, const char *v)
{
    if (!v || !*v)
        usage_exit("%s: --%s is required", mode, name);
    return v;
}

static void timed_out(struct buf *extra, const char *what, const char *target, int ms)
{
    char detail[300];
    snprintf(detail, sizeof detail, "%s %s timed out after %dms", what, target, ms);
    fail_with(extra, "ETIMEDOUT", NULL, NULL, detail);
}

/* The --host and --port of a client mode as a target; a usage error when missing or not an IP. */
static void target_of(const char *mode, const struct opts *o, struct target *t)
{
    require(mode, "host", o->host);
    if (!o->has_port)
        usage_exit("%s: --port is required", mode);
    if (resolve(o->host, o->port, t) < 0)
        usage_exit("%s: --host must be an IP address, not \"%s\"", mode, o->host);
}

/* ------------------------------------------------------------ tcp-connect */

static void tcp_connect_mode(int argc, char **argv)
{
    struct opts o = {0};
    parse("tcp-connect", argc, argv, " host port timeout-ms ", &o);
    struct target t;
    target_of("tcp-connect", &o, &t);
    int fd = tcp_connect(&t, now_ms() + o.timeout_ms);
    if (fd < 0) {
        if (errno == ETIMEDOUT)
            timed_out(NULL, "connect to", t.text, o.timeout_ms);
        fail_with(NULL, errno_code(errno), "connect", t.text, NULL);
    }
    char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
    int lp, rp;
    socket_ends(fd, la, &lp, ra, &rp, sizeof la);
    close(fd);
    struct buf b = {0};
    buf_str(&b, "{\"ok\":true,\"local\":");
    buf_jstr(&b, la);
    buf_fmt(&b, ",\"localPort\":%d,\"remote\":", lp);
    buf_jstr(&b, ra);
    buf_fmt(&b, ",\"remotePort\":%d", rp);
    finish(&b, 1);
}

/* ------------------------------------------------------------ udp-echo-client */

static void udp_echo_mode(int argc, char **argv)
{
    struct opts o = {0};
    parse("udp-echo-client", argc, argv, " host port message timeout-ms ", &o);
    require("udp-echo-client", "message", o.message);
    struct target t;
    target_of("udp-echo-client", &o, &t);
    long long deadline = now_ms() + o.timeout_ms, next = now_ms();
    /* A connected socket reports ICMP port-unreachable as ECONNREFUSED ("nothing listening"),
     * apart from a drop (timeout), and takes replies only from the address it sent to. A new try
     * (a new socket) every RESEND_MS while nothing has answered, as tcp_connect does. */
    size_t mlen = strlen(o.message);
    struct pollfd p[MAX_TRIES];
    int tries = 0, fd = -1;
    char reply[65536];
    ssize_t n = -1;
    while (fd < 0) {
        long long now = now_ms();
        if (now >= deadline)
            timed_out(NULL, "reply from", t.text, o.timeout_ms);
        if (now >= next && tries < MAX_TRIES) {
            int s = socket(t.sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (s < 0 || connect(s, (const struct sockaddr *)&t.sa, t.len) < 0)
                fail_with(NULL, errno_code(errno), "connect", t.text, NULL);
            if (send(s, o.message, mlen, 0) < 0)
                fail_with(NULL, errno_code(errno), "send", t.text, NULL);
            p[tries++] = (struct pollfd){.fd = s, .events = POLLIN};
            next = now + RESEND_MS;
        }
        long long until = tries < MAX_TRIES && next < deadline ? next : deadline;
        if (poll(p, (nfds_t)tries, (int)(until - now)) < 0 && errno != EINTR)
            fail_with(NULL, errno_code(errno), "recv", t.text, NULL);
        /* A reply wins over an error answered in the same round. */
        int e = 0;
        for (int i = 0; i < tries && fd < 0; i++) {
            if (!p[i].revents)
                continue;
            n = recv(p[i].fd, reply, sizeof reply, 0);
            if (n >= 0)
                fd = p[i].fd;
            else if (errno != EAGAIN && errno != EINTR && !e)
                e = errno;
        }
        if (fd < 0 && e)
            fail_with(NULL, errno_code(e), "recv", t.text, NULL);
    }
    char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
    int lp, rp;
    socket_ends(fd, la, &lp, ra, &rp, sizeof la);
    int ok = (size_t)n == mlen && memcmp(reply, o.message, mlen) == 0;
    struct buf b = {0};
    buf_fmt(&b, "{\"ok\":%s,\"sent\":", ok ? "true" : "false");
    buf_jstr(&b, o.message);
    buf_str(&b, ",\"received\":");
    buf_json(&b, reply, (size_t)n);
    buf_str(&b, ",\"local\":");
    buf_jstr(&b, la);
    buf_str(&b, ",\"remote\":");
    buf_jstr(&b, ra);
    if (!ok)
        buf_str(&b, ",\"code\":\"EMISMATCH\",\"error\":\"EMISMATCH echoed datagram differs from sent datagram\"");
    finish(&b, ok);
}

/* ------------------------------------------------------------ http-get */

struct url {
    char host[INET6_ADDRSTRLEN + 2]; /* as written, brackets included for IPv6 */
    char addr[INET6_ADDRSTRLEN];
    int port;
    const char *path;
};

static void parse_url(const char *s, struct url *u)
{
    if (strncmp(s, "http://", 7) != 0) {
        if (strncmp(s, "https://", 8) == 0)
            usage_exit("http-get: unsupported URL scheme https: (the native probe speaks plain HTTP)");
        usage_exit("http-get: invalid --url \"%s\"", s);
    }
    const char *h = s + 7, *end = h + strcspn(h, "/?#");
    u->path = *end == '/' ? end : "/";
    const char *colon;
    size_t alen;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        if (!rb)
            usage_exit("http-get: invalid --url \"%s\"", s);
        alen = (size_t)(rb - h - 1);
        if (alen >= sizeof u->addr)
            usage_exit("http-get: invalid --url \"%s\"", s);
        memcpy(u->addr, h + 1, alen);
        u->addr[alen] = '\0';
        colon = rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(h, ':', (size_t)(end - h));
        alen = (size_t)((colon ? colon : end) - h);
        if (alen == 0 || alen >= sizeof u->addr)
            usage_exit("http-get: invalid --url \"%s\"", s);
        memcpy(u->addr, h, alen);
        u->addr[alen] = '\0';
    }
    size_t hl = (size_t)((colon ? colon : end) - h);
    if (hl >= sizeof u->host)
        usage_exit("http-get: invalid --url \"%s\"", s);
    memcpy(u->host, h, hl);
    u->host[hl] = '\0';
    u->port = 80;
    if (colon) {
        char p[8];
        size_t pl = (size_t)(end - colon - 1);
        if (pl == 0 || pl >= sizeof p)
            usage_exit("http-get: invalid --url \"%s\"", s);
        memcpy(p, colon + 1, pl);
        p[pl] = '\0';
        u->port = (int)number("http-get", "url port", p, 1, 65535);
    }
}

struct response {
    int status;
    char *body;
    size_t body_len;
    int truncated;
};

/* Decodes a chunked body in place; returns its length. */
static size_t dechunk(char *b, size_t n)
{
    size_t in = 0, out = 0;
    while (in < n) {
        char *end;
        unsigned long size = strtoul(b + in, &end, 16);
        char *nl = memchr(b + in, '\n', n - in);
        if (!nl || end == b + in)
            break;
        in = (size_t)(nl - b) + 1;
        if (size == 0)
            break;
        size_t take = size <= n - in ? size : n - in;
        memmove(b + out, b + in, take);
        out += take;
        in += take;
        if (in < n && b[in] == '\r')
            in++;
        if (in < n && b[in] == '\n')
            in++;
    }
    return out;
}

static const char *header(const char *head, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = strchr(head, '\n'); p; p = strchr(p, '\n')) {
        p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            return p;
        }
    }
    return NULL;
}

/* One GET on a fresh connection (with X-Podlab-Nonce when nonce is not NULL). 0 ok (r filled), or an errno value / -1 for a malformed answer. */
static int get_once(const struct url *u, const struct target *t, int timeout_ms, const char *nonce, struct response *r, char *data)
{
    long long deadline = now_ms() + timeout_ms;
    int fd = tcp_connect(t, deadline);
    if (fd < 0)
        return errno;
    char req[2300];
    int rl = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\nUser-Agent: podlab-probe\r\n%s%s%s\r\n", u->path, u->host, u->port,
                      nonce ? "X-Podlab-Nonce: " : "", nonce ? nonce : "", nonce ? "\r\n" : "");
    if (rl < 0 || (size_t)rl >= sizeof req) {
        close(fd);
        return EMSGSIZE;
    }
    for (int sent = 0; sent < rl;) {
        ssize_t w = send(fd, req + sent, (size_t)(rl - sent), MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN && wait_for(fd, POLLOUT, deadline))
                continue;
            int e = errno == EAGAIN ? ETIMEDOUT : errno;
            close(fd);
            return e;
        }
        sent += (int)w;
    }
    size_t len = 0;
    long long content_length = -1;
    int chunked = 0, eof = 0;
    char *body = NULL;
    for (;;) {
        if (len == MAX_RESPONSE)
            break;
        ssize_t n = recv(fd, data + len, MAX_RESPONSE - len, 0);
        if (n > 0) {
            len += (size_t)n;
            data[len] = '\0';
            if (!body) {
                char *sep = strstr(data, "\r\n\r\n");
                if (sep) {
                    body = sep + 4;
                    sep[2] = '\0'; /* headers end with one CRLF; the body stays intact */
                    const char *cl = header(data, "content-length");
                    const char *te = header(data, "transfer-encoding");
                    chunked = te && strncasecmp(te, "chunked", 7) == 0;
                    if (cl && !te)
                        content_length = atoll(cl);
                }
            }
            if (body && content_length >= 0 && (long long)(len - (size_t)(body - data)) >= content_length)
                break;
            /* A chunked body is complete at its last chunk, even on a connection the server keeps open. */
            if (body && chunked && len - (size_t)(body - data) >= 5 &&
                (memcmp(data + len - 5, "0\r\n\r\n", 5) == 0 && (len - (size_t)(body - data) == 5 || data[len - 6] == '\n')))
                break;
            continue;
        }
        if (n == 0) {
            eof = 1;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            if (!wait_for(fd, POLLIN, deadline)) {
                close(fd);
                return ETIMEDOUT;
            }
            continue;
        }
        int e = errno;
        close(fd);
        return e;
    }
    close(fd);
    if (!body || strncmp(data, "HTTP/1.", 7) != 0 || strlen(data) < 12)
        return len ? -1 : ECONNRESET;
    r->status = atoi(data + 9);
    size_t blen = len - (size_t)(body - data);
    /* The server closed before the length it announced: the answer is cut, as Node reports it. */
    if (eof && content_length >= 0 && (long long)blen < content_length)
        return ECONNRESET;
    if (chunked)
        blen = dechunk(body, blen);
    else if (content_length >= 0 && (long long)blen > content_length)
        blen = (size_t)content_length;
    /* Stopped reading at MAX_RESPONSE: there was more than we kept. */
    r->truncated = blen > MAX_BODY || len == MAX_RESPONSE;
    r->body = body;
    r->body_len = blen > MAX_BODY ? MAX_BODY : blen;
    return 0;
}

/* The string value of a top-level "key" in a flat JSON object (an http-echo answer), or NULL. */
static char *json_field(const char *s, size_t n, const char *key)
{
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    size_t pl = strlen(pat);
    for (size_t i = 0; i + pl <= n; i++) {
        if (memcmp(s + i, pat, pl) != 0)
            continue;
        size_t j = i + pl;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j >= n || s[j] != ':')
            continue;
        j++;
        while (j < n && (s[j] == ' ' || s[j] == '\t'))
            j++;
        if (j >= n || s[j] != '"')
            return NULL;
        j++;
        char *out = malloc(n - j + 1);
        size_t o = 0;
        if (!out)
            return NULL;
        for (; j < n && s[j] != '"'; j++) {
            if (s[j] == '\\' && j + 1 < n) {
                j++;
                char c = s[j];
                out[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
            } else {
                out[o++] = s[j];
            }
        }
        out[o] = '\0';
        return out;
    }
    return NULL;
}

static const char *http_code(int e) { return e == -1 ? "HPE_INVALID" : errno_code(e); }

/* --nonces split in place into count nonces (usage error unless there are exactly count, each 1 to 128 of [A-Za-z0-9_-]). */
static char **split_nonces(char *list, int count)
{
    char **out = calloc((size_t)count, sizeof *out);
    if (!out)
        usage_exit("out of memory");
    int n = 0;
    for (char *p = list;; n++) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        size_t len = strlen(p);
        if (n == count || len == 0 || len > 128 || strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != len)
            usage_exit("http-get: --nonces must be %d nonce(s) of [A-Za-z0-9_-], comma-separated", count);
        out[n] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    if (n + 1 != count)
        usage_exit("http-get: --nonces must be %d nonce(s) of [A-Za-z0-9_-], comma-separated", count);
    return out;
}

static void http_get_mode(int argc, char **argv)
{
    struct opts o = {0};
    parse("http-get", argc, argv, " url timeout-ms count nonces ", &o);
    require("http-get", "url", o.url);
    struct url u;
    parse_url(o.url, &u);
    char **nonces = o.nonces ? split_nonces(strdup(o.nonces), o.count) : NULL;
    struct target t;
    if (resolve(u.addr, u.port, &t) < 0)
        usage_exit("http-get: the URL's host must be an IP address, not \"%s\"", u.addr);
    char href[2300];
    snprintf(href, sizeof href, "http://%s:%d%s", u.host, u.port, u.path);
    char *data = malloc(MAX_RESPONSE + 1);
    if (!data)
        usage_exit("out of memory");
    struct response r = {0};
    struct buf answers = {0};
    buf_str(&answers, "[");
    for (int i = 0; i < o.count; i++) {
        int e = get_once(&u, &t, o.timeout_ms, nonces ? nonces[i] : NULL, &r, data);
        if (e) {
            struct buf extra = {0};
            if (o.count > 1) {
                buf_fmt(&extra, ",\"answered\":%d,\"answers\":", i);
                buf_put(&extra, answers.p, answers.len);
                buf_str(&extra, "]");
            }
            if (e == ETIMEDOUT)
                timed_out(&extra, "GET", href, o.timeout_ms);
            if (e == -1)
                fail_with(&extra, "HPE_INVALID", NULL, NULL, "the answer is not HTTP/1.x");
            fail_with(&extra, http_code(e), e == ECONNRESET ? "read" : "connect", t.text, NULL);
        }
        if (o.count > 1) {
            static const char *fields[] = {"pod", "client", "path", "proof"};
            for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
                char *v = json_field(r.body, r.body_len, fields[f]);
                buf_fmt(&answers, "%s\"%s\":", f ? "," : i ? ",{" : "{", fields[f]);
                buf_jstr(&answers, v);
                free(v);
            }
            buf_str(&answers, "}");
        }
    }
    struct buf b = {0};
    buf_fmt(&b, "{\"ok\":true,\"status\":%d,\"body\":", r.status);
    buf_json(&b, r.body, r.body_len);
    if (r.truncated)
        buf_str(&b, ",\"truncated\":true");
    if (o.count > 1) {
        buf_str(&b, ",\"answers\":");
        buf_put(&b, answers.p, answers.len);
        buf_str(&b, "]");
    }
    finish(&b, 1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage_exit("missing mode");
    const char *mode = argv[1];
    if (!strcmp(mode, "--help") || !strcmp(mode, "-h") || !strcmp(mode, "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(mode, "tcp-connect"))
        tcp_connect_mode(argc - 2, argv + 2);
    else if (!strcmp(mode, "udp-echo-client"))
        udp_echo_mode(argc - 2, argv + 2);
    else if (!strcmp(mode, "http-get"))
        http_get_mode(argc - 2, argv + 2);
    usage_exit("unknown mode \"%s\"", mode);
    return 2;
}
