"""The Python side of the BigCodeBench sandbox (sandbox.ts): a fork server.

One server process lives per sandbox slot. It imports the harness's modules once, then answers
one request at a time: a JSON line on stdin (the program, its limits, the isolation plan) gets one
JSON line on stdout ({"timedOut", "reports", "output"}). Forking a warm interpreter instead of
starting two fresh ones per execution is what makes thousands of rollouts affordable.

Per request the server forks a *runner* that
  1. enters the namespaces of the plan (so every execution gets fresh ones),
  2. forks the *supervisor*: pid 1 of the new pid namespace when there is one, else the leader of a
     new session. It makes the root read-only, mounts a fresh /proc (only the sandbox's processes),
     private bounded tmpfs folders, empty ones over /run, /root and the caller's home and cwd, and
     /dev/null over the shadow files, raises loopback, prepares the working directory and forks the
     *harness*, which sets the limits, drops to the sandbox uid and runs the code's tests in-process,
  3. collects the harness's report and output until the supervisor ends or the time limit passes,
     then kills the whole namespace (or session), sweeps the sandbox uid's strays, and answers.
The time limit counts the program's own time, not the machine's load (`time_owed`): at the deadline
a program that spent part of it waiting for a CPU gets that much longer, up to `maxStretch` times
its limit in wall-clock time; one still owed time at that cap is answered `starved`.
Reports travel as JSON lines on a private pipe; the code's output on another, capped head and tail.
"""
import ctypes, fcntl, json, os, pwd, resource, select, signal, socket, struct, sys, time
# The harness's own modules: imported here once, so an execution pays nothing for them.
import random, traceback, types, unittest

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 32, 4096, 16384, 1 << 18
# The world-writable folders: private in a mount namespace, swept for the sandbox uid's files without one.
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
# tmpfs pages are memory that RLIMIT_AS does not count: /dev/shm and /run get a few MB, and /var/tmp
# shares /tmp's tmpfs (maxFileMb), so all the sandbox may write stays bounded.
SHM_MB, RUN_MB = 16, 1
# Host secrets the program must not read: root-owned sockets and state (/run), root's home, password hashes.
HIDDEN_DIRS = ("/run", "/var/run", "/root")
HIDDEN_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-")
# Never hidden, nor any folder holding them: what the interpreter and the harness need.
NEEDED_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/bin", "/sbin", "/dev", "/proc", "/sys", "/tmp", "/var/tmp",
               sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)))
DETAIL_LIMIT = 20000
# After the supervisor ends, strays that escaped it may hold the pipes open: wait this long at most.
DRAIN_SECONDS = 0.2
# Without a pidfd, how often the runner checks whether the supervisor has ended.
POLL_SECONDS = 0.01
# Own time a timed-out program may still be owed and count as having had its limit (see time_owed).
OWED_SLACK_SECONDS = 0.05
# Whether this kernel keeps run-queue statistics (CONFIG_SCHED_INFO); without them no wait can be measured.
SCHEDSTAT = os.path.exists("/proc/self/schedstat")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class SetupError(Exception):
    pass


def check(rc, what):
    if rc != 0:
        raise SetupError(what + ": " + os.strerror(ctypes.get_errno()))


def write_file(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_report(fd, **fields):
    os.write(fd, (json.dumps(fields) + "\n").encode())


# ------------------------------------------------------------------ runner: namespaces and timer

def enter_namespaces(kind):
    if kind == "root":
        check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID), "unshare")
    else:
        uid, gid = os.geteuid(), os.getegid()
        check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID), "unshare")
        write_file("/proc/self/setgroups", "deny")
        write_file("/proc/self/uid_map", "0 %d 1" % uid)
        write_file("/proc/self/gid_map", "0 %d 1" % gid)
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")


class CappedOutput:
    """The first and last `limit` bytes of a stream, so endless printing costs bounded memory."""

    def __init__(self, limit):
        self.limit, self.head, self.tail, self.dropped = limit, b"", b"", 0

    def add(self, chunk):
        room = self.limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        self.tail += chunk
        if len(self.tail) > self.limit:
            self.dropped += len(self.tail) - self.limit
            self.tail = self.tail[-self.limit:]

    def text(self):
        head, tail = self.head.decode("utf-8", "replace"), self.tail.decode("utf-8", "replace")
        return "%s\n…[%d bytes dropped]…\n%s" % (head, self.dropped, tail) if self.dropped else head + tail


