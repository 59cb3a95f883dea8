// The admin API's routes (admin/http_server.h) on the daemon's live objects:
// /metrics and the JSON views of admin/views.h, plus /healthz.
#pragma once

#include "admin/http_server.h"
#include "admin/metrics.h"

#include <memory>

namespace poolgate {

// Binds [admin] listen and serves `sources`, which the daemon keeps current
// (a reload points sources.config at the new generation). Null when [admin]
// listen is "".
std::unique_ptr<HttpServer> start_admin_api(boost::asio::io_context& io,
                                                   const Config& config,
                                                   const MetricSources& sources);

}  // namespace poolgate
