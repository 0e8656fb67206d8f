/*
 * addr.h - the text of a socket address, shared by podlab's native probe and workload servers.
 */
#ifndef PODLAB_ADDR_H
#define PODLAB_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

/* "10.244.1.3", or "fd00::2"; IPv4-mapped IPv6 (::ffff:a.b.c.d) as IPv4, as Node prints it. */
static inline void addr_text(const struct sockaddr_storage *sa, char *out, size_t n, int *port)
{
    *port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &in4->sin_addr, out, (socklen_t)n);
        *port = ntohs(in4->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], out, (socklen_t)n);
        else
            inet_ntop(AF_INET6, &in6->sin6_addr, out, (socklen_t)n);
        *port = ntohs(in6->sin6_port);
    } else {
        snprintf(out, n, "?");
    }
}

/* Both ends of a connected socket as text; "?" where unknown. */
static inline void socket_ends(int fd, char *local, int *lport, char *remote, int *rport, size_t n)
{
    struct sockaddr_storage l, r;
    socklen_t ll = sizeof l, rl = sizeof r;
    snprintf(local, n, "?");
    snprintf(remote, n, "?");
    *lport = *rport = 0;
    if (getsockname(fd, (struct sockaddr *)&l, &ll) == 0)
        addr_text(&l, local, n, lport);
    if (getpeername(fd, (struct sockaddr *)&r, &rl) == 0)
        addr_text(&r, remote, n, rport);
}

#endif
