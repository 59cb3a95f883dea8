// How the spool reports a failed write or read: a std::error_code in the
// asynchronous callbacks (cheap to pass through the event loop, easy to map to
// an SMTP reply), SpoolError (a std::system_error with the detail) from the
// blocking calls. Opening problems an operator has to fix are OperatorErrors.
#pragma once

#include <string>
#include <system_error>

namespace rocksdb {
class Status;
}

namespace poolgate {

enum class SpoolErrc {
  closed = 1,        // the spool is closing or closed: nothing was written
  not_found,         // no message with that queue id (finished, or never stored)
  duplicate_id,      // a pre-assigned queue id that is already stored
  invalid_argument,  // malformed queue id, no recipients, reserved meta name...
  io_error,          // the disk refused the write: nothing acknowledged is lost
  no_space,          // disk full
  corrupt,           // a stored record does not decode or a chunk is missing
};

const std::error_category& spool_category();
std::error_code make_error_code(SpoolErrc e);

// RocksDB's Status, reduced to the few cases a caller acts on differently.
std::error_code to_error_code(const rocksdb::Status& status);

class SpoolError : public std::system_error {
 public:
  SpoolError(std::error_code code, const std::string& detail) : std::system_error(code, detail) {}
};

}  // namespace poolgate

template <>
struct std::is_error_code_enum<poolgate::SpoolErrc> : std::true_type {};
