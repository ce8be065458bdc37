/* A UDP echo server for the published-udp-port test: Debian's busybox-static has no UDP server (its nc lacks -u). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(argc > 1 ? atoi(argv[1]) : 7)};
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
        return 1;
    for (;;) {
        char buf[2048];
        struct sockaddr_in peer;
        socklen_t len = sizeof(peer);
        ssize_t n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);
        if (n >= 0)
            sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
    }
}
