/*
 * ptyrun: runs a program on a new pseudo-terminal, for `kubectl exec -t` (src/api/server.ts).
 *
 *   ptyrun COLS ROWS -- PROGRAM [ARG...]
 *
 * The program gets the terminal's slave side as its stdin, stdout, stderr and controlling
 * terminal (a new session), sized COLS x ROWS. ptyrun copies its own stdin to the terminal and
 * the terminal's output to its stdout, and reads resize requests on fd 3, one "COLS ROWS" line
 * each (the kernel then signals SIGWINCH to the program). When its stdin ends, ^D is typed. It
 * exits with the program's status (128+N when a signal N ended it). The program is exec'd as
 * given (argv, no shell); podlab puts `nsenter … --` in front to run it inside the pod.
 */
#define _XOPEN_SOURCE 600
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void resize(int master, int cols, int rows) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_col = (unsigned short)cols;
    ws.ws_row = (unsigned short)rows;
    if (cols > 0 && rows > 0) ioctl(master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buf, ssize_t n) {
    while (n > 0) {
        ssize_t w = write(fd, buf, (size_t)n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += w;
        n -= w;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5 || strcmp(argv[3], "--") != 0) {
        fprintf(stderr, "usage: ptyrun COLS ROWS -- PROGRAM [ARG...]\n");
        return 2;
    }
    /* Before any fd is opened here: whether the caller gave a control pipe as fd 3. */
    int ctl_open = fcntl(3, F_GETFD) != -1;
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        perror("ptyrun: posix_openpt");
        return 1;
    }
    const char *slave_name = ptsname(master);
    if (!slave_name) {
        perror("ptyrun: ptsname");
        return 1;
    }
    resize(master, atoi(argv[1]), atoi(argv[2]));
    signal(SIGPIPE, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0) {
        perror("ptyrun: fork");
        return 1;
    }
    if (pid == 0) {
        setsid();
        int slave = open(slave_name, O_RDWR);
        if (slave < 0) {
            perror("ptyrun: open slave");
            _exit(1);
        }
        ioctl(slave, TIOCSCTTY, 0);
        dup2(slave, 0);
        dup2(slave, 1);
        dup2(slave, 2);
        if (slave > 2) close(slave);
        close(master);
        if (ctl_open) close(3);
        execvp(argv[4], &argv[4]);
        fprintf(stderr, "ptyrun: %s: %s\r\n", argv[4], strerror(errno));
        _exit(127);
    }
    /* Held open here too, so the master never reads EIO before the program's last output is read:
       the end is the program's exit, and what it wrote is drained after it. */
    int keep = open(slave_name, O_RDWR | O_NOCTTY);
    int status = 0, exited = 0;
    int in_open = 1;
    char buf[16384];
    char line[64];
    size_t line_len = 0;
    for (;;) {
        struct pollfd fds[3] = {{master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}, {ctl_open ? 3 : -1, POLLIN, 0}};
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) exited = 1;
        int ready = poll(fds, 3, exited ? 20 : 50);
        if (ready == 0 && exited) break; /* exited, and nothing more to read */
        if (ready < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(master, buf, sizeof buf);
            if (n <= 0) break; /* EIO: every holder of the slave side is gone */
            if (write_all(1, buf, n) < 0) break;
        }
        if (in_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0) {
                in_open = 0;
                write_all(master, "\x04", 1);
            } else if (write_all(master, buf, n) < 0) {
                break;
            }
        }
        if (ctl_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t n = read(3, buf, sizeof buf);
            if (n <= 0) {
                ctl_open = 0;
                continue;
            }
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    line[line_len] = 0;
                    int cols = 0, rows = 0;
                    if (sscanf(line, "%d %d", &cols, &rows) == 2) resize(master, cols, rows);
                    line_len = 0;
                } else if (line_len + 1 < sizeof line) {
                    line[line_len++] = buf[i];
                }
            }
        }
    }
    if (keep >= 0) close(keep);
    while (!exited && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 1;
}