def own_network():
    """Without a mount namespace (the `uid` plan), a network namespace alone still hides host
    loopback services and abstract sockets, where the kernel allows one; whether it did is answered."""
    return libc.unshare(CLONE_NEWNET) == 0


def run_request(payload):
    """In the runner (a fresh fork of the server): one execution, answered as a dict."""
    limits = payload["limits"]
    namespaces = payload["namespaces"]
    reports_r, reports_w = os.pipe()
    output_r, output_w = os.pipe()
    if namespaces:
        enter_namespaces(namespaces)
    private_network = bool(namespaces) or (payload["dropUid"] is not None and own_network())
    # The supervisor mounts the sandbox's own /proc in this mount namespace: the timer keeps this one.
    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    supervisor = os.fork()
    if supervisor == 0:
        os.close(reports_r)
        os.close(output_r)
        os.close(proc)
        try:
            if not namespaces:
                os.setsid()  # its own session and group: the timeout kills all of it
            supervise(payload, private_network, reports_w, output_w)
        except BaseException as e:
            write_report(reports_w, kind="infra", error=str(e) if isinstance(e, SetupError) else repr(e))
        os._exit(0)
    os.close(reports_w)
    os.close(output_w)
    started = time.monotonic()
    limit = limits["timeoutMs"] / 1000.0
    deadline = started + limit
    cap = started + limit * payload["maxStretch"]
    output = CappedOutput(limits["maxOutputChars"])
    report_bytes = b""
    timed_out = starved = False
    ended_at = None
    ended = supervisor_watch(supervisor)
    open_fds = {reports_r, output_r}
    while open_fds:
        now = time.monotonic()
        if ended_at is None and now >= deadline:
            owed = time_owed(proc, supervisor, limit, now - started)
            if owed is not None and owed > OWED_SLACK_SECONDS and now < cap:
                # It lost time to other processes: the deadline moves by what it is still owed.
                deadline = min(now + owed, cap)
            else:
                timed_out, starved = True, owed is None or owed > OWED_SLACK_SECONDS
                kill_tree(supervisor, namespaces)
                ended_at = now
        if ended_at is not None and now - ended_at >= DRAIN_SECONDS:
            break
        wait = (deadline if ended_at is None else ended_at + DRAIN_SECONDS) - now
        if ended_at is None and ended.fd is None:
            wait = min(wait, POLL_SECONDS)
        ready, _, _ = select.select(list(open_fds) + ([ended.fd] if ended_at is None and ended.fd is not None else []), [], [], max(0.0, wait))
        if ended_at is None and ended():
            # The supervisor ended: everything left of the sandbox is a stray. Kill them, drain.
            kill_tree(supervisor, namespaces)
            ended_at = time.monotonic()
        for fd in ready:
            if fd == ended.fd:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
            elif fd == output_r:
                output.add(chunk)
            else:
                report_bytes += chunk
    kill_tree(supervisor, namespaces)
    ended.reap()
    os.close(proc)
    reports = parse_reports(report_bytes)
    if payload["dropUid"] is not None and not namespaces:
        strays = sweep(payload["dropUid"], payload["hostDir"])
        if strays:
            reports.append({"kind": "strays", "paths": strays})
    return {"timedOut": timed_out, "starved": starved, "reports": reports, "output": output.text(), "privateNetwork": private_network}


