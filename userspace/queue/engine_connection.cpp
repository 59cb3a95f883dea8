// One connection's life: resolve the destination's next hops, pick a source
// address of the pool, connect (marked, delivery/marked_socket.h) to the first
// hop that answers, and deliver jobs over it until the destination has none
// ready or the per-connection message limit is reached.
#include "common/log_text.h"
#include "delivery/smtp_client.h"
#include "delivery/spool_content_source.h"
#include "mx/next_hops.h"
#include "queue/delivery_engine.h"
#include "spool/spool.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace poolgate {

namespace asio = boost::asio;

namespace {
constexpr size_t kAddressesPerAttempt = 5;
}

ClientOptions DeliveryEngine::client_options(const Destination& dest, const PoolConfig& pool,
                                             const std::string& mx_host) const {
  const DeliveryConfig& d = config_->delivery;
  ClientOptions options;
  options.ehlo_name = pool.ehlo.empty() ? config_->relay.hostname : pool.ehlo;
  options.tls = dest.tls == TlsMode::Off        ? TlsPolicy::Off
                : dest.tls == TlsMode::Required ? TlsPolicy::Required
                                                : TlsPolicy::Opportunistic;
  options.tls_context = tls_.get();
  // SNI carries a host name, never an address literal (RFC 6066 3).
  if (!mx_host.empty() && mx_host.front() != '[') options.tls_server_name = mx_host;
  options.bind_source = d.bind_source;
  options.reply_rules = reply_rules_;
  SmtpTimeouts& t = options.timeouts;
  auto command = std::chrono::seconds(d.command_timeout_s);
  t.connect = std::chrono::seconds(d.connect_timeout_s);
  t.greeting = t.hello = t.starttls = t.mail = t.rcpt = t.data_init = t.data_block = t.rset =
      t.quit = command;
  t.data_termination = std::chrono::seconds(d.data_timeout_s);
  return options;
}

void DeliveryEngine::count_reply(const std::string& pool, ReplyClass cls) {
  if (cls != ReplyClass::None) ++counters_.remote_replies[{pool, std::string(reply_class_name(cls))}];
}

