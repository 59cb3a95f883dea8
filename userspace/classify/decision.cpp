#include "classify/decision.h"

namespace poolgate {

std::string Decision::reasons_text() const {
  if (reasons.empty()) return "clean";
  std::string text;
  for (const std::string& reason : reasons) {
    if (!text.empty()) text += ", ";
    text += reason;
  }
  return text;
}

}  // namespace poolgate