def time_owed(proc, root, limit, elapsed):
    """Seconds of its own time the sandbox's processes (`root` and its live descendants) are still
    owed of `limit` after `elapsed` seconds of wall-clock time; None when it cannot be measured.
    `proc` is a handle on the host's /proc.

    Own time is wall-clock time minus the time the work was held up in a run queue, waiting for a
    CPU that other processes had (Linux's run delay, the second field of
    /proc/<pid>/task/<tid>/schedstat; CPU quota throttling counts too). A process's delay is its
    most-delayed thread's; the work's delay is the largest sum of delays down a line of descent
    (supervisor, harness, the harness's children), its critical path. A program that sleeps or
    blocks is not held up, so sleeping past the limit is its own timeout on any machine. Processes
    that already ended are not counted (Linux keeps no total of their delay).

    Nothing is owed once the processes have used a whole CPU for the limit (utime + stime, reaped
    children included): each execution is entitled to one core, and a program that keeps more
    than one busy delays itself."""
    parent, cpu = {}, {}
    for entry in os.listdir(proc):
        if not entry.isdigit():
            continue
        try:
            fields = read_proc(proc, entry + "/stat").rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(t) for t in fields[11:15]) / CLOCK_TICKS
    tree, delay = [p for p in parent if p == root], {}
    for pid in tree:  # grows while it is walked: breadth first from the root
        tree.extend(p for p in parent if parent[p] == pid)
        delay[pid] = delay.get(parent[pid], 0.0) + thread_delay(proc, pid)
    if sum(cpu[p] for p in tree) >= limit:
        return 0.0
    if not SCHEDSTAT:
        return None
    return max(0.0, limit - (elapsed - max(delay.values(), default=0.0)))


def thread_delay(proc, pid):
    """Seconds the most-delayed live thread of `pid` has waited in a run queue."""
    longest = 0
    try:
        threads = list_proc(proc, "%d/task" % pid)
    except OSError:
        return 0.0
    for tid in threads:
        try:
            longest = max(longest, int(read_proc(proc, "%d/task/%s/schedstat" % (pid, tid)).split()[1]))
        except (OSError, IndexError, ValueError):
            pass
    return longest / 1e9


def read_proc(proc, path):
    """The text of a file under the /proc that `proc` holds open."""
    fd = os.open(path, os.O_RDONLY, dir_fd=proc)
    try:
        return os.read(fd, 65536).decode()
    finally:
        os.close(fd)


