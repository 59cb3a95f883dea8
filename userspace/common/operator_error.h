// An error whose message tells the operator what went wrong and what to do about
// it (the capability to grant, the command to run, the rule that failed). The CLI
// prints what() and exits 1; everything else is a bug and prints as one.
#pragma once

#include <stdexcept>
#include <string>

namespace poolgate {

class OperatorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace poolgate
