#include "spool/errors.h"

#include <rocksdb/status.h>

namespace poolgate {
namespace {

class SpoolCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "spool"; }
  std::string message(int value) const override {
    switch (static_cast<SpoolErrc>(value)) {
      case SpoolErrc::closed: return "spool is closed";
      case SpoolErrc::not_found: return "no such message in the spool";
      case SpoolErrc::duplicate_id: return "queue id already in the spool";
      case SpoolErrc::invalid_argument: return "invalid spool request";
      case SpoolErrc::io_error: return "spool write failed";
      case SpoolErrc::no_space: return "spool disk is full";
      case SpoolErrc::corrupt: return "spool record is corrupt";
    }
    return "unknown spool error";
  }
};

}  // namespace

const std::error_category& spool_category() {
  static const SpoolCategory category;
  return category;
}

std::error_code make_error_code(SpoolErrc e) { return {static_cast<int>(e), spool_category()}; }

std::error_code to_error_code(const rocksdb::Status& status) {
  if (status.ok()) return {};
  if (status.IsNoSpace()) return SpoolErrc::no_space;
  if (status.IsCorruption()) return SpoolErrc::corrupt;
  if (status.IsNotFound()) return SpoolErrc::not_found;
  if (status.IsInvalidArgument()) return SpoolErrc::invalid_argument;
  // IOError, Busy, ShutdownInProgress, TryAgain...: the write did not happen.
  return SpoolErrc::io_error;
}

}  // namespace poolgate
