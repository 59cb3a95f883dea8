// Scheduling: messages in, jobs onto destinations' ready queues or the
// deferred timeline, connections started within the limits.
#include "queue/delivery_engine.h"

#include "delivery/client_options.h"
#include "spool/spool.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

namespace poolgate {

namespace asio = boost::asio;

DeliveryEngine::DeliveryEngine(asio::io_context& io, const Config& config, Spool& spool,
                               DnsLookup& dns, IsLocal is_local)
    : io_(io),
      config_(&config),
      spool_(spool),
      dns_(dns),
      is_local_(std::move(is_local)),
      retry_(RetryPolicy::from(config.delivery)),
      tls_(std::make_unique<asio::ssl::context>(make_client_tls_context())),
      rng_(std::random_device{}()),
      tick_(io) {
  make_pickers();
  book_.reconfigure(config.reputation);
  for (const auto& [name, value] : spool_.list_meta(kSuspendedDomainMeta))
    suspended_.insert(normalize_domain(name.substr(std::string_view(kSuspendedDomainMeta).size())));
}

DeliveryEngine::~DeliveryEngine() = default;

void DeliveryEngine::make_pickers() {
  pickers_.clear();
  for (const PoolConfig& pool : config_->pools)
    pickers_.emplace(pool.name, std::make_shared<SourcePicker>(pool));
}

void DeliveryEngine::reconfigure(const Config& config) {
  config_ = &config;
  retry_ = RetryPolicy::from(config.delivery);
  make_pickers();
  book_.reconfigure(config.reputation);
  // Destinations keep their per-domain limits until they are next created;
  // a new limit or TLS policy for an existing one is taken over here.
  for (auto& [key, dest] : destinations_) dest->reconfigure(config.delivery);
  kick_all();
}

void DeliveryEngine::set_reply_rules(std::shared_ptr<const ReplyRules> rules) {
  if (rules) reply_rules_ = std::move(rules);
}

const std::string& DeliveryEngine::pool_of(const Envelope& envelope) const {
  // The classifier's decision (it sends bounces, RFC 5321 4.5.5, to the
  // high-risk pool; the engine's own DSNs carry that decision from
  // send_dsn()), when the message has one and its pool still exists (a
  // reload may have removed it: then the default, not a dead end).
  if (!envelope.pool.empty() && config_->find_pool(envelope.pool)) return envelope.pool;
  return config_->classify.default_pool;
}

void DeliveryEngine::start(std::vector<Envelope> recovered) {
  for (const std::string& domain : suspended_)
    spdlog::info("delivery to {} is suspended (poolgate queue resume {})", domain, domain);
  for (Envelope& envelope : recovered) add(std::move(envelope));
  asio::co_spawn(io_, ticker(), asio::detached);
}

void DeliveryEngine::add(Envelope envelope) {
  std::string id = envelope.queue_id;
  QueuedMessage message;
  message.pool = pool_of(envelope);
  message.envelope = std::move(envelope);
  auto [it, inserted] = messages_.emplace(id, std::move(message));
  if (!inserted) return;  // already queued (recovery racing a control request)
  if (all_final(it->second.envelope)) {
    // Recovered after a crash between the last status and the removal.
    maybe_finish(id);
    return;
  }
  if (it->second.envelope.hold_for_dns) {
    // Parked until release_hold(): classification checks its domains again.
    if (hold_hooks_.parked) hold_hooks_.parked(it->second.envelope);
    return;
  }
  enqueue(it->second);
}

void DeliveryEngine::enqueue(QueuedMessage& message) {
  int64_t now = std::time(nullptr);
  for (auto& [domain, recipients] : pending_by_domain(message.envelope)) {
    int64_t due = 0;
    for (size_t i : recipients)
      due = std::max(due, message.envelope.recipients[i].next_attempt_unix);
    Job job{message.envelope.queue_id, std::move(recipients)};
    if (due <= now) {
      Destination& dest = destination({message.pool, domain});
      dest.ready.push_back(std::move(job));
      kick(dest);
    } else {
      schedule(std::move(job), due);
    }
  }
}

bool DeliveryEngine::release_hold(const std::string& queue_id, const std::string& pool,
                                  const std::vector<std::string>& reasons) {
  auto it = messages_.find(queue_id);
  if (it == messages_.end() || it->second.deleted || !it->second.envelope.hold_for_dns)
    return false;
  QueuedMessage& message = it->second;
  message.envelope.hold_for_dns = false;
  message.envelope.pool = pool;
  message.envelope.reasons = reasons;
  message.pool = pool_of(message.envelope);
  enqueue(message);
  return true;
}

void DeliveryEngine::schedule(Job job, int64_t due_unix) {
  deferred_.emplace(due_unix, std::move(job));
}

std::shared_ptr<Destination> DeliveryEngine::destination_ptr(const DestinationKey& key) {
  auto it = destinations_.find(key);
  if (it == destinations_.end())
    it = destinations_.emplace(key, std::make_shared<Destination>(key, config_->delivery)).first;
  return it->second;
}

Destination& DeliveryEngine::destination(const DestinationKey& key) {
  return *destination_ptr(key);
}

void DeliveryEngine::kick(Destination& dest) {
  if (stopping_ || suspended_.count(dest.key.domain)) return;
  // Open connections waiting for mail go first: no handshake needed.
  while (!dest.idle.empty() && dest.ready.size() > dest.waking) {
    dest.idle.front()->woken = true;
    dest.idle.front()->timer.cancel();
    dest.idle.erase(dest.idle.begin());
    ++dest.waking;
  }
  // New connections need a source address that neither rests at the site nor
  // is at its connection limit there (engine_reputation.cpp).
  int64_t now = std::time(nullptr);
  SiteRoom room = dest.ready.size() > dest.waking ? site_room(dest, now) : SiteRoom::Free;
  if (room == SiteRoom::AllResting && dest.waking == 0) defer_resting(dest, std::nullopt, now);
  if (room == SiteRoom::Full) close_idle_at_site(dest, dest.ready.size() - dest.waking);
  if (room != SiteRoom::Free) return;
  while (dest.ready.size() > dest.waking && dest.active < dest.connection_limit &&
         connections_ < config_->delivery.max_concurrent_connections) {
    std::optional<Job> job = next_job(dest);
    if (!job) break;
    ++dest.active;
    ++connections_;
    asio::co_spawn(io_, connection(destination_ptr(dest.key), std::move(*job)), asio::detached);
  }
}

void DeliveryEngine::kick_all() {
  for (auto& [key, dest] : destinations_)
    if (!dest->ready.empty()) kick(*dest);
}

std::optional<Job> DeliveryEngine::next_job(Destination& dest) {
  while (!dest.ready.empty()) {
    Job job = std::move(dest.ready.front());
    dest.ready.pop_front();
    auto it = messages_.find(job.queue_id);
    if (it == messages_.end() || it->second.deleted) continue;
    ++it->second.in_flight;
    return job;
  }
  return std::nullopt;
}

asio::awaitable<void> DeliveryEngine::ticker() {
  // One-second resolution is plenty for retry times counted in minutes (and
  // keeps a single timer however many messages wait).
  while (!stopping_) {
    tick_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await tick_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    book_.recover(std::time(nullptr));
    release_due(std::time(nullptr));
  }
}

void DeliveryEngine::release_due(int64_t now_unix) {
  std::set<DestinationKey> touched;
  while (!deferred_.empty() && deferred_.begin()->first <= now_unix) {
    Job job = std::move(deferred_.begin()->second);
    deferred_.erase(deferred_.begin());
    auto it = messages_.find(job.queue_id);
    if (it == messages_.end() || it->second.deleted) continue;
    DestinationKey key{it->second.pool, recipient_domain(
                                            it->second.envelope.recipients[job.recipients[0]].address)};
    destination(key).ready.push_back(std::move(job));
    touched.insert(key);
  }
  for (const DestinationKey& key : touched) kick(destination(key));
  // Safety net: ready work with no connection at all is started here, whatever
  // bookkeeping slip left it waiting.
  for (auto& [key, dest] : destinations_)
    if (dest->active == 0 && !dest->ready.empty()) {
      dest->waking = 0;
      kick(*dest);
    }
}

void DeliveryEngine::drop_jobs(const std::string& queue_id) {
  for (auto it = deferred_.begin(); it != deferred_.end();)
    it = it->second.queue_id == queue_id ? deferred_.erase(it) : std::next(it);
  for (auto& [key, dest] : destinations_)
    std::erase_if(dest->ready, [&](const Job& job) { return job.queue_id == queue_id; });
}

void DeliveryEngine::stop() {
  stopping_ = true;
  tick_.cancel();
  for (auto& [key, dest] : destinations_) {
    for (auto& idle : dest->idle) idle->timer.cancel();
    dest->idle.clear();
  }
}

EngineStats DeliveryEngine::stats() const {
  EngineStats out = counters_;
  out.messages = messages_.size();
  out.deferred_jobs = deferred_.size();
  for (const auto& [key, dest] : destinations_) out.ready_jobs += dest->ready.size();
  out.connections = connections_;
  for (const auto& [id, message] : messages_)
    if (message.envelope.hold_for_dns) ++out.held_for_dns;
  return out;
}

std::vector<QueueDepth> DeliveryEngine::queue_depths() const {
  std::map<DestinationKey, QueueDepth> by_key;
  for (const auto& [id, message] : messages_) {
    if (message.deleted) continue;
    for (const auto& [domain, recipients] : pending_by_domain(message.envelope)) {
      DestinationKey key{message.pool, domain};
      QueueDepth& depth = by_key[key];
      depth.key = key;
      ++depth.messages;
      depth.recipients += recipients.size();
    }
  }
  std::vector<QueueDepth> out;
  out.reserve(by_key.size());
  for (auto& [key, depth] : by_key) out.push_back(std::move(depth));
  std::stable_sort(out.begin(), out.end(), [](const QueueDepth& a, const QueueDepth& b) {
    return a.recipients > b.recipients;
  });
  return out;
}

std::vector<Envelope> DeliveryEngine::snapshot() const {
  std::vector<Envelope> out;
  out.reserve(messages_.size());
  for (const auto& [id, message] : messages_)
    if (!message.deleted) out.push_back(message.envelope);
  std::sort(out.begin(), out.end(), [](const Envelope& a, const Envelope& b) {
    return a.received_unix != b.received_unix ? a.received_unix < b.received_unix
                                              : a.queue_id < b.queue_id;
  });
  return out;
}

}  // namespace poolgate
