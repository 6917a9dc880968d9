// HEALTHCHECK probes of running containers (moby daemon/health.go).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/time.h"
#include "engine/engine_impl.h"

namespace berth::engine {

// HEALTHCHECK (moby daemon/health.go): the test runs as an exec every Interval (default 30 s)
// with a Timeout (30 s); Retries (3) failures in a row make the container unhealthy, except
// during StartPeriod; the last five results are kept. The thread ends with the run.
void Engine::start_health_checks(const std::string& id) {
  auto& s = *impl_;
  Json hc;
  std::string started;
  {
    std::lock_guard<std::mutex> l(s.mu);
    auto it = s.containers.find(id);
    if (it == s.containers.end()) return;
    hc = it->second.config.value("Healthcheck", Json());
    started = it->second.state.started_at;
    if (!hc.is_object()) return;
    auto test = hc.value("Test", Json::array());
    if (!test.is_array() || test.empty() || test[0] == "NONE") return;
    it->second.state.health = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
    (void)s.save(it->second);
  }
  std::thread([this, &s, id, hc, started] {
    auto number = [&](const char* k) {
      auto it = hc.find(k);
      return it != hc.end() && it->is_number() ? it->get<int64_t>() : int64_t{0};
    };
    auto ns = [&](const char* k, int64_t dflt) {
      int64_t v = number(k);
      return std::chrono::nanoseconds(v > 0 ? v : dflt);
    };
    auto interval = ns("Interval", 30'000'000'000), timeout = ns("Timeout", 30'000'000'000),
         start_period = ns("StartPeriod", 0);
    int retries = number("Retries") > 0 ? static_cast<int>(number("Retries")) : 3;
    auto test = hc.value("Test", Json::array());
    std::vector<std::string> cmd;
    if (test[0] == "CMD-SHELL" && test.size() > 1) {
      cmd = {"/bin/sh", "-c", test[1].get<std::string>()};
    } else {
      for (size_t i = test[0] == "CMD" ? 1 : 0; i < test.size(); ++i) cmd.push_back(test[i]);
    }
    auto begun = std::chrono::steady_clock::now();
    for (;;) {
      {
        std::unique_lock<std::mutex> l(s.mu);
        s.cv.wait_for(l, interval, [&] {
          auto it = s.containers.find(id);
          return it == s.containers.end() || it->second.state.started_at != started ||
                 it->second.state.status != "running";
        });
        auto it = s.containers.find(id);
        if (it == s.containers.end() || it->second.state.started_at != started ||
            it->second.state.status != "running") {
          return;
        }
      }
      std::string t0 = rfc3339_now();
      auto exec_id = exec_create(id, ExecConfig{cmd, {}, "", "", false});
      int code = -1;
      std::string output;
      if (exec_id) {
        // A probe that outlives its timeout is killed and counts as a failure.
        std::atomic<bool> done{false};
        std::thread watchdog([&] {
          auto deadline = std::chrono::steady_clock::now() + timeout;
          while (!done && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          if (done) return;
          if (auto st = exec_inspect(*exec_id); st && st->pid > 0) {
            ::kill(st->pid, SIGTERM);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            ::kill(st->pid, SIGKILL);
          }
        });
        auto r = exec_start(*exec_id, [&](const std::string&, std::string_view d) -> Result<void> {
          if (output.size() < 4096) output.append(d.substr(0, 4096 - output.size()));
          return {};
        });
        done = true;
        watchdog.join();
        code = r ? *r : -1;
        std::lock_guard<std::mutex> l(s.mu);
        s.execs.erase(*exec_id);
      }
      bool in_start_period = std::chrono::steady_clock::now() - begun < start_period;
      std::lock_guard<std::mutex> l(s.mu);
      auto it = s.containers.find(id);
      if (it == s.containers.end() || it->second.state.started_at != started) return;
      Json& h = it->second.state.health;
      if (!h.is_object()) h = {{"Status", "starting"}, {"FailingStreak", 0}, {"Log", Json::array()}};
      h["Log"].push_back({{"Start", t0}, {"End", rfc3339_now()}, {"ExitCode", code},
                          {"Output", output}});
      while (h["Log"].size() > 5) h["Log"].erase(h["Log"].begin());
      std::string before = h.value("Status", "");
      if (code == 0) {
        h["Status"] = "healthy";
        h["FailingStreak"] = 0;
      } else if (!in_start_period) {
        h["FailingStreak"] = h.value("FailingStreak", 0) + 1;
        if (h["FailingStreak"].get<int>() >= retries) h["Status"] = "unhealthy";
      }
      if (h.value("Status", "") != before) s.emit(it->second, "health_status: " + h.value("Status", ""));
      (void)s.save(it->second);
      s.changed();
    }
  }).detach();
}

}  // namespace berth::engine
