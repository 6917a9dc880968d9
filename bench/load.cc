// berth-bench-load: the HTTP load generator of bench/apiserver (libcurl's multi interface:
// keep-alive connections, TLS with a client certificate when given). Two modes, each printing
// one line of JSON:
//
//   req   -u URL [-X METHOD] [-d BODYFILE] [-c CONNS] [-t THREADS] [-n REQUESTS] [--keys K]
//         [--key-prefix P]
//     REQUESTS requests over CONNS connections shared by THREADS threads (each thread drives
//     its share of the connections with one multi handle). Request i uses index i % K (K
//     defaults to REQUESTS): "{i}" in URL and body becomes the index, "{key}" the base64 of
//     P + index (etcd's JSON gateway wants keys in base64). Prints the count, non-2xx/failed
//     requests, seconds, rate, latency percentiles, bytes received and the generator's own
//     CPU seconds (so that a reader can tell whether it was the bottleneck).
//
//   watch -u URL [-X METHOD] [-d BODYFILE] -w WATCHERS --marker TEXT --trigger-url URL
//         [--trigger-method M] [--trigger-body FILE] [--ready headers|body]
//     Opens WATCHERS streaming requests (in batches of 100, so the server's listen backlog is
//     not overrun), waits until each is ready (its response headers came, or its first body
//     bytes with --ready body: etcd's gateway answers "created" once the watch exists), then
//     sends the trigger request and times until every watcher has received TEXT. With
//     --linger S the watches stay open S seconds after the figures are printed.
//
// TLS: --cacert FILE --cert FILE --key FILE (PEM). Non-2xx answers count as errors.
#include <curl/curl.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode, url, method = "GET", body, cacert, cert, key, key_prefix;
  long conns = 1, threads = 1, requests = 1, keys = 0, watchers = 0;
  std::string marker, trigger_url, trigger_method = "POST", trigger_body, ready = "headers";
  double linger = 0;
};

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "berth-bench-load: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// One easy handle with what every request shares: TLS files, keep-alive, no Expect: 100.
CURL* new_handle(const Options& o, curl_slist* headers) {
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (!o.cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.cacert.c_str());
  if (!o.cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, o.cert.c_str());
  if (!o.key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, o.key.c_str());
  return c;
}

// ---- req ----

struct Request {
  CURL* c = nullptr;
  std::string url, body;
  Clock::time_point start;
  size_t bytes = 0;
};

size_t count_bytes(char*, size_t size, size_t n, void* p) {
  static_cast<Request*>(p)->bytes += size * n;
  return size * n;
}

struct ThreadResult {
  std::vector<double> latencies_ms;
  long errors = 0;
  size_t bytes = 0;
  std::string first_error;
};

void drive(const Options& o, const std::string& body_template, long conns, std::atomic<long>& next,
           ThreadResult& out) {
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");
  CURLM* m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conns);
  std::vector<Request> reqs(static_cast<size_t>(conns));
  long keys = o.keys > 0 ? o.keys : o.requests;
  auto start_one = [&](Request& r) {
    long i = next.fetch_add(1);
    if (i >= o.requests) return false;
    std::string idx = std::to_string(i % keys);
    std::string key = o.key_prefix.empty() ? "" : base64(o.key_prefix + idx);
    r.url = replace_all(replace_all(o.url, "{i}", idx), "{key}", key);
    curl_easy_setopt(r.c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(r.c, CURLOPT_CUSTOMREQUEST, o.method.c_str());
    if (!body_template.empty()) {
      r.body = replace_all(replace_all(body_template, "{i}", idx), "{key}", key);
      curl_easy_setopt(r.c, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(r.c, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    }
    r.bytes = 0;
    r.start = Clock::now();
    curl_multi_add_handle(m, r.c);
    return true;
  };
  for (auto& r : reqs) {
    r.c = new_handle(o, headers);
    curl_easy_setopt(r.c, CURLOPT_WRITEFUNCTION, count_bytes);
    curl_easy_setopt(r.c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(r.c, CURLOPT_PRIVATE, &r);
    if (!start_one(r)) break;
  }
  int running = 1;
  while (running) {
    curl_multi_perform(m, &running);
    int left;
    while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Request* r = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&r));
      long status = 0;
      curl_easy_getinfo(r->c, CURLINFO_RESPONSE_CODE, &status);
      CURLcode rc = msg->data.result;
      out.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - r->start).count());
      out.bytes += r->bytes;
      if (rc != CURLE_OK || status < 200 || status > 299) {
        if (out.errors++ == 0) {
          out.first_error = rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP " + std::to_string(status);
        }
      }
      curl_multi_remove_handle(m, r->c);
      if (start_one(*r)) running = 1;
    }
    if (running) curl_multi_poll(m, nullptr, 0, 1000, nullptr);
  }
  for (auto& r : reqs) curl_easy_cleanup(r.c);
  curl_multi_cleanup(m);
  curl_slist_free_all(headers);
}

