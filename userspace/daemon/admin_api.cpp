#include "daemon/admin_api.h"

#include "admin/prometheus_text.h"
#include "admin/views.h"
#include "spool/spool.h"

#include <spdlog/spdlog.h>

#include <ctime>

namespace poolgate {

namespace {

HttpResponse json(const nlohmann::ordered_json& body) {
  return {200, "application/json", body.dump(2) + "\n"};
}

HttpResponse unavailable(const char* what) {
  return {503, "text/plain", std::string(what) + " is not running in this daemon\n"};
}

}  // namespace

std::unique_ptr<HttpServer> start_admin_api(boost::asio::io_context& io,
                                                   const Config& config,
                                                   const MetricSources& sources) {
  if (!config.admin.listen) return nullptr;
  auto server = std::make_unique<HttpServer>(io, *config.admin.listen);
  const MetricSources* s = &sources;
  server->handle("/metrics", [s](const std::string&) {
    return HttpResponse{200, kPrometheusContentType, render_metrics(*s)};
  });
  // 503 while the spool cannot take new mail: a load balancer or monitor then
  // sends clients to another gateway, and the reason says what to fix.
  server->handle("/healthz", [s](const std::string&) {
    if (s->spool) {
      SpoolHealth health = s->spool->health();
      if (!health.accepting) return HttpResponse{503, "text/plain", health.reason + "\n"};
    }
    return HttpResponse{200, "text/plain", "ok\n"};
  });
  server->handle("/queue", [s](const std::string&) {
    return s->engine ? json(queue_view(*s->engine)) : unavailable("delivery");
  });
  server->handle("/senders", [s](const std::string& query) {
    if (!s->limits) return unavailable("sender limits");
    bool all = query.find("all=1") != std::string::npos || query.find("all=true") != std::string::npos;
    return json(senders_view(*s->limits, all, std::time(nullptr)));
  });
  server->handle("/pools", [s](const std::string&) {
    return json(pools_view(*s->config, s->engine, s->kernel_maps));
  });
  server->handle("/routes", [s](const std::string&) { return json(routes_view(*s->config)); });
  server->start();
  spdlog::info("admin API on http://{}/ (/metrics /queue /senders /pools /routes /healthz)",
               config.admin.listen->to_string());
  return server;
}

}  // namespace poolgate
