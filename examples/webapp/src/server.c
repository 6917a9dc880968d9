/* webapp: a small HTTP service of the kind people containerise.
 *   GET  /        -> {"service":"webapp","hostname":"...","version":"..."}
 *   GET  /health  -> {"status":"ok"}                  (the HEALTHCHECK's target)
 *   GET  /notes   -> {"notes":["...", ...]}           (lines of <data>/notes.txt)
 *   POST /notes   -> appends the body as one line, {"count":N}
 * Usage: webapp [--port 8080] [--data /data]. One request per connection, no dependencies. */
#define _GNU_SOURCE /* strcasestr */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VERSION "1.0"

static const char *data_dir = "/data";

static void reply(int fd, int status, const char *body) {
  char head[256];
  const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
  int n = snprintf(head, sizeof head,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   status, reason, strlen(body));
  if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0) perror("write");
}

/* Appends `s` to `out` as a JSON string body (quotes and control characters escaped). */
static void json_escape(char *out, size_t cap, const char *s) {
  size_t o = strlen(out);
  for (; *s && o + 7 < cap; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') { out[o++] = '\\'; out[o++] = (char)c; }
    else if (c < 0x20) o += (size_t)snprintf(out + o, cap - o, "\\u%04x", c);
    else out[o++] = (char)c;
  }
  out[o] = 0;
}

static void notes_path(char *buf, size_t cap) { snprintf(buf, cap, "%s/notes.txt", data_dir); }

static void get_notes(int fd) {
  char path[512], line[1024], body[65536] = "{\"notes\":[";
  notes_path(path, sizeof path);
  FILE *f = fopen(path, "r");
  int first = 1;
  while (f && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    strncat(body, first ? "\"" : ",\"", sizeof body - strlen(body) - 1);
    json_escape(body, sizeof body - 8, line);
    strncat(body, "\"", sizeof body - strlen(body) - 1);
    first = 0;
  }
  if (f) fclose(f);
  strncat(body, "]}", sizeof body - strlen(body) - 1);
  reply(fd, 200, body);
}

static void add_note(int fd, const char *text) {
  char path[512], line[1024], body[64];
  notes_path(path, sizeof path);
  FILE *f = fopen(path, "a");
  if (!f) { reply(fd, 400, "{\"error\":\"cannot write the data volume\"}"); return; }
  snprintf(line, sizeof line, "%s", text);
  line[strcspn(line, "\r\n")] = 0;
  fprintf(f, "%s\n", line);
  fclose(f);
  int count = 0;
  if ((f = fopen(path, "r"))) {
    while (fgets(line, sizeof line, f)) count++;
    fclose(f);
  }
  snprintf(body, sizeof body, "{\"count\":%d}", count);
  reply(fd, 200, body);
}

static void serve(int fd) {
  char req[8192];
  size_t len = 0;
  ssize_t n;
  /* Read the head, then as much body as Content-Length says (bounded by the buffer). */
  while (len < sizeof req - 1 && (n = read(fd, req + len, sizeof req - 1 - len)) > 0) {
    len += (size_t)n;
    req[len] = 0;
    char *end = strstr(req, "\r\n\r\n");
    if (!end) continue;
    char *cl = strcasestr(req, "Content-Length:");
    size_t want = cl && cl < end ? (size_t)atol(cl + 15) : 0;
    if (len >= (size_t)(end + 4 - req) + want) break;
  }
  req[len] = 0;
  char method[8] = "", path[256] = "";
  if (sscanf(req, "%7s %255s", method, path) != 2) { reply(fd, 400, "{\"error\":\"bad request\"}"); return; }
  char *body = strstr(req, "\r\n\r\n");
  body = body ? body + 4 : req + len;
  if (!strcmp(path, "/health")) {
    reply(fd, 200, "{\"status\":\"ok\"}");
  } else if (!strcmp(path, "/notes") && !strcmp(method, "GET")) {
    get_notes(fd);
  } else if (!strcmp(path, "/notes") && !strcmp(method, "POST")) {
    add_note(fd, body);
  } else if (!strcmp(path, "/")) {
    char host[128] = "", out[512] = "{\"service\":\"webapp\",\"hostname\":\"";
    gethostname(host, sizeof host - 1);
    json_escape(out, sizeof out - 32, host);
    strncat(out, "\",\"version\":\"" VERSION "\"}", sizeof out - strlen(out) - 1);
    reply(fd, 200, out);
  } else {
    reply(fd, 404, "{\"error\":\"not found\"}");
  }
}

int main(int argc, char **argv) {
  int port = 8080;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--data")) data_dir = argv[i + 1];
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, exit);  /* docker stop: end at once, as pid 1 gets no default handler */
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) {
    fprintf(stderr, "webapp: cannot listen on port %d: %s\n", port, strerror(errno));
    return 1;
  }
  printf("webapp %s listening on :%d, data in %s\n", VERSION, port, data_dir);
  fflush(stdout);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    serve(c);
    close(c);
  }
}
