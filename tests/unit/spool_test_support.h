// Shared by the spool tests: a private spool directory, envelopes with every
// field set, self-describing content (a crashed writer's leftovers can be
// checked without knowing what it wrote), and a child process running this
// same test binary (a fresh process: RocksDB's thread pools do not survive
// fork()).
#pragma once

#include "mail/envelope.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace poolgate::spool_test {

class TempDir {
 public:
  explicit TempDir(const std::string& base = "/tmp") {
    std::string pattern = base + "/pg-spool-test.XXXXXX";
    if (!mkdtemp(pattern.data())) abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline uint64_t fnv1a(std::string_view data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return h;
}

inline uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// "seed=<16 hex> size=<n>\n" then pseudo-random bytes from the seed, n bytes in
// all (at least the header).
inline std::string make_content(uint64_t seed, size_t size) {
  char header[64];
  int n = std::snprintf(header, sizeof header, "seed=%016llx size=%zu\n",
                        static_cast<unsigned long long>(seed), size);
  std::string out(header, n);
  uint64_t state = seed;
  while (out.size() < size) {
    uint64_t r = splitmix(state);
    for (int i = 0; i < 8 && out.size() < size; ++i) out.push_back(static_cast<char>(r >> (8 * i)));
  }
  return out;
}

// The seed of a make_content() string, nullopt if it is not exactly one.
inline std::optional<uint64_t> content_seed(const std::string& content) {
  unsigned long long seed;
  size_t size;
  if (std::sscanf(content.c_str(), "seed=%16llx size=%zu\n", &seed, &size) != 2)
    return std::nullopt;
  if (make_content(seed, size) != content) return std::nullopt;
  return seed;
}

inline Envelope sample_envelope(int recipients = 2) {
  Envelope e;
  e.sender = "bounce+x@example.org";
  for (int i = 0; i < recipients; ++i) {
    Recipient r;
    r.address = "user" + std::to_string(i) + "@example.net";
    r.notify = kNotifyFailure | kNotifyDelay;
    r.orcpt = "rfc822;" + r.address;
    e.recipients.push_back(r);
  }
  e.ret = DsnRet::Headers;
  e.envid = "ENV-1";
  e.client_address = "192.0.2.7";
  e.client_helo = "client.example.org";
  e.received_unix = 1760000000;
  return e;
}

// This test binary again, running only SpoolChild.DISABLED_Run with `role`.
// fd 3 in the child writes lines to the parent (lines()), fd 4 reads the
// parent's send(); stdout goes to /dev/null.
class Child {
 public:
  Child(const std::string& role, const std::string& spool) {
    int up[2], down[2];
    if (pipe2(up, O_CLOEXEC) != 0 || pipe2(down, O_CLOEXEC) != 0) abort();
    pid_ = fork();
    if (pid_ == 0) {
      dup2(up[1], 3);
      dup2(down[0], 4);
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      setenv("POOLGATE_SPOOL_CHILD_ROLE", role.c_str(), 1);
      setenv("POOLGATE_SPOOL_CHILD_DIR", spool.c_str(), 1);
      execl("/proc/self/exe", "spool-child", "--gtest_filter=SpoolChild.DISABLED_Run",
            "--gtest_also_run_disabled_tests", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(up[1]);
    close(down[0]);
    in_ = fdopen(up[0], "r");
    out_ = down[1];
  }
  ~Child() {
    if (pid_ > 0) {
      kill9();
      wait();
    }
    if (in_) fclose(in_);
    if (out_ >= 0) close(out_);
  }

  pid_t pid() const { return pid_; }
  // The next line from the child without its newline; nullopt at EOF.
  std::optional<std::string> line() {
    char* buf = nullptr;
    size_t cap = 0;
    ssize_t n = getline(&buf, &cap, in_);
    std::optional<std::string> out;
    if (n > 0) out.emplace(buf, n - (buf[n - 1] == '\n'));
    free(buf);
    return out;
  }
  void send(const std::string& text) {
    std::string l = text + "\n";
    if (write(out_, l.data(), l.size()) < 0) perror("send");
  }
  void close_input() {
    close(out_);
    out_ = -1;
  }
  void kill9() { kill(pid_, SIGKILL); }
  int wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  int out_ = -1;
};

}  // namespace poolgate::spool_test
