// Spool throughput, not run by ctest (DISABLED_); run by hand:
//
//   build/tests/spool_bench_test --gtest_also_run_disabled_tests
//   POOLGATE_BENCH_SECONDS=10 POOLGATE_BENCH_DIR=/var/spool POOLGATE_BENCH_BYTES=65536 ...
//   (defaults: 3 seconds per run, /tmp, 4096-byte messages)
//
// GroupCommit: N sessions in a closed loop, as the event loop runs them (each
// completion starts the session's next message), against the Spool; reports
// messages/s, synced writes/s and latency. PerMessageFiles: the classic queue
// directory for comparison, N threads each writing a message file, fdatasync,
// rename into place, fsync of the directory. Same message, same disk.
#include "spool/records.h"
#include "spool/spool.h"
#include "spool_test_support.h"

#include <gtest/gtest.h>

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace poolgate;
using namespace poolgate::spool_test;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kConcurrency[] = {1, 20, 100};
size_t message_bytes() {
  const char* b = getenv("POOLGATE_BENCH_BYTES");
  return b ? std::strtoul(b, nullptr, 10) : 4096;
}

double seconds() {
  const char* s = getenv("POOLGATE_BENCH_SECONDS");
  return s ? std::atof(s) : 3.0;
}

std::string bench_dir() {
  const char* d = getenv("POOLGATE_BENCH_DIR");
  return d ? d : "/tmp";
}

struct Result {
  uint64_t messages = 0;
  uint64_t syncs = 0;
  double elapsed = 0;
  std::vector<double> latency_ms;

  void print(const char* what, int n) {
    std::sort(latency_ms.begin(), latency_ms.end());
    auto pct = [&](double p) {
      return latency_ms.empty() ? 0.0 : latency_ms[size_t(p * (latency_ms.size() - 1))];
    };
    std::printf("%-16s %4d writers: %8.0f msg/s %8.0f syncs/s %6.1f msg/sync  "
                "latency p50 %6.2f ms p99 %6.2f ms\n",
                what, n, messages / elapsed, syncs / elapsed,
                syncs ? double(messages) / syncs : 0.0, pct(0.5), pct(0.99));
  }
};

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

Result run_spool(int sessions) {
  TempDir dir(bench_dir());
  auto spool = Spool::open(dir.path());
  std::string content = make_content(1, message_bytes());
  Result r;
  std::mutex m;
  std::condition_variable cv;
  int running = sessions;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds());
  std::function<void()> next = [&] {
    if (Clock::now() >= deadline) {
      std::lock_guard lock(m);
      if (--running == 0) cv.notify_all();
      return;
    }
    auto t = Clock::now();
    spool->commit_async(sample_envelope(2), content, [&, t](std::error_code ec, std::string) {
      ASSERT_FALSE(ec);
      r.latency_ms.push_back(ms_since(t));  // callbacks: the committer thread only
      next();
    });
  };
  for (int s = 0; s < sessions; ++s) next();
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return running == 0; });
  r.elapsed = ms_since(start) / 1000;
  r.messages = spool->stats().messages;
  r.syncs = spool->stats().syncs;
  return r;
}

void write_all(int fd, const std::string& data) {
  ASSERT_EQ(write(fd, data.data(), data.size()), ssize_t(data.size()));
}

Result run_files(int threads) {
  TempDir dir(bench_dir());
  std::string incoming = dir.sub("incoming"), queue = dir.sub("queue");
  std::filesystem::create_directory(incoming);
  std::filesystem::create_directory(queue);
  int queue_fd = open(queue.c_str(), O_RDONLY | O_DIRECTORY);
  std::string content = make_content(1, message_bytes());
  QueueIdGenerator ids;
  std::atomic<uint64_t> messages{0};
  std::vector<std::vector<double>> latencies(threads);
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds());
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      while (Clock::now() < deadline) {
        auto began = Clock::now();
        std::string id = ids.next();
        Envelope e = sample_envelope(2);
        std::string tmp = incoming + "/" + id, final = queue + "/" + id;
        int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        write_all(fd, encode_envelope(e, 1));
        write_all(fd, content);
        fdatasync(fd);
        close(fd);
        rename(tmp.c_str(), final.c_str());
        fsync(queue_fd);  // the rename itself durable
        latencies[t].push_back(ms_since(began));
        ++messages;
      }
    });
  for (auto& w : workers) w.join();
  close(queue_fd);
  Result r;
  r.elapsed = ms_since(start) / 1000;
  r.messages = messages;
  r.syncs = messages * 2;  // one fdatasync, one directory fsync per message
  for (auto& l : latencies) r.latency_ms.insert(r.latency_ms.end(), l.begin(), l.end());
  return r;
}

}  // namespace

TEST(SpoolBench, DISABLED_GroupCommit) {
  for (int n : kConcurrency) run_spool(n).print("rocksdb spool", n);
}

TEST(SpoolBench, DISABLED_PerMessageFiles) {
  for (int n : kConcurrency) run_files(n).print("file per message", n);
}