asio::awaitable<void> DeliveryEngine::connection(std::shared_ptr<Destination> dest, Job first) {
  const PoolConfig* pool = config_->find_pool(dest->key.pool);
  std::optional<Job> job = std::move(first);
  bool pushed_back = false;  // waits for a slot at its site: no kick from here
  if (!pool) {
    // Our configuration, not a remote outcome: no class.
    Reply reply = make_reply(451, "4.3.5", "no pool named " + dest->key.pool);
    fail_destination(*dest, std::move(*job), {0, Outcome::TempFail, reply, Stage::Connect, false},
                     {});
  } else {
    // Shared: a reload replaces pickers_, this connection keeps its own.
    std::shared_ptr<SourcePicker> picker_ref = pickers_.at(pool->name);
    SourcePicker& picker = *picker_ref;
    Families families{picker.has_family(false), picker.has_family(true)};
    NextHopPlan plan =
        co_await resolve_next_hops(dns_, dest->key.domain, families, is_local_, rng_);
    if (plan.status != PlanStatus::Ok) {
      spdlog::info("{}: next hops for {}: {} class=dns", job->queue_id, dest->key.domain,
                   log_text(plan.detail));
      // Whatever DNS said (no such domain, null MX, SERVFAIL, an MX that is
      // us): the outcome of a lookup, with no reply text to read.
      count_reply(dest->key.pool, ReplyClass::Dns);
      fail_destination(*dest, std::move(*job),
                       {0, outcome_of(plan.reply), plan.reply, Stage::Connect, false,
                        ReplyClass::Dns},
                       {});
      job.reset();
    }
    if (job) {
      // The site the next hops make (reputation/sites.h): limits and rests
      // are counted per (source address, site).
      std::vector<std::string> hosts;
      for (const NextHop& hop : plan.hops) hosts.push_back(hop.host);
      SiteRef site = site_of(dest->key.domain, hosts, config_->delivery.sites);
      dest->site = site.key;
      dest->site_limits = limits_of(site, config_->delivery);
      dest->site_v4 = dest->site_v6 = false;
      for (const NextHop& hop : plan.hops) (hop.address.is_v6() ? dest->site_v6 : dest->site_v4) = true;
    }
    bool lacked_source = false;
    std::optional<ConnectionFailure> last_failure;
    Attempt last_attempt;
    // Like Postfix's smtp_mx_address_limit: a plan may list 20 addresses, but
    // one attempt tries a few, so a dead domain costs minutes, not an hour.
    size_t tried = 0;
    for (size_t h = 0; h < plan.hops.size(); ++h) {
      const NextHop& hop = plan.hops[h];
      if (!job || stopping_ || tried++ >= kAddressesPerAttempt) break;
      int64_t now = std::time(nullptr);
      std::optional<SourceBinding> source = take_source(picker, *dest, hop.address.is_v6(), now);
      if (!source) {
        // No address of this family may connect to the site now (resting, or
        // at its limit there); a next hop of the other family may do.
        lacked_source = true;
        --tried;
        continue;
      }
      SmtpClient client(io_.get_executor(), *source,
                        asio::ip::tcp::endpoint(hop.address, config_->delivery.port),
                        client_options(*dest, *pool, hop.host));
      if (!co_await client.open()) {
        last_failure = client.failure();
        last_attempt = {hop.host, client.record()};
        ReplyClass cls = last_failure ? last_failure->reply_class : ReplyClass::Other;
        // The connection's own outcome, per source address and next hop:
        // what a blocked address or a rate-limiting site shows first.
        count_reply(pool->name, cls);
        spdlog::info("{}: pool={} mx={} relay={} source={} mark={:#x} class={}: {}",
                     job->queue_id, pool->name, log_text(hop.host), hop.address.to_string(),
                     source->address.to_string(), source->fwmark, reply_class_name(cls),
                     last_failure ? log_text(last_failure->reply.str()) : "failed");
        // A block at connect, greeting or EHLO is about this source address:
        // the same next hop is tried again from another one.
        if (last_failure && take_feedback(*source, *dest, last_failure->reply_class,
                                          last_failure->reply)) {
          --h;
          --tried;
        }
        release_source(*source, dest->site);
        continue;
      }
      co_await deliver_jobs(*dest, client, *source, hop.host, std::move(*job));
      job.reset();
      co_await client.quit();
      release_source(*source, dest->site);
    }
    if (job && lacked_source) {
      int64_t now = std::time(nullptr);
      if (site_room(*dest, now) == SiteRoom::AllResting) {
        // Every address rests at this site: the mail waits, deferred, until
        // the first rest ends; never another pool, never a bounce.
        defer_resting(*dest, std::move(job), now);
        job.reset();
      } else if (!last_failure) {
        // All at their connection limit there: the job goes back to the
        // front, and a connection of the site closing kicks it again.
        auto it = messages_.find(job->queue_id);
        if (it != messages_.end() && it->second.in_flight > 0) --it->second.in_flight;
        dest->ready.push_front(std::move(*job));
        job.reset();
        pushed_back = true;
      }
    }
    if (job) {
      // No next hop took a connection: the destination is down for now, so
      // everything ready for it waits (as Postfix marks a dead destination)
      // instead of each job paying the connect timeouts again. Always a
      // deferral: a next hop refusing the connection, even with a 5xx
      // greeting or EHLO reply (a blocklisted source address), says nothing
      // about the recipients (smtp_client.h), and another attempt may come
      // from another address or reach another MX.
      RecipientResult result{0, Outcome::TempFail,
                             make_reply(451, "4.4.4", "no usable next hop for " + dest->key.domain),
                             Stage::Connect, false, ReplyClass::Other};
      if (last_failure)
        result = {0, Outcome::TempFail, last_failure->reply, last_failure->stage,
                  last_failure->from_peer, last_failure->reply_class};
      fail_destination(*dest, std::move(*job), result, last_attempt);
    }
  }
  --dest->active;
  bool was_full = connections_-- >= config_->delivery.max_concurrent_connections;
  // A job put back for want of a slot at its site is kicked by the next
  // connection there to close (release_source), or by the ticker's safety
  // net: never again from here, which could spin.
  if (was_full) kick_all();
  else if (!pushed_back) kick(*dest);
}

