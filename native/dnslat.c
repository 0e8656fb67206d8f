/*
 * dnslat.c - measures a DNS server's latency at a fixed query rate (the DNS benchmark's latency
 * phase, scripts/bench-dns.ts).
 *
 * Why it exists:
 *   dnsperf -v reports each query's latency, but its sending and receiving threads share the one
 *   CPU the benchmark leaves the load generator, and a reply waits until the receiver is
 *   scheduled: on this 2-CPU machine dnsmasq itself measured a p99 of 3.6 ms that way. This
 *   program is one thread: it sends on a fixed schedule (open loop: a late reply never delays the
 *   next query, so slow answers are not hidden) and takes the receive time as soon as poll wakes
 *   it, keeping every latency in memory and printing only a summary at the end.
 *
 * Contract:
 *   dnslat --port P --queries FILE --rate QPS --seconds S [--server 127.0.0.1] [--timeout-ms 2000]
 *     FILE: dnsperf's format, one "NAME TYPE" per line (A, AAAA, SRV, PTR, TXT, ANY; others by number).
 *     Queries are sent round-robin over the file, recursion desired, no EDNS, in turn from NSOCK
 *     UDP sockets (each with its own 65536 ids, so a lost answer does not hold up the schedule).
 *     stdout: one JSON line {"sent","answered","lost","mismatched","p50Ms","p99Ms","maxMs","seconds"}:
 *     latencies of the answered queries (nearest rank); lost = no answer within the timeout;
 *     mismatched = answers whose id or question did not match an outstanding query (not counted).
 *     Exit 0 when it ran, 2 on a usage error or an unreadable file, 1 on a socket error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUERY 300
#define BURST 16
#define NSOCK 4

struct query {
    unsigned char wire[MAX_QUERY];
    size_t len;
};

static void usage(FILE *out)
{
    fputs("usage: dnslat --port P --queries FILE --rate QPS --seconds S [--server 127.0.0.1] [--timeout-ms 2000]\n", out);
}

static void die_usage(const char *msg, const char *arg)
{
    fprintf(stderr, "dnslat: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    usage(stderr);
    exit(2);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long number(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    long n;
    if (!v)
        die_usage("missing value for", opt);
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || *end || n < lo || n > hi)
        die_usage("bad value for", opt);
    return n;
}

static int qtype_of(const char *t)
{
    static const struct { const char *name; int code; } types[] = {{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28}, {"SRV", 33}, {"ANY", 255}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(t, types[i].name) == 0)
            return types[i].code;
    char *end;
    long n = strtol(t, &end, 10);
    return *end || n < 1 || n > 65535 ? -1 : (int)n;
}

/* Header (id filled in at send time) and question for NAME TYPE; 0 when the line is not usable. */
static int encode(struct query *q, const char *name, int type)
{
    unsigned char *p = q->wire + 12;
    unsigned char *end = q->wire + MAX_QUERY - 5;
    memset(q->wire, 0, 12);
    q->wire[2] = 0x01; /* RD */
    q->wire[5] = 1;    /* QDCOUNT */
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (n == 0 || n > 63 || p + 1 + n >= end)
            return 0;
        *p++ = (unsigned char)n;
        memcpy(p, name, n);
        p += n;
        name += n + (dot ? 1 : 0);
    }
    *p++ = 0;
    *p++ = (unsigned char)(type >> 8);
    *p++ = (unsigned char)type;
    *p++ = 0;
    *p++ = 1; /* IN */
    q->len = (size_t)(p - q->wire);
    return 1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *sorted, size_t n, double p)
{
    if (!n)
        return -1;
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999999);
    if (rank < 1)
        rank = 1;
    return (double)sorted[rank - 1] / 1e6;
}