def list_proc(proc, path):
    """The entries of a folder under the /proc that `proc` holds open."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY, dir_fd=proc)
    try:
        return os.listdir(fd)
    finally:
        os.close(fd)


class supervisor_watch:
    """Whether the supervisor has ended: a pidfd to select on (Linux 5.3+), else polling."""

    def __init__(self, pid):
        self.pid, self.done = pid, False
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.fd = None

    def __call__(self):
        if not self.done:
            if self.fd is not None:
                self.done = bool(select.select([self.fd], [], [], 0)[0])
            else:
                self.done = os.waitpid(self.pid, os.WNOHANG)[0] != 0
                self.reaped = self.done
        return self.done

    def reap(self):
        if not getattr(self, "reaped", False):
            os.waitpid(self.pid, 0)
        if self.fd is not None:
            os.close(self.fd)


def parse_reports(data):
    # A report cut short by a kill is not a report.
    reports = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            reports.append(json.loads(line))
        except ValueError:
            pass
    return [r for r in reports if isinstance(r, dict)]


def kill_tree(supervisor, namespaces):
    # In a pid namespace the supervisor is its pid 1: killing it kills every process in it.
    try:
        if namespaces:
            os.kill(supervisor, signal.SIGKILL)
        else:
            os.killpg(supervisor, signal.SIGKILL)
    except ProcessLookupError:
        pass


def sweep(uid, host_dir):
    """Kills every process of the sandbox's uid (nothing else uses it) and removes the files it
    left in the world-writable temp folders; returns their paths."""
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            try:
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
    strays = []
    for d in PRIVATE_DIRS:
        for root, dirs, files in os.walk(d, topdown=False):
            if host_dir and (root == host_dir or root.startswith(host_dir + "/")):
                continue
            for name in files + dirs:
                path = os.path.join(root, name)
                try:
                    if os.lstat(path).st_uid == uid:
                        (os.rmdir if os.path.isdir(path) and not os.path.islink(path) else os.unlink)(path)
                        strays.append(path)
                except OSError:
                    pass
    return strays


# ------------------------------------------------------------------ supervisor: filesystem, reaping

def mount_tmpfs(path, size_mb, mode, flags=0):
    options = ("size=%dm,mode=%s" % (size_mb, mode)).encode()
    check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | flags, options), "mount tmpfs on " + path)


def bind(source, target):
    check(libc.mount(source.encode(), target.encode(), None, MS_BIND, None), "bind %s over %s" % (source, target))


def world_writable_dir(path):
    os.mkdir(path)
    os.chmod(path, 0o1777)  # past the umask


def hideable(path):
    path = os.path.realpath(path)
    return path != "/" and os.path.isdir(path) and not any(n == path or n.startswith(path + "/") for n in NEEDED_DIRS)


def isolate_filesystem(limits, hide_dirs):
    check(libc.mount(None, b"/", None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), "remount / read-only")
    # pid 1 of the new pid namespace mounts a /proc that lists only the sandbox's processes, so no
    # host process's environ, cmdline or fds can be read through it.
    check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount a fresh /proc")
    mount_tmpfs("/tmp", limits["maxFileMb"], "1777")
    if os.path.isdir("/var/tmp") and not os.path.islink("/var/tmp"):
        world_writable_dir("/tmp/.var-tmp")
        bind("/tmp/.var-tmp", "/var/tmp")
    if os.path.isdir("/dev/shm"):
        mount_tmpfs("/dev/shm", SHM_MB, "1777")
    for d in HIDDEN_DIRS:
        if os.path.isdir(d) and not os.path.islink(d):
            mount_tmpfs(d, RUN_MB, "755")
            if d == "/run":
                world_writable_dir("/run/lock")
    for d in set(os.path.realpath(d) for d in hide_dirs if d) - set(HIDDEN_DIRS):
        if hideable(d):
            mount_tmpfs(d, RUN_MB, "755", MS_RDONLY)
    for f in HIDDEN_FILES:
        if os.path.isfile(f):
            bind("/dev/null", f)


def raise_loopback():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0)))[1]
    fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
    s.close()


def prepare(work, payload):
    os.makedirs(os.path.join(work, ".tmp"))
    os.makedirs(os.path.join(work, "bin"))
    for name, text in payload["files"].items():
        write_file(os.path.join(work, name), text)
    for alias in ("python", "python3"):
        os.symlink(sys.executable, os.path.join(work, "bin", alias))
    uid = payload["dropUid"]
    if uid is not None:
        for root, dirs, files in os.walk(work):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.lchown(name, uid, uid)


def describe(status):
    if os.WIFSIGNALED(status):
        return "killed by signal %d" % os.WTERMSIG(status)
    return "exit status %d" % os.WEXITSTATUS(status)


def supervise(payload, private_network, reports_w, output_w):
    # In a pid namespace this process is pid 1: it reaps orphans until the harness ends.
    if private_network:
        raise_loopback()
    if payload["namespaces"]:
        isolate_filesystem(payload["limits"], payload["hideDirs"] + [CALLER_HOME])
        work = "/tmp/sandbox"
    else:
        work = os.path.join(payload["hostDir"], "work")
    prepare(work, payload)
    harness = os.fork()
    if harness == 0:
        try:
            enter_harness(work, payload, reports_w, output_w)
            run_tests(payload["entryPoint"], reports_w)
        except BaseException as e:
            write_report(reports_w, kind="infra", error="starting the harness: %r" % (e,))
        os._exit(1)
    while True:
        pid, status = os.wait()
        if pid == harness:
            write_report(reports_w, kind="exit", how=describe(status))
            return


def processes_of(uid):
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/status" % entry) as f:
                status = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1 ").split()[0]) == uid:
            count += int(fields.get("Threads", "1").strip())
    return count


def enter_harness(work, payload, reports_w, output_w):
    """Limits, the sandbox uid, the working directory, a clean environment and only three fds:
    what a fresh interpreter started in the sandbox would have."""
    limits, uid = payload["limits"], payload["dropUid"]
    mem = limits["memoryMb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    size = limits["maxFileMb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nproc = limits["maxProcesses"] + (0 if uid is not None else processes_of(os.getuid()))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.chdir(work)
    os.environ.clear()
    os.environ.update({
        "PATH": os.path.join(work, "bin") + ":/usr/local/bin:/usr/bin:/bin",
        "HOME": work, "TMPDIR": os.path.join(work, ".tmp"), "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8",
    })
    devnull = os.open("/dev/null", os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(output_w, 1)
    os.dup2(output_w, 2)
    os.closerange(3, reports_w)
    os.closerange(reports_w + 1, 65536)
    sys.argv = ["-c", payload["entryPoint"]]


# ------------------------------------------------------------------ harness: the tests

def run_tests(entry, report_fd):
    """Loads code and tests into one module named `__test__` (as BigCodeBench does), checks the
    entry point and `TestCases`, runs the tests with unittest and reports once, from this process
    only (a child the code forks never reports)."""
    me = os.getpid()

    def finish(status, passed, total, detail):
        if os.getpid() == me:
            sys.stdout.flush()
            sys.stderr.flush()
            write_report(report_fd, kind="result", status=status, passed=passed, total=total, detail=detail[:DETAIL_LIMIT])
        # Leave at once: the code's atexit handlers and non-daemon threads must not hold the run.
        os._exit(0)

    def source(name):
        with open(name, encoding="utf-8") as f:
            return f.read()

    # Seeded so that a test drawing unseeded random values (BigCodeBench/694 does) gives the same
    # verdict on every run: scores, and every draw that depends on them, must repeat with the seeds.
    random.seed(0)
    module = types.ModuleType("__test__")
    module.__file__ = os.path.abspath("solution.py")
    sys.modules["__test__"] = module
    try:
        code = compile(source("solution.py"), "solution.py", "exec")
        tests = compile(source("tests.py"), "tests.py", "exec")
    except SyntaxError as e:
        finish("error", 0, 0, "".join(traceback.format_exception_only(type(e), e)))
    try:
        exec(code, module.__dict__)
        if entry and not callable(module.__dict__.get(entry)):
            finish("error", 0, 0, "the code defines no function %r" % entry)
        exec(tests, module.__dict__)
    except BaseException:
        finish("error", 0, 0, traceback.format_exc())
    cases = module.__dict__.get("TestCases")
    if not (isinstance(cases, type) and issubclass(cases, unittest.TestCase)):
        finish("error", 0, 0, "the tests define no unittest.TestCase class named TestCases")
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(cases)
    result = unittest.TestResult()
    try:
        suite.run(result)
    except BaseException:
        finish("error", 0, result.testsRun, traceback.format_exc())
    problems = [("FAIL", t, tb) for t, tb in result.failures] + [("ERROR", t, tb) for t, tb in result.errors]
    problems += [("UNEXPECTED SUCCESS", t, "") for t in result.unexpectedSuccesses]
    total = result.testsRun
    passed = total - len(problems)
    detail = "\n".join("%s: %s\n%s" % (kind, t.id().rsplit(".", 1)[-1], tb) for kind, t, tb in problems)
    if total == 0:
        detail = "TestCases has no test methods"
    finish("pass" if total > 0 and not problems else "fail", passed, total, detail)


# ------------------------------------------------------------------ server loop

def serve():
    answers = os.dup(1)
    requests = os.fdopen(os.dup(0), "rb")
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    for line in requests:
        if not line.strip():
            continue
        payload = json.loads(line)
        answer_r, answer_w = os.pipe()
        runner = os.fork()
        if runner == 0:
            os.close(answer_r)
            os.close(answers)
            requests.close()
            try:
                answer = run_request(payload)
            except SetupError as e:
                answer = {"timedOut": False, "reports": [{"kind": "infra", "error": str(e)}], "output": ""}
            except BaseException as e:
                answer = {"timedOut": False, "reports": [{"kind": "infra", "error": "the sandbox runner failed: %r" % (e,)}], "output": ""}
            data = (json.dumps(answer) + "\n").encode()
            while data:
                data = data[os.write(answer_w, data):]
            os._exit(0)
        os.close(answer_w)
        chunks = []
        while True:
            chunk = os.read(answer_r, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(answer_r)
        _, status = os.waitpid(runner, 0)
        data = b"".join(chunks)
        if not data.endswith(b"\n"):
            data = (json.dumps({"timedOut": False, "reports": [{"kind": "infra", "error": "the sandbox runner ended without an answer (%s)" % describe(status)}], "output": ""}) + "\n").encode()
        while data:
            data = data[os.write(answers, data):]


# The caller's home (~/.netrc, ~/.config, keys) is hidden with /root; HOME is not in the server's environment.
try:
    CALLER_HOME = pwd.getpwuid(os.getuid()).pw_dir
except KeyError:  # a uid without a passwd entry (some containers) has no home to hide
    CALLER_HOME = ""

if __name__ == "__main__":
    serve()
