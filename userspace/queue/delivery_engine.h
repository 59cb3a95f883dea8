// The delivery engine: takes durable messages from the relay (and from the
// spool at start), splits them into jobs per (pool, recipient domain), and
// delivers each job over marked connections to the domain's next hops.
//
//   add()/start() -> jobs -> Destination::ready (due now) or deferred_ (later)
//   kick(dest)    -> up to connection_limit connections per destination
//   connection()  -> next hops (mx/), source address (pools/source_picker),
//                    SmtpClient (delivery/), several jobs per connection
//   record()      -> per-recipient outcome: delivered, failed (DSN, dsn/),
//                    deferred (retry_policy.h); durable in the spool
//
// The spool stays the truth: each recipient's state, attempts and next
// attempt time are written there after every attempt, so a restart resumes
// with retry times kept. A message is removed only once every recipient is
// final and its DSN (if any) is durable; a crash in between repeats at most
// the deliveries that were in flight (and their DSN).
//
// Single-threaded: everything runs on the io_context's thread.
#pragma once

#include "config/config.h"
#include "delivery/client_options.h"
#include "delivery/result.h"
#include "dns/dns_lookup.h"
#include "dsn/dsn.h"
#include "pools/source_picker.h"
#include "queue/destination.h"
#include "queue/queue_control.h"
#include "queue/queued_message.h"
#include "queue/retry_policy.h"
#include "reputation/reply_rules.h"
#include "reputation/source_site_book.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>

namespace poolgate {

class Spool;
class SmtpClient;

// Recipients' final or retry outcomes, since start.
struct OutcomeCounts {
  uint64_t delivered = 0, deferred = 0, bounced = 0;
};

struct EngineStats {
  size_t messages = 0;       // in the queue
  size_t ready_jobs = 0;     // due now, waiting for a connection
  size_t deferred_jobs = 0;  // waiting for their retry time
  uint32_t connections = 0;  // open or opening
  uint64_t delivered = 0, deferred = 0, bounced = 0;  // recipients, since start
  uint64_t dsns = 0;                                  // DSNs generated
  std::map<std::string, OutcomeCounts> outcomes_by_pool;
  uint64_t held_for_dns = 0;  // messages waiting for their sender domain check
  // Remote outcomes by (pool, reply class name): each failed recipient of a
  // transaction, each connection that failed before one, each failed
  // next-hop lookup (a destination's shared failure counts once, where it
  // happened, not again per waiting recipient).
  std::map<std::pair<std::string, std::string>, uint64_t> remote_replies;
};

// What waits in the queue for one (pool, recipient domain): for metrics and
// the admin API's /queue view.
struct QueueDepth {
  DestinationKey key;
  uint64_t messages = 0;    // messages with a pending recipient here
  uint64_t recipients = 0;  // pending (queued or deferred) recipients
};

class DeliveryEngine : public QueueControl {
 public:
  using IsLocal = std::function<bool(const boost::asio::ip::address&)>;

  DeliveryEngine(boost::asio::io_context& io, const Config& config, Spool& spool,
                 DnsLookup& dns, IsLocal is_local);
  ~DeliveryEngine() override;

  // Queues what the spool held at start (retry times kept), then runs.
  void start(std::vector<Envelope> recovered);
  // A message that just became durable.
  void add(Envelope envelope);
  // A held message (Envelope::hold_for_dns: its sender domain could not be
  // checked at arrival) is parked: listed, counted, deletable and bounceable,
  // but never scheduled. Classification checks it again (the daemon wires
  // classify/hold_rechecker.h to these hooks) and hands it back with
  // release_hold().
  struct HoldHooks {
    std::function<void(const Envelope&)> parked;             // a held message was added
    std::function<bool(const std::string& queue_id)> retry;  // `queue retry` of one: check now
  };
  void set_hold_hooks(HoldHooks hooks) { hold_hooks_ = std::move(hooks); }
  // Its domains are settled: deliver it through `pool` (the decision, already
  // written to the spool). false: ignored, the message is no longer queued
  // (deleted, bounced) or not held.
  bool release_hold(const std::string& queue_id, const std::string& pool,
                    const std::vector<std::string>& reasons);
  // A reload (SIGHUP): new pools, weights, delivery limits and retry times
  // apply to connections opened from now on; open ones finish with what they
  // have. `config` must outlive the engine's use of it (the daemon keeps
  // every generation). Messages of a pool that no longer exists wait
  // (4.3.5, deferred) until it returns.
  void reconfigure(const Config& config);
  // The reply-class rules for connections opened from now on (the daemon's
  // generation holds them; the shipped defaults until this is called).
  void set_reply_rules(std::shared_ptr<const ReplyRules> rules);
  // No new connections; open ones end after their current message.
  void stop();

  std::string retry(const std::string& queue_id) override;
  std::string bounce(const std::string& queue_id) override;
  std::string remove(const std::string& queue_id) override;
  std::string suspend(const std::string& domain) override;
  std::string resume(const std::string& domain) override;

  EngineStats stats() const;
  // Pending recipients by (pool, domain), largest first.
  std::vector<QueueDepth> queue_depths() const;
  // Every queued message as it stands now (recipients' states included).
  std::vector<Envelope> snapshot() const;
  const std::string& pool_of(const Envelope& envelope) const;
  // Every (source address, site) the receivers told us about: rests, backing
  // off, connections (reputation/source_site_book.h).
  std::vector<SourceSiteView> reputation() const { return book_.views(std::time(nullptr)); }

