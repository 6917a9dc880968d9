"""Helpers shared by the benchmarks: a private docker-registry, a private dockerd, timing and
side-by-side reports (medians, ratios to berth)."""
import os, shutil, socket, statistics, subprocess, time


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, capture_output=True,
                          text=True, **kw).stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Registry:
    def __init__(self, work):
        self.work, self.proc = work, None

    def start(self):
        self.stop()
        self.port = free_port()
        self.data = os.path.join(self.work, "registry-data")
        shutil.rmtree(self.data, ignore_errors=True)
        os.makedirs(self.data)
        conf = os.path.join(self.work, "registry.yml")
        open(conf, "w").write("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                              "    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%d\n"
                              % (self.data, self.port))
        self.proc = subprocess.Popen(["docker-registry", "serve", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return "127.0.0.1:%d" % self.port
            except OSError:
                time.sleep(0.1)
        raise SystemExit("registry did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None


class Dockerd:
    def __init__(self, work):
        self.dir = os.path.join(work, "dockerd")
        os.makedirs(self.dir)
        self.host = "unix://%s/docker.sock" % self.dir
        self.proc = subprocess.Popen(
            ["dockerd", "--data-root", self.dir + "/data", "--exec-root", self.dir + "/exec",
             "--pidfile", self.dir + "/docker.pid", "-H", self.host, "--bridge", "none",
             "--iptables=false", "--ip-masq=false", "--containerd-namespace", "berth-bench",
             "--containerd-plugins-namespace", "berth-bench-plugins"],
            stdout=open(self.dir + "/log", "w"), stderr=subprocess.STDOUT)
        for _ in range(100):
            if self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise SystemExit("dockerd did not start")

    def docker(self, *args, check=True):
        return subprocess.run(["docker", "-H", self.host] + list(args), capture_output=True,
                              text=True, check=check)

    def stop(self):
        self.docker("system", "prune", "-af", check=False)
        self.proc.terminate()
        self.proc.wait()


def settle():
    subprocess.run(["sync"])
    time.sleep(0.5)


def timed(cmd, env=None):
    settle()
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit("%s failed: %s" % (" ".join(cmd), r.stderr.strip()[-500:]))
    return dt


def report(title, results, base="berth", mb=None):
    print("\n" + title)
    b = statistics.median(results[base])
    for name, xs in results.items():
        med = statistics.median(xs)
        line = "  %-8s median %7.3f s  (min %.3f, max %.3f)  %s/%s = %.2f" % (
            name, med, min(xs), max(xs), base, name, b / med)
        if mb:
            line += "  %6.0f MB/s" % (mb / med)
        print(line)


class BerthDaemon:
    """`berth daemon` on its own data root and socket."""

    def __init__(self, berth, work):
        self.dir = os.path.join(work, "berth")
        os.makedirs(self.dir)
        self.host = "unix://%s/berth.sock" % self.dir
        self.proc = subprocess.Popen([berth, "daemon", "--data-root", self.dir + "/root",
                                      "-H", self.host], stdout=open(self.dir + "/log", "w"),
                                     stderr=subprocess.STDOUT)
        for _ in range(100):
            if self.docker("version", check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit("berth daemon did not start")

    def docker(self, *args, check=True):
        return subprocess.run(["docker", "-H", self.host] + list(args), capture_output=True,
                              text=True, check=check)

    def stop(self):
        ids = self.docker("ps", "-aq", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)
        self.proc.terminate()
        self.proc.wait()
        # berth0 and CNI's base chains, once no container uses them (as the tests do).
        subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                     "support", "cleanup-bridge.sh")])


def pss_kib(pids):
    """Proportional set size of the processes, in KiB (/proc/PID/smaps_rollup)."""
    total = 0
    for pid in pids:
        try:
            for line in open("/proc/%d/smaps_rollup" % pid):
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def pids_of(pattern):
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]
