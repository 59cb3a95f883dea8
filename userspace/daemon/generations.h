// The daemon's configurations over its life. SIGHUP loads the file again;
// when it is valid it becomes a new generation, and the parts that can change
// while running (pools and weights, delivery limits and retry times,
// classification switches, sending limits, the spam scanner, routes and BPF
// maps) are pointed at it. Older generations are never freed: coroutines in
// flight (an open delivery connection, a scan) hold references into the
// generation they started with, and a config is a few KiB, so keeping them
// costs nothing and makes a reload safe without locks or copies.
//
// Some keys take effect only at a restart (listen addresses, spool, the
// relay's TLS files, DNS servers, the user, the pin path, the NDR surge
// windows): a reload that changes them applies the rest and logs each one it
// could not. Every other [relay] key applies to new sessions
// (RelayServer::reconfigure).
#pragma once

#include "config/config.h"
#include "reputation/reply_rules.h"
#include "spam/scanner.h"

#include <boost/asio/any_io_executor.hpp>

#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace poolgate {

struct Generation {
  std::unique_ptr<Config> config;
  std::unique_ptr<Scanner> scanner;  // null: [spam] scanner = "none"
  // [reputation] reply_rules' files, then the shipped defaults.
  std::shared_ptr<const ReplyRules> reply_rules;
};

class Generations {
 public:
  // Throws OperatorError when `first`'s reply rules files do not load.
  Generations(boost::asio::any_io_executor executor, Config first);

  const Generation& current() const { return generations_.back(); }
  size_t count() const { return generations_.size(); }

  // Loads `path` and the reply rules files it names. Invalid: logs every
  // diagnostic, keeps the current generation and returns null. Valid: appends
  // and returns the new one.
  const Generation* load(const std::string& path);

 private:
  Generation make(Config config, std::shared_ptr<const ReplyRules> rules);

  boost::asio::any_io_executor executor_;
  std::deque<Generation> generations_;  // deque: appending keeps references valid
};

// Keys whose new value the running daemon cannot take: "relay.listen", ...
std::vector<std::string> restart_only_changes(const Config& running, const Config& next);

}  // namespace poolgate
