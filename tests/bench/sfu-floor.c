/*
 * The floor for the SFU bench: the least a relay can do with the same packets. It receives each
 * RTP packet once on one UDP socket, looks its SSRC up in a routing table and sends it, unchanged,
 * to every destination port on 127.0.0.1 with one sendto() per copy (as mediasoup sends one
 * datagram per consumer; no sendmmsg, no parsing beyond the SSRC, no RTCP, no rewriting).
 *
 *   sfu-floor ROUTES      ROUTES lines: "<ssrc> <port> <port> ..." (no ports = drop)
 *
 * Prints its port on stdout once bound. Each line "stats" on stdin is answered with
 * "<cpu microseconds (user+system)> <packets in> <packets out> <send errors>". EOF on stdin ends it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define TABLE_SIZE 4096 /* power of two, well above the bench's stream count */

struct route {
	uint32_t ssrc;
	int used;
	int count;
	struct sockaddr_in *to;
};

static struct route table[TABLE_SIZE];

static struct route *slot(uint32_t ssrc) {
	uint32_t i = (ssrc * 2654435761u) & (TABLE_SIZE - 1);
	while (table[i].used && table[i].ssrc != ssrc) i = (i + 1) & (TABLE_SIZE - 1);
	return &table[i];
}

static void load_routes(const char *path) {
	FILE *f = fopen(path, "r");
	if (!f) {
		perror("routes");
		exit(2);
	}
	char line[65536];
	int routes = 0;
	while (fgets(line, sizeof line, f)) {
		char *p = line, *end;
		unsigned long ssrc = strtoul(p, &end, 10);
		if (end == p) continue;
		if (++routes > TABLE_SIZE / 2) {
			fprintf(stderr, "too many routes\n");
			exit(2);
		}
		struct route *r = slot((uint32_t)ssrc);
		r->used = 1;
		r->ssrc = (uint32_t)ssrc;
		r->to = calloc(4096, sizeof *r->to);
		for (p = end;; p = end) {
			long port = strtol(p, &end, 10);
			if (end == p || r->count == 4096) break;
			struct sockaddr_in *a = &r->to[r->count++];
			a->sin_family = AF_INET;
			a->sin_port = htons((uint16_t)port);
			a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		}
	}
	fclose(f);
}

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: %s ROUTES\n", argv[0]);
		return 2;
	}
	load_routes(argv[1]);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int rcvbuf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;
	if (bind(fd, (struct sockaddr *)&addr, sizeof addr) || getsockname(fd, (struct sockaddr *)&addr, &len)) {
		perror("bind");
		return 1;
	}
	printf("%d\n", ntohs(addr.sin_port));
	fflush(stdout);

	unsigned long long in = 0, out = 0, errors = 0;
	unsigned char buf[2048];
	struct pollfd fds[2] = { { .fd = fd, .events = POLLIN }, { .fd = STDIN_FILENO, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR) continue;
			perror("poll");
			return 1;
		}
		if (fds[0].revents & POLLIN) {
			ssize_t n;
			while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) >= 0) {
				in++;
				if (n < 12) continue;
				uint32_t ssrc = ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) | ((uint32_t)buf[10] << 8) | buf[11];
				struct route *r = slot(ssrc);
				if (!r->used) continue;
				for (int i = 0; i < r->count; i++) {
					if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&r->to[i], sizeof r->to[i]) < 0) errors++;
					else out++;
				}
			}
		}
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			char cmd[64];
			if (!fgets(cmd, sizeof cmd, stdin)) return 0;
			struct rusage ru;
			getrusage(RUSAGE_SELF, &ru);
			unsigned long long cpu = (unsigned long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000ull +
			                         (unsigned long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
			printf("%llu %llu %llu %llu\n", cpu, in, out, errors);
			fflush(stdout);
		}
	}
}