int run_req(const Options& o) {
  std::string body = o.body.empty() ? "" : read_file(o.body);
  long threads = std::max(1L, std::min(o.threads, o.conns));
  std::vector<ThreadResult> results(static_cast<size_t>(threads));
  std::atomic<long> next{0};
  double cpu0 = cpu_seconds();
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (long t = 0; t < threads; ++t) {
    long conns = o.conns / threads + (t < o.conns % threads ? 1 : 0);
    ts.emplace_back([&, t, conns] { drive(o, body, conns, next, results[static_cast<size_t>(t)]); });
  }
  for (auto& t : ts) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> lat;
  long errors = 0;
  size_t bytes = 0;
  std::string first_error;
  for (auto& r : results) {
    lat.insert(lat.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
    bytes += r.bytes;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) { return lat.empty() ? 0.0 : lat[std::min(lat.size() - 1, static_cast<size_t>(p * lat.size()))]; };
  std::printf(
      "{\"requests\": %zu, \"errors\": %ld, \"first_error\": \"%s\", \"seconds\": %.4f, \"rate\": %.1f, "
      "\"p50_ms\": %.3f, \"p99_ms\": %.3f, \"max_ms\": %.3f, \"bytes\": %zu, \"cpu_seconds\": %.3f}\n",
      lat.size(), errors, first_error.c_str(), secs, lat.size() / secs, pct(0.5), pct(0.99), pct(1.0), bytes,
      cpu_seconds() - cpu0);
  return 0;
}

// ---- watch ----

struct Watch {
  CURL* c = nullptr;
  const std::string* marker = nullptr;
  bool want_body = false, ready = false, got = false;
  std::string tail;  // the end of what came, so a marker split across reads is still found
  Clock::time_point got_at;
  long* ready_count = nullptr;
};

size_t watch_header(char* d, size_t size, size_t n, void* p) {
  auto* w = static_cast<Watch*>(p);
  // The blank line ends the final header block (not a 100 Continue's: it has none here).
  if (!w->want_body && !w->ready && size * n == 2 && d[0] == '\r') {
    w->ready = true;
    ++*w->ready_count;
  }
  return size * n;
}

size_t watch_data(char* d, size_t size, size_t n, void* p) {
  auto* w = static_cast<Watch*>(p);
  if (!w->ready) {
    w->ready = true;
    ++*w->ready_count;
  }
  if (!w->got) {
    w->tail.append(d, size * n);
    if (w->tail.find(*w->marker) != std::string::npos) {
      w->got = true;
      w->got_at = Clock::now();
    } else if (w->tail.size() > 4 * w->marker->size() + 4096) {
      w->tail.erase(0, w->tail.size() - w->marker->size());
    }
  }
  return size * n;
}

size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

int run_watch(const Options& o) {
  std::string body = o.body.empty() ? "" : read_file(o.body);
  std::string tbody = o.trigger_body.empty() ? "" : read_file(o.trigger_body);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, "Expect:");
  CURLM* m = curl_multi_init();
  curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, o.watchers + 1);
  std::vector<Watch> ws(static_cast<size_t>(o.watchers));
  long ready = 0;
  int running = 0;
  auto pump = [&](int wait_ms) {
    curl_multi_perform(m, &running);
    int left;
    while (CURLMsg* msg = curl_multi_info_read(m, &left)) {
      if (msg->msg == CURLMSG_DONE && msg->easy_handle != nullptr) {
        long status = 0;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        char* url = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_EFFECTIVE_URL, &url);
        if (msg->data.result != CURLE_OK || status < 200 || status > 299) {
          std::fprintf(stderr, "berth-bench-load: %s ended: %s, HTTP %ld\n", url ? url : "?",
                       curl_easy_strerror(msg->data.result), status);
        }
      }
    }
    curl_multi_poll(m, nullptr, 0, wait_ms, nullptr);
  };
  double cpu0 = cpu_seconds();
  auto t_open = Clock::now();
  for (size_t i = 0; i < ws.size(); ++i) {
    Watch& w = ws[i];
    w.marker = &o.marker;
    w.want_body = o.ready == "body";
    w.ready_count = &ready;
    w.c = new_handle(o, headers);
    curl_easy_setopt(w.c, CURLOPT_URL, o.url.c_str());
    curl_easy_setopt(w.c, CURLOPT_CUSTOMREQUEST, o.method.c_str());
    if (!body.empty()) {
      curl_easy_setopt(w.c, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(w.c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(w.c, CURLOPT_HEADERFUNCTION, watch_header);
    curl_easy_setopt(w.c, CURLOPT_HEADERDATA, &w);
    curl_easy_setopt(w.c, CURLOPT_WRITEFUNCTION, watch_data);
    curl_easy_setopt(w.c, CURLOPT_WRITEDATA, &w);
    curl_multi_add_handle(m, w.c);
    // Batches of 100: wait for this batch before opening the next.
    if ((i + 1) % 100 == 0 || i + 1 == ws.size()) {
      auto until = Clock::now() + std::chrono::seconds(60);
      while (ready < static_cast<long>(i + 1) && Clock::now() < until) pump(50);
    }
  }
  double open_s = std::chrono::duration<double>(Clock::now() - t_open).count();
  if (ready < o.watchers) {
    std::fprintf(stderr, "berth-bench-load: only %ld of %ld watches became ready\n", ready, o.watchers);
    return 1;
  }
  // Let the server settle (its per-watch threads all waiting) before the change.
  for (auto until = Clock::now() + std::chrono::milliseconds(1000); Clock::now() < until;) pump(50);
  CURL* t = new_handle(o, headers);
  curl_easy_setopt(t, CURLOPT_URL, o.trigger_url.c_str());
  curl_easy_setopt(t, CURLOPT_CUSTOMREQUEST, o.trigger_method.c_str());
  curl_easy_setopt(t, CURLOPT_POSTFIELDS, tbody.c_str());
  curl_easy_setopt(t, CURLOPT_POSTFIELDSIZE, static_cast<long>(tbody.size()));
  curl_easy_setopt(t, CURLOPT_WRITEFUNCTION, discard);
  double cpu1 = cpu_seconds();
  auto t0 = Clock::now();
  curl_multi_add_handle(m, t);
  auto until = t0 + std::chrono::seconds(120);
  long got = 0;
  while (Clock::now() < until) {
    pump(5);
    got = std::count_if(ws.begin(), ws.end(), [](const Watch& w) { return w.got; });
    if (got == o.watchers) break;
  }
  std::vector<double> ms;
  for (auto& w : ws) {
    if (w.got) ms.push_back(std::chrono::duration<double, std::milli>(w.got_at - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  double last = ms.empty() ? 0 : ms.back();
  std::printf(
      "{\"watchers\": %ld, \"received\": %ld, \"open_seconds\": %.3f, \"first_ms\": %.3f, \"median_ms\": %.3f, "
      "\"last_ms\": %.3f, \"deliveries_per_s\": %.1f, \"cpu_seconds_open\": %.3f, \"cpu_seconds_fanout\": %.3f}\n",
      o.watchers, got, open_s, ms.empty() ? 0 : ms.front(), ms.empty() ? 0 : ms[ms.size() / 2], last,
      last > 0 ? got / (last / 1000) : 0.0, cpu1 - cpu0, cpu_seconds() - cpu1);
  std::fflush(stdout);
  // The watches stay open a while (the caller measures the server's memory with them).
  for (auto end = Clock::now() + std::chrono::duration<double>(o.linger); Clock::now() < end;) pump(100);
  curl_multi_remove_handle(m, t);
  curl_easy_cleanup(t);
  for (auto& w : ws) {
    curl_multi_remove_handle(m, w.c);
    curl_easy_cleanup(w.c);
  }
  curl_multi_cleanup(m);
  curl_slist_free_all(headers);
  return got == o.watchers ? 0 : 1;
}

int usage() {
  std::fprintf(stderr,
               "usage: berth-bench-load req -u URL [-X M] [-d FILE] [-c CONNS] [-t THREADS] [-n N] [--keys K] "
               "[--key-prefix P] [TLS]\n"
               "       berth-bench-load watch -u URL [-X M] [-d FILE] -w W --marker TEXT --trigger-url URL "
               "[--trigger-method M] [--trigger-body FILE] [--ready headers|body] [--linger S] [TLS]\n"
               "TLS: --cacert FILE --cert FILE --key FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  Options o;
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (a == "-u") o.url = v;
    else if (a == "-X") o.method = v;
    else if (a == "-d") o.body = v;
    else if (a == "-c") o.conns = std::stol(v);
    else if (a == "-t") o.threads = std::stol(v);
    else if (a == "-n") o.requests = std::stol(v);
    else if (a == "-w") o.watchers = std::stol(v);
    else if (a == "--keys") o.keys = std::stol(v);
    else if (a == "--key-prefix") o.key_prefix = v;
    else if (a == "--cacert") o.cacert = v;
    else if (a == "--cert") o.cert = v;
    else if (a == "--key") o.key = v;
    else if (a == "--marker") o.marker = v;
    else if (a == "--trigger-url") o.trigger_url = v;
    else if (a == "--trigger-method") o.trigger_method = v;
    else if (a == "--trigger-body") o.trigger_body = v;
    else if (a == "--ready") o.ready = v;
    else if (a == "--linger") o.linger = std::stod(v);
    else return usage();
  }
  if (o.url.empty()) return usage();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = o.mode == "req" ? run_req(o) : o.mode == "watch" ? run_watch(o) : usage();
  curl_global_cleanup();
  return rc;
}