 private:
  // Where an attempt went, for the log and DSNs.
  struct Attempt {
    std::string mx_host;  // "" when no connection was made
    DeliveryRecord record;
    // Deferred recipients go again at this time rather than by the retry
    // schedule: at once after a block rested the source address, or when the
    // first rest of an all-resting pool ends. 0 = the schedule.
    int64_t retry_at_unix = 0;
  };

  void make_pickers();

  // Scheduling (delivery_engine.cpp).
  void enqueue(QueuedMessage& message);
  void schedule(Job job, int64_t due_unix);
  Destination& destination(const DestinationKey& key);
  std::shared_ptr<Destination> destination_ptr(const DestinationKey& key);
  void kick(Destination& dest);
  void kick_all();
  boost::asio::awaitable<void> ticker();
  void release_due(int64_t now_unix);
  // Takes the next ready job of `dest` whose message still wants it; marks
  // the message in flight.
  std::optional<Job> next_job(Destination& dest);
  // An open connection with nothing to send waits connection_idle_ms for a
  // job to its destination; nullopt: none came (or stopping).
  boost::asio::awaitable<std::optional<Job>> wait_idle(Destination& dest);
  // Drops every queued job of a message (delete, bounce).
  void drop_jobs(const std::string& queue_id);

  // One connection's life (engine_connection.cpp).
  boost::asio::awaitable<void> connection(std::shared_ptr<Destination> dest, Job first);
  boost::asio::awaitable<void> deliver_jobs(Destination& dest, SmtpClient& client,
                                            const SourceBinding& source,
                                            const std::string& mx_host, Job job);
  // The job, and every other job ready for the destination, get `result`
  // (its recipient index aside): the destination is unusable now (DNS, no
  // next hop answering or every one refusing us).
  // No first job: only the ready ones.
  void fail_destination(Destination& dest, std::optional<Job> job, const RecipientResult& result,
                        const Attempt& attempt);
  ClientOptions client_options(const Destination& dest, const PoolConfig& pool,
                               const std::string& mx_host) const;
  void count_reply(const std::string& pool, ReplyClass cls);

  // Reputation feedback (engine_reputation.cpp).
  enum class SiteRoom { Free, Full, AllResting };
  // Whether a new connection of dest's pool to its site has a source address
  // (not resting there, below its connection limit there).
  SiteRoom site_room(const Destination& dest, int64_t now) const;
  // A source address for a connection to `dest`'s site, its slot there taken.
  std::optional<SourceBinding> take_source(SourcePicker& picker, const Destination& dest,
                                           bool v6, int64_t now);
  void release_source(const SourceBinding& source, const std::string& site);
  // The site is full and `wanting` has jobs: up to `count` connections of
  // other destinations at the site that only wait for mail (connection_idle_ms)
  // QUIT now, so their slots go to work (release_source kicks `wanting`).
  void close_idle_at_site(const Destination& wanting, size_t count);
  // Every ready job of dest waits until the first rest of its pool's
  // addresses at the site ends: deferred, never sent from another pool.
  void defer_resting(Destination& dest, std::optional<Job> first, int64_t now);
  // A reply's class acted on: a block rests the source for the site, a rate
  // limit backs the pair off. True when the source must not send more here.
  bool take_feedback(const SourceBinding& source, const Destination& dest, ReplyClass cls,
                     const Reply& reply);

  // Outcomes (engine_outcomes.cpp).
  void record(const Job& job, const std::vector<RecipientResult>& results,
              const Attempt& attempt);
  boost::asio::awaitable<void> persist(std::string queue_id, std::vector<size_t> changed,
                                       std::vector<RecipientReport> failed,
                                       std::vector<RecipientReport> delayed);
  boost::asio::awaitable<void> send_dsn(const Envelope& original, const std::string& content,
                                        std::vector<RecipientReport> reports);
  void write_statuses(const QueuedMessage& message, const std::vector<size_t>& changed);
  // Removes a message whose recipients are all final, once nothing about it
  // is still being written or delivered.
  void maybe_finish(const std::string& queue_id);
  void bounce_now(QueuedMessage& message, const Reply& reply);

  boost::asio::io_context& io_;
  const Config* config_;  // the current generation (reconfigure())
  Spool& spool_;
  DnsLookup& dns_;
  IsLocal is_local_;
  HoldHooks hold_hooks_;
  RetryPolicy retry_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::map<std::string, std::shared_ptr<SourcePicker>> pickers_;  // by pool name
  std::unordered_map<std::string, QueuedMessage> messages_;
  std::map<DestinationKey, std::shared_ptr<Destination>> destinations_;
  std::multimap<int64_t, Job> deferred_;  // by due time (unix seconds)
  std::set<std::string> suspended_;       // domains
  SourceSiteBook book_;
  std::mt19937 rng_;
  boost::asio::steady_timer tick_;
  uint32_t connections_ = 0;
  bool stopping_ = false;
  EngineStats counters_;
  std::shared_ptr<const ReplyRules> reply_rules_ = ReplyRules::defaults();
};

}  // namespace poolgate
