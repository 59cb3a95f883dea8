// What an attempt's per-recipient results do: the log line, the recipient's
// new state (delivered, failed, or deferred to its next retry time), DSNs to
// the sender, and the durable record of all of it in the spool.
#include "queue/delivery_engine.h"

#include "common/log_text.h"
#include "mail/pool_names.h"
#include "spool/spool_commit.h"
#include "spool/errors.h"
#include "spool/spool.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>

namespace poolgate {

namespace asio = boost::asio;

namespace {

// "5 days", "3 hours", "12 minutes", "6 seconds": the largest unit that fits twice.
std::string human_duration(int64_t seconds) {
  if (seconds >= 2 * 86400) return std::to_string(seconds / 86400) + " days";
  if (seconds >= 2 * 3600) return std::to_string(seconds / 3600) + " hours";
  if (seconds >= 120) return std::to_string(seconds / 60) + " minutes";
  return std::to_string(seconds) + " seconds";
}

// "dns; mx1.example.net" (RFC 3464 2.3.5), or the address when no name.
std::string remote_mta(const std::string& mx_host, const DeliveryRecord& record) {
  if (!mx_host.empty()) return "dns; " + mx_host;
  if (record.destination.port() != 0) return "dns; " + record.destination.address().to_string();
  return "";
}

RecipientReport report(size_t index, Action action, const RecipientResult& result,
                            const std::string& mta, int64_t now) {
  RecipientReport r;
  r.index = index;
  r.action = action;
  r.reply = result.reply;
  r.from_peer = result.from_peer;
  r.reply_class = std::string(reply_class_name(result.reply_class));
  r.remote_mta = result.from_peer ? mta : "";
  r.last_attempt_unix = now;
  return r;
}

}  // namespace

void DeliveryEngine::record(const Job& job, const std::vector<RecipientResult>& results,
                            const Attempt& attempt) {
  auto it = messages_.find(job.queue_id);
  if (it == messages_.end()) return;
  QueuedMessage& message = it->second;
  if (message.in_flight > 0) --message.in_flight;
  if (message.deleted) {
    if (message.in_flight == 0) messages_.erase(it);
    return;
  }
  Envelope& envelope = message.envelope;
  int64_t now = std::time(nullptr);
  std::string mta = remote_mta(attempt.mx_host, attempt.record);
  std::vector<size_t> changed, retry;
  std::vector<RecipientReport> failed, delayed;
  bool warn = !message.delay_warned && retry_.delay_warning_due(envelope.received_unix, now);
  OutcomeCounts& pool_outcomes = counters_.outcomes_by_pool[message.pool];

  for (const RecipientResult& raw : results) {
    if (raw.recipient >= envelope.recipients.size()) continue;
    RecipientResult result = raw;
    result.reply = with_enhanced_code(result.reply);
    // A 5xx that only ended the connection (a refusing greeting, a failed
    // RSET) is kept as its 4xx form, so `queue show`, the log and a delay
    // DSN agree that the recipient waits.
    // A block or a rate limit is about the source address, not the
    // recipient: whatever its code, the recipient waits (and goes again from
    // another address), never bounces before its lifetime ends.
    if (result.outcome == Outcome::PermFail &&
        (result.reply_class == ReplyClass::ReputationBlock ||
         result.reply_class == ReplyClass::RateLimit))
      result.outcome = Outcome::TempFail;
    if (result.outcome == Outcome::TempFail) result.reply = as_deferral(result.reply);
    Recipient& recipient = envelope.recipients[result.recipient];
    spdlog::info("{}: pool={} mx={} {}", envelope.queue_id, message.pool,
                 attempt.mx_host.empty() ? "none" : log_text(attempt.mx_host),
                 log_line(attempt.record, recipient.address, result));
    ++recipient.attempts;
    recipient.last_reply = result.reply.str();
    // Expiry below keeps it: the class of the last attempt is why it failed.
    recipient.last_class = std::string(reply_class_name(result.reply_class));
    changed.push_back(result.recipient);
    if (result.outcome == Outcome::TempFail && retry_.expired(envelope.received_unix, now)) {
      // poolgate gives up, so the reply is its own (the DSN says X-Poolgate,
      // not smtp), keeping the next hop's last words in the text.
      result.outcome = Outcome::PermFail;
      result.from_peer = false;
      result.reply = make_reply(
          result.reply.code, "4.4.7",
          "message expired after " + human_duration(now - envelope.received_unix) +
              " in the queue; last error: " + result.reply.str());
    }
    switch (result.outcome) {
      case Outcome::Delivered:
        recipient.state = RecipientState::Delivered;
        ++counters_.delivered;
        ++pool_outcomes.delivered;
        break;
      case Outcome::PermFail:
        recipient.state = RecipientState::Failed;
        ++counters_.bounced;
        ++pool_outcomes.bounced;
        failed.push_back(report(result.recipient, Action::Failed, result, mta, now));
        break;
      case Outcome::TempFail: {
        recipient.state = RecipientState::Deferred;
        // Never later than the expiry: the last attempt comes at the end of
        // the lifetime, not up to an hour after it.
        int64_t next = attempt.retry_at_unix > 0 ? std::max(attempt.retry_at_unix, now)
                                                 : now + retry_.interval_after(recipient.attempts);
        recipient.next_attempt_unix =
            std::min<int64_t>(next,
                              std::max<int64_t>(now + 1, envelope.received_unix +
                                                             int64_t(retry_.max_lifetime_s)));
        ++counters_.deferred;
        ++pool_outcomes.deferred;
        retry.push_back(result.recipient);
        if (warn) {
          auto r = report(result.recipient, Action::Delayed, result, mta, now);
          r.will_retry_until_unix = envelope.received_unix + retry_.max_lifetime_s;
          delayed.push_back(r);
        }
        break;
      }
    }
  }
  if (!delayed.empty()) message.delay_warned = true;
  if (!retry.empty()) {
    int64_t due = envelope.recipients[retry.front()].next_attempt_unix;
    schedule(Job{job.queue_id, retry}, due);
  }
  if (!failed.empty() || !delayed.empty()) ++message.dsn_pending;
  asio::co_spawn(io_, persist(job.queue_id, changed, std::move(failed), std::move(delayed)),
                 asio::detached);
  if (message.bounce_requested && message.in_flight == 0) {
    message.bounce_requested = false;
    bounce_now(message, make_reply(550, "5.0.0", "message bounced by the administrator"));
  }
}

asio::awaitable<void> DeliveryEngine::persist(std::string queue_id, std::vector<size_t> changed,
                                              std::vector<RecipientReport> failed,
                                              std::vector<RecipientReport> delayed) {
  if (!failed.empty() || !delayed.empty()) {
    // The DSN is durable before the recipient's failure is: a crash in
    // between sends the DSN twice rather than never.
    auto it = messages_.find(queue_id);
    if (it != messages_.end()) {
      Envelope original = it->second.envelope;
      std::string content = spool_.load_content(queue_id).value_or("");
      if (!failed.empty()) co_await send_dsn(original, content, std::move(failed));
      if (!delayed.empty()) co_await send_dsn(original, content, std::move(delayed));
    }
    it = messages_.find(queue_id);
    if (it == messages_.end()) co_return;
    --it->second.dsn_pending;
  }
  auto it = messages_.find(queue_id);
  if (it == messages_.end()) co_return;
  if (all_final(it->second.envelope)) maybe_finish(queue_id);
  else write_statuses(it->second, changed);
}

asio::awaitable<void> DeliveryEngine::send_dsn(const Envelope& original, const std::string& content,
                                               std::vector<RecipientReport> reports) {
  DsnOptions options;
  options.reporting_mta = config_->relay.hostname;
  options.now_unix = std::time(nullptr);
  options.max_returned_bytes = config_->delivery.dsn_max_returned_bytes;
  std::optional<Dsn> notice = build(original, content, reports, options);
  if (!notice) co_return;  // NOTIFY=NEVER, or a bounce about a bounce
  // Our own bounces are NDRs like any other: the high-risk pool, with the
  // reason on record for `queue show`.
  notice->envelope.pool = kHighRiskPool;
  notice->envelope.reasons = {"ndr:generated"};
  Envelope envelope = notice->envelope;
  envelope.size = notice->content.size();
  CommitResult result =
      co_await commit_to_spool(spool_, notice->envelope, std::move(notice->content), {},
                               CommitKind::Generated);
  if (result.error) {
    spdlog::error("{}: could not queue the DSN to <{}>: {}", original.queue_id,
                  log_text(original.sender),
                  result.error.message());
    co_return;
  }
  ++counters_.dsns;
  spdlog::info("{}: sender {} notification: {}", original.queue_id,
               reports.front().action == Action::Failed ? "non-delivery" : "delay",
               result.queue_id);
  envelope.queue_id = result.queue_id;
  add(std::move(envelope));
}

void DeliveryEngine::write_statuses(const QueuedMessage& message,
                                    const std::vector<size_t>& changed) {
  for (size_t index : changed) {
    const std::string& id = message.envelope.queue_id;
    spool_.update_recipient_async(
        id, uint32_t(index), RecipientStatus::of(message.envelope.recipients[index]),
        [id](std::error_code ec) {
          // not_found: the message was removed (delete, or finished) meanwhile.
          if (ec && ec != make_error_code(SpoolErrc::not_found))
            spdlog::error("{}: could not record delivery status: {}", id, ec.message());
        });
  }
}

void DeliveryEngine::maybe_finish(const std::string& queue_id) {
  auto it = messages_.find(queue_id);
  if (it == messages_.end()) return;
  QueuedMessage& message = it->second;
  if (!all_final(message.envelope) || message.in_flight > 0 || message.dsn_pending > 0) return;
  // Removed from memory now; the removal is queued behind this message's
  // earlier status writes (the committer keeps order). If it fails, the
  // message is still in the spool and a restart finishes it.
  spool_.remove_async(queue_id, [queue_id](std::error_code ec) {
    if (ec && ec != make_error_code(SpoolErrc::not_found))
      spdlog::error("{}: could not remove finished message: {}", queue_id, ec.message());
  });
  spdlog::info("{}: removed (all recipients final)", queue_id);
  messages_.erase(it);
}

void DeliveryEngine::bounce_now(QueuedMessage& message, const Reply& reply) {
  drop_jobs(message.envelope.queue_id);
  Job job{message.envelope.queue_id, {}};
  std::vector<RecipientResult> results;
  for (size_t i = 0; i < message.envelope.recipients.size(); ++i)
    if (unfinished(message.envelope.recipients[i]))
      results.push_back({i, Outcome::PermFail, reply, Stage::Connect, false});
  ++message.in_flight;  // record() takes one off
  record(job, results, {});
}

}  // namespace poolgate
