// Operator requests (poolgate queue retry|bounce|delete|suspend|resume),
// applied to the running engine so its memory and the spool stay in step.
#include "queue/delivery_engine.h"

#include "spool/spool.h"

#include <spdlog/spdlog.h>

namespace poolgate {

std::string DeliveryEngine::retry(const std::string& queue_id) {
  auto it = messages_.find(queue_id);
  if (it == messages_.end()) return "no message " + queue_id + " in the queue";
  if (it->second.envelope.hold_for_dns && hold_hooks_.retry && hold_hooks_.retry(queue_id)) {
    // Held for DNS: "retry" means look its sender domains up again now.
    spdlog::info("{}: retry requested by operator (held: sender domains checked again now)",
                 queue_id);
    return "";
  }
  std::vector<Job> due;
  for (auto d = deferred_.begin(); d != deferred_.end();) {
    if (d->second.queue_id == queue_id) {
      due.push_back(std::move(d->second));
      d = deferred_.erase(d);
    } else {
      ++d;
    }
  }
  for (Recipient& r : it->second.envelope.recipients)
    if (unfinished(r)) r.next_attempt_unix = 0;
  for (Job& job : due) {
    std::string domain =
        recipient_domain(it->second.envelope.recipients[job.recipients[0]].address);
    Destination& dest = destination({it->second.pool, domain});
    dest.ready.push_back(std::move(job));
    kick(dest);
  }
  spdlog::info("{}: retry requested by operator ({} jobs due now)", queue_id, due.size());
  return "";
}

std::string DeliveryEngine::bounce(const std::string& queue_id) {
  auto it = messages_.find(queue_id);
  if (it == messages_.end()) return "no message " + queue_id + " in the queue";
  spdlog::info("{}: bounce requested by operator", queue_id);
  if (it->second.in_flight > 0) {
    it->second.bounce_requested = true;  // record() bounces it when the attempt ends
    return "";
  }
  bounce_now(it->second, make_reply(550, "5.0.0", "message bounced by the administrator"));
  return "";
}

std::string DeliveryEngine::remove(const std::string& queue_id) {
  auto it = messages_.find(queue_id);
  if (it == messages_.end()) return "no message " + queue_id + " in the queue";
  drop_jobs(queue_id);
  try {
    spool_.remove(queue_id);  // blocks for one sync: an operator request, rare
  } catch (const std::exception& e) {
    return e.what();
  }
  spdlog::info("{}: deleted by operator (poolgate queue delete)", queue_id);
  if (it->second.in_flight > 0) it->second.deleted = true;  // record() erases it
  else messages_.erase(it);
  return "";
}

std::string DeliveryEngine::suspend(const std::string& domain_in) {
  std::string domain = normalize_domain(domain_in);
  if (domain.empty()) return "no domain given";
  try {
    spool_.put_meta(kSuspendedDomainMeta + domain, "");  // survives a restart
  } catch (const std::exception& e) {
    return e.what();
  }
  suspended_.insert(domain);
  spdlog::info("delivery to {} suspended by operator", domain);
  return "";
}

std::string DeliveryEngine::resume(const std::string& domain_in) {
  std::string domain = normalize_domain(domain_in);
  if (!suspended_.count(domain)) return "delivery to " + domain + " is not suspended";
  try {
    spool_.erase_meta(kSuspendedDomainMeta + domain);
  } catch (const std::exception& e) {
    return e.what();
  }
  suspended_.erase(domain);
  spdlog::info("delivery to {} resumed by operator", domain);
  for (auto& [key, dest] : destinations_)
    if (key.domain == domain) kick(*dest);
  return "";
}

}  // namespace poolgate