asio::awaitable<void> DeliveryEngine::deliver_jobs(Destination& dest, SmtpClient& client,
                                                   const SourceBinding& source,
                                                   const std::string& mx_host, Job job) {
  uint32_t sent = 0;
  for (;;) {
    auto it = messages_.find(job.queue_id);
    QueuedMessage& message = it->second;  // in flight: not erased under us
    if (message.deleted) {
      record(job, {}, {});
    } else {
      auto steady = std::chrono::steady_clock::now();
      // The domain's own rate, and the (source, site)'s (backed off or not).
      auto wait = std::max(dest.reserve_send_slot(steady),
                           book_.reserve_send_slot(source.address.to_string(), dest.site,
                                                   dest.site_limits, steady,
                                                   std::time(nullptr)));
      if (wait.count() > 0) {
        asio::steady_timer timer(io_, wait);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      SpoolContentSource content(spool_, job.queue_id, message.envelope.size);
      // A named local: GCC 12 destroys aggregate temporaries inside a
      // co_await expression twice.
      OutboundMessage outbound{message.envelope, content, job.recipients};
      MessageResult result = co_await client.send(outbound);
      for (const RecipientResult& r : result.recipients) count_reply(dest.key.pool, r.reply_class);
      // A block at MAIL, RCPT, DATA or the final reply rests this source at
      // the site: its recipients go again at once, from another address.
      bool resting = false;
      for (const RecipientResult& r : result.recipients)
        if (r.reply_class == ReplyClass::ReputationBlock || r.reply_class == ReplyClass::RateLimit)
          resting = take_feedback(source, dest, r.reply_class, r.reply) || resting;
      Attempt attempt{mx_host, result.record};
      if (resting) attempt.retry_at_unix = std::time(nullptr);
      record(job, result.recipients, attempt);
      if (resting) break;
    }
    ++sent;
    if (!client.usable() || stopping_ || sent >= config_->delivery.max_messages_per_connection)
      break;
    std::optional<Job> next = next_job(dest);
    if (!next) next = co_await wait_idle(dest);
    if (!next) break;
    if (client.hung_up()) {
      // The next hop closed the connection while it waited (its idle
      // timeout): the job goes back to the front, untouched, for a new
      // connection (the one this coroutine ends with kicks it), instead of
      // failing on a dead socket and waiting for a retry.
      auto it = messages_.find(next->queue_id);
      if (it != messages_.end() && it->second.in_flight > 0) --it->second.in_flight;
      dest.ready.push_front(std::move(*next));
      break;
    }
    job = std::move(*next);
  }
}

asio::awaitable<std::optional<Job>> DeliveryEngine::wait_idle(Destination& dest) {
  uint32_t idle_ms = config_->delivery.connection_idle_ms;
  if (idle_ms == 0 || stopping_) co_return std::nullopt;
  auto idle = std::make_shared<IdleConnection>(io_.get_executor());
  idle->timer.expires_after(std::chrono::milliseconds(idle_ms));
  dest.idle.push_back(idle);
  boost::system::error_code ec;
  co_await idle->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (idle->woken) {
    if (dest.waking > 0) --dest.waking;  // kick() counted on us taking a job
  } else {
    std::erase(dest.idle, idle);  // nobody came (or stopping): QUIT
    co_return std::nullopt;
  }
  if (stopping_) co_return std::nullopt;
  co_return next_job(dest);
}

void DeliveryEngine::fail_destination(Destination& dest, std::optional<Job> job,
                                      const RecipientResult& result, const Attempt& attempt) {
  for (std::optional<Job> current = std::move(job); current; current = next_job(dest)) {
    std::vector<RecipientResult> results;
    for (size_t index : current->recipients) {
      results.push_back(result);
      results.back().recipient = index;
    }
    record(*current, results, attempt);
  }
}

}  // namespace poolgate