int main(int argc, char **argv)
{
    const char *server = "127.0.0.1", *file = NULL;
    long port = -1, rate = -1, seconds = -1, timeout_ms = 2000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--server") == 0 && v) {
            server = v;
            i++;
        } else if (strcmp(a, "--queries") == 0 && v) {
            file = v;
            i++;
        } else if (strcmp(a, "--port") == 0) {
            port = number(a, v, 1, 65535);
            i++;
        } else if (strcmp(a, "--rate") == 0) {
            rate = number(a, v, 1, 10000000);
            i++;
        } else if (strcmp(a, "--seconds") == 0) {
            seconds = number(a, v, 1, 3600);
            i++;
        } else if (strcmp(a, "--timeout-ms") == 0) {
            timeout_ms = number(a, v, 1, 60000);
            i++;
        } else {
            die_usage("unexpected argument", a);
        }
    }
    if (port < 0 || rate < 0 || seconds < 0 || !file)
        die_usage("--port, --queries, --rate and --seconds are required", NULL);

    /* The queries. */
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "dnslat: cannot read %s: %s\n", file, strerror(errno));
        return 2;
    }
    size_t nq = 0, capq = 1024;
    struct query *qs = malloc(capq * sizeof *qs);
    char line[1024], name[512], type[32];
    while (qs && fgets(line, sizeof line, f)) {
        int t;
        if (sscanf(line, "%511s %31s", name, type) != 2 || (t = qtype_of(type)) < 0)
            continue;
        if (nq == capq)
            qs = realloc(qs, (capq *= 2) * sizeof *qs);
        if (qs && encode(&qs[nq], name, t))
            nq++;
    }
    fclose(f);
    if (!qs || nq == 0) {
        fprintf(stderr, "dnslat: no usable queries in %s\n", file);
        return 2;
    }

    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, server, &to.sin_addr) != 1)
        die_usage("--server needs an IPv4 address", server);
    int socks[NSOCK];
    struct pollfd pfs[NSOCK];
    for (int k = 0; k < NSOCK; k++) {
        int buf = 4 << 20;
        socks[k] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (socks[k] < 0 || connect(socks[k], (struct sockaddr *)&to, sizeof to) != 0) {
            fprintf(stderr, "dnslat: socket: %s\n", strerror(errno));
            return 1;
        }
        setsockopt(socks[k], SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        pfs[k].fd = socks[k];
        pfs[k].events = POLLIN;
    }

    /* Outstanding queries by socket and id: send time and which query (to check the question). */
    static int64_t sent_at[NSOCK][65536];
    static uint32_t which[NSOCK][65536];
    size_t total = (size_t)rate * (size_t)seconds;
    int64_t *lat = malloc(total * sizeof *lat);
    if (!lat) {
        fprintf(stderr, "dnslat: out of memory\n");
        return 1;
    }
    size_t sent = 0, answered = 0, mismatched = 0;
    const int64_t interval = 1000000000LL / rate, timeout = (int64_t)timeout_ms * 1000000;
    const int64_t start = now_ns(), stop_sending = start + (int64_t)seconds * 1000000000LL;
    int64_t next = start, last_send = start;
    for (;;) {
        int64_t now = now_ns();
        /* Send what the schedule says is due (open loop: a backlog goes out at once, BURST at a
         * time with the replies read in between, so none waits behind a long run of sends). */
        for (int burst = 0; burst < BURST && sent < total && next <= now; burst++) {
            int k = (int)(sent % NSOCK);
            uint16_t id = (uint16_t)(sent / NSOCK);
            if (sent_at[k][id] && now - sent_at[k][id] < timeout) /* every id of this socket outstanding */
                break;
            struct query *q = &qs[sent % nq];
            q->wire[0] = (unsigned char)(id >> 8);
            q->wire[1] = (unsigned char)id;
            if (send(socks[k], q->wire, q->len, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) {
                fprintf(stderr, "dnslat: send: %s\n", strerror(errno));
                return 1;
            }
            sent_at[k][id] = last_send = now;
            which[k][id] = (uint32_t)(sent % nq);
            sent++;
            next += interval;
        }
        /* Sending done: wait for the answers, at most the timeout after the last query. */
        if ((sent == total || now >= stop_sending) && (answered >= sent || now - last_send >= timeout))
            break;
        int64_t wait_ns = sent < total && now < stop_sending ? next - now : 1000000;
        if (wait_ns < 0)
            wait_ns = 0;
        struct timespec ts = {.tv_sec = wait_ns / 1000000000, .tv_nsec = wait_ns % 1000000000};
        int r = ppoll(pfs, NSOCK, &ts, NULL);
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "dnslat: poll: %s\n", strerror(errno));
            return 1;
        }
        if (r <= 0)
            continue;
        now = now_ns();
        for (int k = 0; k < NSOCK; k++) {
            unsigned char reply[4096];
            ssize_t n;
            if (!pfs[k].revents)
                continue;
            while ((n = recv(socks[k], reply, sizeof reply, 0)) >= 0 || errno == ECONNREFUSED) {
                if (n < 12)
                    continue;
                uint16_t id = (uint16_t)(reply[0] << 8 | reply[1]);
                struct query *q = &qs[which[k][id]];
                if (!sent_at[k][id] || !(reply[2] & 0x80) || (size_t)n < q->len || memcmp(reply + 12, q->wire + 12, q->len - 12) != 0) {
                    mismatched++;
                    continue;
                }
                lat[answered++] = now - sent_at[k][id];
                sent_at[k][id] = 0;
            }
        }
    }
    qsort(lat, answered, sizeof *lat, cmp_i64);
    printf("{\"sent\":%zu,\"answered\":%zu,\"lost\":%zu,\"mismatched\":%zu,\"p50Ms\":%.4f,\"p99Ms\":%.4f,\"maxMs\":%.4f,\"seconds\":%.3f}\n",
           sent, answered, sent - answered, mismatched, pct_ms(lat, answered, 50), pct_ms(lat, answered, 99),
           answered ? (double)lat[answered - 1] / 1e6 : -1.0, (double)(now_ns() - start) / 1e9);
    return 0;
}
